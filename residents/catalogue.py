"""The public service list (公共服务清单): what the portal offers, to whom, and what each needs.

Declared in code so that every line is translatable and links only to pages that exist. A service whose
page is not built yet is listed with how to get it at the service window meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Resident


@dataclass(frozen=True)
class PublicService:
    key: str
    name: Promise
    audience: Promise
    needs: Promise
    legal_basis: Promise
    url_name: str | None = None
    # Given the signed-in user's resident record (or None), whether the service is open to them now.
    open_to: Callable[[Resident | None], bool] = lambda resident: True

    @property
    def url(self) -> str | None:
        return reverse(self.url_name) if self.url_name else None


def _has_profile(resident: Resident | None) -> bool:
    return resident is not None


def _is_adult_with_profile(resident: Resident | None) -> bool:
    return resident is not None and (resident.age or 0) >= 16


SERVICES: tuple[PublicService, ...] = (
    PublicService(
        key="profile",
        name=_("建立居民档案"),
        audience=_("在越城区居住的新居民"),
        needs=_("本人身份证号码、手机号、现居地址"),
        legal_basis=_("浙江省流动人口居住登记条例 第十四条"),
        url_name="residents:profile",
        open_to=lambda resident: resident is None,
    ),
    PublicService(
        key="children",
        name=_("登记随迁子女"),
        audience=_("有未成年子女随行的新居民"),
        needs=_("子女的身份证号码，或出生日期和性别"),
        legal_basis=_("居住证暂行条例 第九条"),
        url_name="residents:child_add",
        open_to=_has_profile,
    ),
    PublicService(
        key="residence_registration",
        name=_("居住登记"),
        audience=_("离开常住户口所在地、在越城区居住的人员"),
        needs=_("身份证、住所证明（租赁合同、房产证明或单位住宿证明）"),
        legal_basis=_("浙江省流动人口居住登记条例 第七条、第十四条"),
        url_name="residents:residence",
        open_to=_has_profile,
    ),
    PublicService(
        key="residence_permit",
        name=_("申领居住证"),
        audience=_("居住登记满半年，且有稳定就业、稳定住所或连续就读之一的人员"),
        needs=_("身份证、照片、住所证明、就业或就读证明"),
        legal_basis=_("居住证暂行条例 第二条、第九条"),
        url_name="permits:permit",
        open_to=_is_adult_with_profile,
    ),
    PublicService(
        key="endorsement",
        name=_("居住证签注"),
        audience=_("持有居住证的人员，每满一年签注一次"),
        needs=_("居住证"),
        legal_basis=_("居住证暂行条例 第十条"),
        url_name="permits:permit",
        open_to=_has_profile,
    ),
    PublicService(
        key="rental_report",
        name=_("出租房屋人来登记、人走注销"),
        audience=_("房东、物业和房屋中介"),
        needs=_("房屋信息、租客身份证号码和入住日期"),
        legal_basis=_("浙江省流动人口居住登记条例 第九条至第十一条"),
        url_name="housing:properties",
    ),
    PublicService(
        key="affordable_housing",
        name=_("保障性租赁住房"),
        audience=_("持有有效居住证、在越城区无自有住房的新居民家庭"),
        needs=_("身份证、居住证、家庭收入证明、无房承诺书"),
        legal_basis=_("国务院办公厅关于加快发展保障性租赁住房的意见"),
        url_name="housing:affordable",
    ),
    PublicService(
        key="points",
        name=_("积分申请"),
        audience=_("持有居住证的新居民"),
        needs=_("居住、就业、社保缴纳等证明"),
        legal_basis=_("浙江省流动人口居住登记条例 第二十八条"),
        url_name="points:table",
        open_to=_has_profile,
    ),
    PublicService(
        key="school_enrolment",
        name=_("随迁子女入学"),
        audience=_("持有有效居住证、子女达到入学年龄的家庭"),
        needs=_("居住证、子女出生证明或户口簿、居住证明、预防接种证"),
        legal_basis=_("义务教育法 第十二条"),
        url_name="education:home",
        open_to=_has_profile,
    ),
    PublicService(
        key="vaccination",
        name=_("儿童预防接种"),
        audience=_("在越城区居住的儿童"),
        needs=_("预防接种证"),
        legal_basis=_("疫苗管理法 第四十七条"),
        open_to=_has_profile,
    ),
    PublicService(
        key="jobs",
        name=_("就业岗位与技能培训"),
        audience=_("所有新居民"),
        needs=_("无"),
        legal_basis=_("浙江省流动人口居住登记条例"),
    ),
)


def services_open_to(resident: Resident | None) -> list[PublicService]:
    return [service for service in SERVICES if service.open_to(resident)]
