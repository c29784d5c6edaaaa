"""Residence permits (居住证): the types the district issues, the permits, and what a permit application or an
endorsement adds to its case.

The tables keep the names they were created with (``residents_permit``…): the models moved here from
residents without moving any data (docs/adr/0012).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from residents.models import Resident, ResidentScopedQuerySet

from .choices import DeliveryMethod, PermitBasis, ReplacementReason


class PermitType(models.Model):
    """A kind of residence permit the district issues, with what it asks for. Administrators edit these
    (the district's own table is not published); the defaults come from migration 0007.

    ``documents`` lists {"key", "label_zh", "label_en", "required"}; ``exempt_from_residence_rule`` lets a
    type (talent) be applied for before half a year of registered residence.
    """

    key = models.SlugField(_("标识"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称（中文）"), max_length=60)
    name_en = models.CharField(_("名称（英文）"), max_length=100)
    basis = models.CharField(_("申领条件"), max_length=16, choices=PermitBasis.choices)
    description_zh = models.CharField(_("说明（中文）"), max_length=300, blank=True)
    description_en = models.CharField(_("说明（英文）"), max_length=300, blank=True)
    exempt_from_residence_rule = models.BooleanField(_("不受居住满半年限制"), default=False)
    documents = models.JSONField(_("所需材料"), default=list)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("受理中"), default=True)

    class Meta:
        db_table = "residents_permittype"  # created in residents, before the move (ADR 0012)
        verbose_name = _("居住证类型")
        verbose_name_plural = _("居住证类型")
        ordering = ["sort_order", "key"]

    def __str__(self) -> str:
        return self.name_zh



class PermitQuerySet(ResidentScopedQuerySet):
    resident_path = "holder"
    # A permit follows its holder: the caseworkers of the street where the holder is registered now serve it.
    street_path = "holder__street"

    def valid_on(self, day: datetime.date) -> PermitQuerySet:
        return self.filter(valid_until__gte=day)

    def lapsed_on(self, day: datetime.date) -> PermitQuerySet:
        return self.filter(valid_until__lt=day)



class Permit(models.Model):
    """A residence permit (居住证) issued to a resident.

    Validity is one date: ``valid_until``, the day before the next anniversary of issue. Endorsing (签注) in
    the month before moves it on a year; when the day passes without one, the permit is suspended (使用功能中止,
    条例 art. 10) simply by being past it, so no job has to flip a status on time. A late endorsement restores
    it and records the day from which continuous residence counts again (``continuity_restarted_on``).

    A replacement card (补领、换领) keeps the number and gets a new ``verify_token``: the QR code of a lost card
    stops verifying.
    """

    number = models.CharField(_("居住证号码"), max_length=24, unique=True, null=True, editable=False)  # noqa: DJ001
    # Indexed by the one-per-holder constraint.
    holder = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="permits", verbose_name=_("持证人"), db_index=False
    )
    permit_type = models.ForeignKey(PermitType, on_delete=models.PROTECT, related_name="+", verbose_name=_("类型"))
    application = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="issued_permit", verbose_name=_("申领申请")
    )
    issued_on = models.DateField(_("签发日期"))
    valid_until = models.DateField(_("有效期至"))
    continuity_restarted_on = models.DateField(_("连续居住重新起算日"), null=True, blank=True)
    card_serial = models.PositiveSmallIntegerField(_("卡片序号"), default=1)
    verify_token = models.CharField(_("核验码"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = PermitQuerySet.as_manager()

    class Meta:
        db_table = "residents_permit"  # created in residents, before the move (ADR 0012)
        verbose_name = _("居住证")
        verbose_name_plural = _("居住证")
        constraints = [
            # One permit per person: a lost card is replaced, a lapsed one endorsed late, never issued twice.
            models.UniqueConstraint(fields=["holder"], name="permit_one_per_holder"),
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("issued_on")), name="permit_valid_after_issue"),
        ]
        indexes = [
            # The endorsement reminders and the lapse notices pick permits by the day their year ends.
            models.Index(fields=["valid_until"], name="permit_valid_until"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_until >= day

    @property
    def is_valid(self) -> bool:
        return self.is_valid_on(timezone.localdate())



# How the card reaches the applicant: what the applicant answers, on the page and through the API.
DELIVERY_FIELDS = ("delivery_method", "recipient_name", "recipient_phone", "delivery_address")


class PermitApplication(models.Model):
    """What a permit application (case type "permit") or a replacement ("permit_replacement") adds to its Case:
    the permit type, how the card reaches the applicant, and the courier's tracking once it is sent."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="permit_application", verbose_name=_("申请")
    )
    permit_type = models.ForeignKey(PermitType, on_delete=models.PROTECT, related_name="+", verbose_name=_("类型"))
    # The type's checklist as it stood when the applicant chose the type: an administrator's later edit
    # neither adds a demand to an application under way nor strands a document a notice asked for.
    documents = models.JSONField(_("所需材料"), default=list, blank=True)
    # The permit issued by this application, or the one a replacement replaces.
    permit = models.ForeignKey(
        Permit, on_delete=models.PROTECT, null=True, blank=True, related_name="applications", verbose_name=_("居住证")
    )
    replacement_reason = models.CharField(_("补领原因"), max_length=16, choices=ReplacementReason.choices, blank=True)
    delivery_method = models.CharField(_("领取方式"), max_length=16, choices=DeliveryMethod.choices)
    recipient_name = models.CharField(_("收件人"), max_length=64, blank=True)
    recipient_phone = models.CharField(_("收件人电话"), max_length=20, blank=True)
    delivery_address = models.CharField(_("收件地址"), max_length=200, blank=True)
    courier = models.CharField(_("快递公司"), max_length=40, blank=True)
    tracking_number = models.CharField(_("快递单号"), max_length=40, blank=True)
    dispatched_at = models.DateTimeField(_("寄出 / 待领时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达 / 领取时间"), null=True, blank=True)

    class Meta:
        db_table = "residents_permitapplication"  # created in residents, before the move (ADR 0012)
        verbose_name = _("居住证申请信息")
        verbose_name_plural = _("居住证申请信息")
        constraints = [
            models.CheckConstraint(
                condition=~Q(delivery_method=DeliveryMethod.EXPRESS)
                | (~Q(recipient_name="") & ~Q(recipient_phone="") & ~Q(delivery_address="")),
                name="permit_express_has_address",
            ),
        ]

    def __str__(self) -> str:
        return str(self.case)



class PermitEndorsement(models.Model):
    """One yearly endorsement (签注) of a permit: the case that asked for it and what it did.

    ``late`` endorsements (asked for after the permit's year had ended) restore a suspended permit and restart
    the continuous-residence count from ``applied_on`` (条例 art. 10; 浙江条例 art. 19).
    """

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="endorsement", verbose_name=_("申请")
    )
    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="endorsements", verbose_name=_("居住证"))
    applied_on = models.DateField(_("申请日期"))
    # The valid_until the permit had when this was asked for: the year it extends.
    year_ending = models.DateField(_("原有效期至"))
    late = models.BooleanField(_("逾期补办"), default=False)
    endorsed_on = models.DateField(_("签注日期"), null=True, blank=True)
    valid_until_after = models.DateField(_("签注后有效期至"), null=True, blank=True)
    automatic = models.BooleanField(_("系统自动签注"), default=False)

    class Meta:
        db_table = "residents_permitendorsement"  # created in residents, before the move (ADR 0012)
        verbose_name = _("居住证签注")
        verbose_name_plural = _("居住证签注")
        indexes = [models.Index(fields=["permit", "-applied_on"], name="endorsement_permit_newest")]

    def __str__(self) -> str:
        return str(self.case)
