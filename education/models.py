"""School enrolment of migrant children (随迁子女入学): schools, enrolment rounds with their seats, applications
with their ranked schools, and the allocation's runs, cut-offs and results.

Schools and rounds are configuration an administrator edits (defaults loaded by migration 0002). An application
is a Case of type "school_enrolment" (education.casetype) whose applicant is the child; what the case does not
hold lives in EnrolmentApplication. The allocation itself is education.allocation (pure Python); the services
build its input from these rows and store what it decided.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import is_administrator, is_staff_reviewer
from residents.choices import RegionKind
from residents.models import Region, Resident, ResidentScopedQuerySet

from .choices import (
    GRADE_LEVEL,
    AllocationRunKind,
    CatchmentTier,
    EnrolmentGrade,
    ResultStatus,
    RoundStatus,
    SchoolLevel,
)

DEFAULT_MAX_PREFERENCES = 5
# A round lists at most this many schools per family: more is no longer a choice a parent can weigh.
MAX_PREFERENCES_LIMIT = 20


class SchoolQuerySet(models.QuerySet["School"]):
    def active(self) -> SchoolQuerySet:
        return self.filter(is_active=True)


class School(models.Model):
    """A public primary or junior secondary school that takes migrant children, with its catchment (学区): the
    communities whose families rank first for it. Schools are public information."""

    name = models.CharField(_("校名"), max_length=100, unique=True)
    name_en = models.CharField(_("校名（英文）"), max_length=150, blank=True)
    level = models.CharField(_("学段"), max_length=16, choices=SchoolLevel.choices)
    street = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", limit_choices_to={"kind": RegionKind.STREET},
        verbose_name=_("所在街道"),
    )  # fmt: skip
    address = models.CharField(_("地址"), max_length=200)
    catchment_communities = models.ManyToManyField(
        Region, blank=True, related_name="catchment_schools", limit_choices_to={"kind": RegionKind.COMMUNITY},
        verbose_name=_("学区（社区）"),
    )  # fmt: skip
    is_active = models.BooleanField(_("招生中"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = SchoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("学校")
        verbose_name_plural = _("学校")
        ordering = ["level", "sort_order", "id"]
        indexes = [models.Index(fields=["level", "is_active", "sort_order"], name="school_level_active")]

    def __str__(self) -> str:
        return self.name


class EnrolmentRoundQuerySet(models.QuerySet["EnrolmentRound"]):
    def visible_to(self, user) -> EnrolmentRoundQuerySet:  # type: ignore[no-untyped-def]
        """A round is public once it opens (its calendar, seats and, when published, cut-offs describe a
        service); a draft is seen by administrators only."""
        if user.is_active and is_administrator(user):
            return self.all()
        return self.exclude(status=RoundStatus.DRAFT)


class EnrolmentRound(models.Model):
    """One year's enrolment of a grade (e.g. 2027 primary grade 1), with its age rule, its calendar and the
    lottery seed recorded when it is allocated. A further round (补录) names the round whose unplaced and
    declined families it serves and offers the seats that round left.

    The calendar, as parents see it: applications (and documents) from ``applications_open_on`` to
    ``applications_close_on``; caseworkers check documents until ``documents_check_end_on``; objections to a
    refusal until ``objections_end_on``; schools may be ranked until ``preferences_close_on``; seats are
    allocated on or after ``allocation_on``; offers are confirmed until ``confirmation_end_on``.
    """

    year = models.PositiveSmallIntegerField(_("入学年份"))
    grade = models.CharField(_("年级"), max_length=16, choices=EnrolmentGrade.choices)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英文）"), max_length=150, blank=True)
    born_on_or_after = models.DateField(_("出生日期不早于"))
    born_on_or_before = models.DateField(_("出生日期不晚于"), help_text=_("例如一年级：入学当年 8 月 31 日前满 6 周岁"))
    max_preferences = models.PositiveSmallIntegerField(_("最多填报志愿数"), default=DEFAULT_MAX_PREFERENCES)
    applications_open_on = models.DateField(_("报名开始"))
    applications_close_on = models.DateField(_("报名截止"))
    documents_check_end_on = models.DateField(_("材料审核截止"))
    objections_end_on = models.DateField(_("异议截止"))
    preferences_close_on = models.DateField(_("志愿填报截止"))
    allocation_on = models.DateField(_("学位分配日"))
    confirmation_end_on = models.DateField(_("确认入学截止"))
    status = models.CharField(
        _("状态"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT, editable=False
    )
    # Drawn with `secrets` when the round is allocated, and published: anyone can recompute every lottery number.
    seed = models.CharField(_("抽签种子"), max_length=64, blank=True, editable=False)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="further_rounds", editable=False,
        verbose_name=_("补录自"),
    )  # fmt: skip
    opened_at = models.DateTimeField(_("开始受理时间"), null=True, blank=True, editable=False)
    allocated_at = models.DateTimeField(_("分配时间"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = EnrolmentRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("招生轮次")
        verbose_name_plural = _("招生轮次")
        ordering = ["-year", "grade", "applications_open_on", "id"]
        constraints = [
            # One first round per year and grade; further rounds name the one they follow, one each.
            models.UniqueConstraint(
                fields=["year", "grade"], condition=Q(previous__isnull=True), name="round_one_first_per_grade"
            ),
            models.UniqueConstraint(fields=["previous"], name="round_one_further_each"),
            models.CheckConstraint(condition=Q(born_on_or_after__lte=F("born_on_or_before")), name="round_age_order"),
            models.CheckConstraint(
                condition=Q(max_preferences__gte=1, max_preferences__lte=MAX_PREFERENCES_LIMIT),
                name="round_max_preferences_range",
            ),
            models.CheckConstraint(
                condition=Q(applications_open_on__lte=F("applications_close_on"))
                & Q(applications_close_on__lte=F("documents_check_end_on"))
                & Q(documents_check_end_on__lte=F("objections_end_on"))
                & Q(objections_end_on__lte=F("preferences_close_on"))
                & Q(preferences_close_on__lt=F("allocation_on"))
                & Q(allocation_on__lte=F("confirmation_end_on")),
                name="round_calendar_order",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[RoundStatus.DRAFT, RoundStatus.OPEN]) | ~Q(seed=""), name="round_allocated_seed"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def school_level(self) -> str:
        return GRADE_LEVEL[EnrolmentGrade(self.grade)]

    @property
    def is_further_round(self) -> bool:
        return self.previous_id is not None

    def accepts_applications_on(self, day: datetime.date) -> bool:
        return self.status == RoundStatus.OPEN and self.applications_open_on <= day <= self.applications_close_on

    def accepts_preferences_on(self, day: datetime.date) -> bool:
        return self.status == RoundStatus.OPEN and self.applications_open_on <= day <= self.preferences_close_on

    def accepts_confirmations_on(self, day: datetime.date) -> bool:
        return self.status in (RoundStatus.ALLOCATED, RoundStatus.PUBLISHED) and day <= self.confirmation_end_on

    def admits_birth_date(self, birth_date: datetime.date) -> bool:
        return self.born_on_or_after <= birth_date <= self.born_on_or_before


class RoundSchool(models.Model):
    """The seats a school opens to migrant children in a round (a school absent from a round takes none)."""

    round = models.ForeignKey(
        EnrolmentRound, on_delete=models.CASCADE, related_name="school_seats", verbose_name=_("招生轮次")
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="round_seats", verbose_name=_("学校"))
    seats = models.PositiveIntegerField(_("随迁子女学位数"))

    class Meta:
        verbose_name = _("学位计划")
        verbose_name_plural = _("学位计划")
        ordering = ["round", "school__sort_order", "school_id"]
        constraints = [models.UniqueConstraint(fields=["round", "school"], name="round_school_unique")]

    def __str__(self) -> str:
        return f"{self.school} · {self.seats}"


class EnrolmentApplicationQuerySet(ResidentScopedQuerySet):
    """Case visibility (residents.models.resident_scope): the child's guardians (and the child), the caseworkers of
    the street the case was submitted in, administrators. The child is the case's applicant, kept here too."""

    resident_path = "child"
    street_path = "case__street"

    def current(self) -> EnrolmentApplicationQuerySet:
        return self.filter(is_current=True)


