from django.db import models
from django.utils.translation import gettext_lazy as _


class SchoolLevel(models.TextChoices):
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")


class EnrolmentGrade(models.TextChoices):
    """The grades children enter through a round: the first year of primary or of junior secondary school."""

    PRIMARY_1 = "primary_1", _("小学一年级")
    JUNIOR_1 = "junior_1", _("初中一年级")


# Which schools take a grade's new pupils.
GRADE_LEVEL = {EnrolmentGrade.PRIMARY_1: SchoolLevel.PRIMARY, EnrolmentGrade.JUNIOR_1: SchoolLevel.JUNIOR}


class RoundStatus(models.TextChoices):
    """draft → open → allocated → published → closed (education.services moves it; nothing else does)."""

    DRAFT = "draft", _("准备中")
    OPEN = "open", _("受理中")
    ALLOCATED = "allocated", _("已分配")
    PUBLISHED = "published", _("已公布")
    CLOSED = "closed", _("已结束")


class ResultStatus(models.TextChoices):
    """An application's outcome: offered a seat (then confirmed, declined or lapsed), or unplaced."""

    OFFERED = "offered", _("已录取，待确认")
    UNPLACED = "unplaced", _("未录取")
    CONFIRMED = "confirmed", _("已确认入学")
    DECLINED = "declined", _("已放弃")
    LAPSED = "lapsed", _("逾期未确认")


# The results that hold a seat: what a further round cannot give again.
SEAT_HOLDING_RESULTS = (ResultStatus.OFFERED, ResultStatus.CONFIRMED)
# The results whose families may apply in the further round.
FURTHER_ROUND_RESULTS = (ResultStatus.UNPLACED, ResultStatus.DECLINED)


class AllocationRunKind(models.TextChoices):
    PREVIEW = "preview", _("试分配（不生效）")
    FINAL = "final", _("正式分配")


class CatchmentTier(models.IntegerChoices):
    """How near the family lives to a school (education.allocation: lower ranks first)."""

    CATCHMENT = 0, _("学区内")
    SAME_STREET = 1, _("同街道")
    ELSEWHERE = 2, _("其他区域")


class EnrolmentEvent(models.TextChoices):
    """The audit events of school enrolment."""

    ENROLMENT_APPLICATION_CHANGED = "education.application_changed", _("修改入学申请")
    ENROLMENT_ALLOCATION_RUN = "education.allocation_run", _("执行学位分配")
    ENROLMENT_RESULT_PUBLISHED = "education.result_published", _("公布学位分配结果")
    ENROLMENT_OFFER_CONFIRMED = "education.offer_confirmed", _("确认入学")
    ENROLMENT_OFFER_DECLINED = "education.offer_declined", _("放弃学位")
    ENROLMENT_OFFER_LAPSED = "education.offer_lapsed", _("学位逾期未确认")
    ENROLMENT_ROUND_CHANGED = "education.round_changed", _("入学招生轮次变更")
