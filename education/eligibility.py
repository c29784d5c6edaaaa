"""Who may apply for a school place in a round, as checks that refuse with what to do instead.

Used when an application starts (education.services.enrolment_application_start) and again when it is
submitted (the case type's check_submit): a permit may lapse, or the window close, in between.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError
from permits.services import permit_require_valid
from residents.models import GuardianLink, Resident

from .choices import RoundStatus
from .models import EnrolmentRound


def check_round_takes_applications(enrolment_round: EnrolmentRound, today: datetime.date) -> None:
    """The round is open and today is within its application window."""
    if enrolment_round.status != RoundStatus.OPEN:
        raise DomainError(
            "round_not_open", _("“%(round)s”现在不受理报名。") % {"round": enrolment_round.name}, field="round",
            conflict=True,
        )  # fmt: skip
    if today < enrolment_round.applications_open_on:
        raise DomainError(
            "applications_not_open",
            _("“%(round)s”从 %(date)s 开始报名，请到时再来。")
            % {"round": enrolment_round.name, "date": enrolment_round.applications_open_on.isoformat()},
            field="round",
        )
    if today > enrolment_round.applications_close_on:
        raise DomainError(
            "applications_closed",
            _("“%(round)s”的报名已于 %(date)s 截止。如有特殊情况，请到街道新居民服务窗口咨询。")
            % {"round": enrolment_round.name, "date": enrolment_round.applications_close_on.isoformat()},
            field="round", conflict=True,
        )  # fmt: skip


def check_guardian_of(guardian: Resident, child: Resident) -> None:
    """The child is in the guardian's care (a GuardianLink), as the residents' record says."""
    if not GuardianLink.objects.filter(guardian=guardian, child=child).exists():
        raise DomainError(
            "not_guardian",
            _("%(child)s 不在您的子女名单中。请先在“我的”页面添加子女；已有档案的孩子请到社区服务窗口办理关联。")
            % {"child": child.name},
            field="child",
        )


def check_guardian_permit(guardian: Resident, today: datetime.date) -> None:
    """The guardian holds a residence permit valid today (随迁子女入学 is for holders of a valid 居住证)."""
    permit_require_valid(guardian, service=_("为孩子申请入学，父母（监护人）"), today=today, field="guardian")


def check_child_age(enrolment_round: EnrolmentRound, child: Resident) -> None:
    """The child's birth date is within the round's bounds (e.g. grade 1: six by 31 August)."""
    if child.birth_date is None:
        raise DomainError(
            "birth_date_missing", _("孩子的档案里没有出生日期，请先补充孩子的身份证号码或出生日期。"), field="child"
        )
    if child.birth_date > enrolment_round.born_on_or_before:
        raise DomainError(
            "child_too_young",
            _("“%(round)s”招收 %(after)s 至 %(before)s 出生的孩子。%(child)s 出生于 %(birth)s，今年还不到入学年龄。")
            % _age_facts(enrolment_round, child),
            field="child",
        )
    if child.birth_date < enrolment_round.born_on_or_after:
        raise DomainError(
            "child_too_old",
            _("“%(round)s”招收 %(after)s 至 %(before)s 出生的孩子。%(child)s 出生于 %(birth)s，超出了本轮的年龄范围，"
              "请到街道新居民服务窗口咨询插班或其他年级。") % _age_facts(enrolment_round, child),
            field="child",
        )  # fmt: skip


def _age_facts(enrolment_round: EnrolmentRound, child: Resident) -> dict[str, str]:
    return {
        "round": enrolment_round.name, "after": enrolment_round.born_on_or_after.isoformat(),
        "before": enrolment_round.born_on_or_before.isoformat(), "child": child.name,
        "birth": child.birth_date.isoformat() if child.birth_date else "",
    }  # fmt: skip