class EnrolmentApplication(models.Model):
    """What an enrolment application (a Case of type "school_enrolment" whose applicant is the child) adds to its
    case: the round, the guardian whose residence permit and points count, and the ranked schools (preferences).
    What the allocation counted and gave (the family's points and community as they were then, the school, the
    reason) is its EnrolmentResult, written in bulk when the round runs.

    ``is_current`` is false once the case is withdrawn or refused, so the child may apply again in the round
    (one current application per child and round).
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="enrolment_application",
        verbose_name=_("申请"),
    )  # fmt: skip
    round = models.ForeignKey(
        EnrolmentRound, on_delete=models.PROTECT, related_name="applications", verbose_name=_("招生轮次")
    )
    # The case's applicant, kept here for the one-application rule and the round's reads.
    child = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="enrolment_applications", verbose_name=_("子女"),
        db_index=False,
    )  # fmt: skip
    guardian = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="enrolment_applications_as_guardian",
        verbose_name=_("监护人（居住证持有人）"),
    )  # fmt: skip
    # A further round's application follows the one that was unplaced or declined.
    follows = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="followed_by",
        verbose_name=_("上一轮申请"),
    )  # fmt: skip
    is_current = models.BooleanField(_("有效"), default=True)
    preferences_changed_at = models.DateTimeField(_("志愿修改时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = EnrolmentApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("入学申请")
        verbose_name_plural = _("入学申请")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "child"], condition=Q(is_current=True), name="enrolment_one_per_child_round"
            ),
            models.CheckConstraint(condition=~Q(child=F("guardian")), name="enrolment_guardian_not_child"),
        ]
        indexes = [
            # The child's applications, and "has this child applied in the round" (the reminders' anti-join).
            models.Index(fields=["child", "round"], name="enrolment_child_round"),
            models.Index(fields=["round", "is_current"], name="enrolment_round_current"),
        ]

    def __str__(self) -> str:
        return str(self.case)


class EnrolmentPreference(models.Model):
    """One school an application ranks: rank 1 is the most wanted."""

    # The unique (application, rank) constraint's index serves lookups by application; the school's own index
    # serves "who ranked this school". No third index: every family's saved ranking would write it for nothing.
    application = models.ForeignKey(
        EnrolmentApplication,
        on_delete=models.CASCADE,
        related_name="preferences",
        verbose_name=_("入学申请"),
        db_index=False,
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    rank = models.PositiveSmallIntegerField(_("志愿顺序"))

    class Meta:
        verbose_name = _("志愿")
        verbose_name_plural = _("志愿")
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="preference_rank_unique"),
            models.UniqueConstraint(fields=["application", "school"], name="preference_school_unique"),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=MAX_PREFERENCES_LIMIT), name="preference_rank_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.school}"


class AllocationRunQuerySet(models.QuerySet["AllocationRun"]):
    def visible_to(self, user) -> AllocationRunQuerySet:  # type: ignore[no-untyped-def]
        """Runs (a preview's cut-offs before anything is published included) are the office's: caseworkers and
        administrators. The public reads a published round's cut-offs through education.selectors."""
        return self.all() if user.is_active and is_staff_reviewer(user) else self.none()


class AllocationRun(models.Model):
    """One run of the allocation over a round: a preview (a dry run that changes nothing) or the final run.
    Records its seed, who ran it and when, and its figures; its per-school cut-offs are AllocationCutoff rows."""

    round = models.ForeignKey(
        EnrolmentRound, on_delete=models.PROTECT, related_name="allocation_runs", verbose_name=_("招生轮次")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=AllocationRunKind.choices)
    seed = models.CharField(_("抽签种子"), max_length=64)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("操作人"),
    )  # fmt: skip
    run_at = models.DateTimeField(_("运行时间"), default=timezone.now)
    applicants = models.PositiveIntegerField(_("参与分配人数"), default=0)
    placed = models.PositiveIntegerField(_("录取人数"), default=0)
    unplaced = models.PositiveIntegerField(_("未录取人数"), default=0)
    # By choice rank, cases left out (still awaiting a decision), timings: see services._run_stats.
    stats = models.JSONField(_("统计"), default=dict, blank=True)

    objects = AllocationRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("分配记录")
        verbose_name_plural = _("分配记录")
        ordering = ["-run_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round"], condition=Q(kind=AllocationRunKind.FINAL), name="allocation_one_final_run"
            ),
            models.CheckConstraint(condition=~Q(seed=""), name="allocation_run_has_seed"),
        ]
        indexes = [models.Index(fields=["round", "kind", "-run_at"], name="allocation_run_round")]

    def __str__(self) -> str:
        return f"{self.round} · {self.get_kind_display()} · {timezone.localtime(self.run_at):%Y-%m-%d %H:%M}"


class AllocationCutoff(models.Model):
    """A school's seat use in one run and, when it filled up, the priority of the last child it admitted (its
    cut-off, 录取线): tier, then points, then lottery number."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="cutoffs", verbose_name=_("分配记录"))
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校"))
    seats = models.PositiveIntegerField(_("学位数"))
    seats_used = models.PositiveIntegerField(_("已录取"))
    is_full = models.BooleanField(_("已录满"))
    last_tier = models.PositiveSmallIntegerField(
        _("最后录取档次"), choices=CatchmentTier.choices, null=True, blank=True
    )
    last_points = models.DecimalField(_("最后录取积分"), max_digits=8, decimal_places=2, null=True, blank=True)
    last_lottery = models.CharField(_("最后录取抽签号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("录取线")
        verbose_name_plural = _("录取线")
        ordering = ["run", "school__sort_order", "school_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "school"], name="cutoff_run_school_unique"),
            models.CheckConstraint(condition=Q(seats_used__lte=F("seats")), name="cutoff_within_seats"),
            models.CheckConstraint(
                condition=Q(is_full=False) | Q(last_tier__isnull=False, last_points__isnull=False),
                name="cutoff_full_has_last",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.seats_used}/{self.seats}"


class EnrolmentResultQuerySet(ResidentScopedQuerySet):
    """Results follow their application (the Case's visibility)."""

    resident_path = "application__child"
    street_path = "application__case__street"


class EnrolmentResult(models.Model):
    """What the final allocation gave an application, and the family's answer.

    ``tier``, ``points`` and ``lottery`` are the child's priority at the school allocated (or, unplaced, the
    points and lottery number that counted everywhere). ``points``, ``points_reference``,
    ``points_rule_set_version`` and ``community`` are the snapshot of the family the allocation used: the
    guardian's verified score (0 without an eligible one) and current residence community that day.
    ``reason_zh`` / ``reason_en`` are written from the allocation's explanation when it runs and never change
    afterwards: what the family was told stays true. An offer is confirmed or declined by the family until the
    round's confirmation ends, or lapses then.
    """

    application = models.OneToOneField(
        EnrolmentApplication, on_delete=models.CASCADE, primary_key=True, related_name="result",
        verbose_name=_("入学申请"),
    )  # fmt: skip
    round = models.ForeignKey(EnrolmentRound, on_delete=models.PROTECT, related_name="+", verbose_name=_("招生轮次"))
    run = models.ForeignKey(AllocationRun, on_delete=models.PROTECT, related_name="results", verbose_name=_("分配记录"))
    status = models.CharField(_("结果"), max_length=16, choices=ResultStatus.choices)
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("录取学校")
    )
    choice_rank = models.PositiveSmallIntegerField(_("录取志愿"), null=True, blank=True)
    tier = models.PositiveSmallIntegerField(_("档次"), choices=CatchmentTier.choices, null=True, blank=True)
    points = models.DecimalField(_("分配时积分"), max_digits=8, decimal_places=2)
    points_reference = models.CharField(_("积分核定编号"), max_length=64, blank=True)
    points_rule_set_version = models.CharField(_("积分规则版本"), max_length=32, blank=True)
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("分配时居住社区")
    )
    lottery = models.CharField(_("抽签号"), max_length=64)
    reason_zh = models.TextField(_("结果说明"))
    reason_en = models.TextField(_("结果说明（英文）"))
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("答复人"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = EnrolmentResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("录取结果")
        verbose_name_plural = _("录取结果")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=ResultStatus.UNPLACED) & Q(school__isnull=True, choice_rank__isnull=True))
                | (~Q(status=ResultStatus.UNPLACED) & Q(school__isnull=False, choice_rank__gte=1)),
                name="result_school_iff_placed",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ResultStatus.CONFIRMED, ResultStatus.DECLINED])
                | Q(responded_at__isnull=False),
                name="result_answer_has_time",
            ),
        ]
        indexes = [
            # Seats still held at a school (the further round's arithmetic) and the offers to lapse or remind.
            models.Index(fields=["round", "school", "status"], name="result_round_school_status"),
            models.Index(fields=["round", "status"], name="result_round_status"),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_status_display()}"
