"""Serializers of the residence-permit API: inputs check the shape of a request (the services check the rules),
outputs shape what a client sees. A permit's verify token appears only inside ``verify_url``, what its QR code
shows; nothing else carries it."""

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import CaseChecklistField, CaseDocumentSerializer
from cases.models import Case

from .. import selectors
from ..choices import DeliveryMethod, ReplacementReason
from ..models import Permit

# --- permit applications ------------------------------------------------------------------------------


class PermitApplicationOutputSerializer(serializers.ModelSerializer):
    """A permit application (or a card replacement): its case and what the permit adds to it.

    ``id`` is the case's id: the casework actions (documents, approve, refuse, request-documents, resubmit,
    withdraw) are at ``case_url`` + action.
    """

    case_url = serializers.SerializerMethodField(help_text="The same case in /api/v1/cases/, for its actions.")
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    permit_type = serializers.CharField(source="permit_application.permit_type.key", read_only=True)
    permit_type_name_zh = serializers.CharField(source="permit_application.permit_type.name_zh", read_only=True)
    permit_type_name_en = serializers.CharField(source="permit_application.permit_type.name_en", read_only=True)
    replacement_reason = serializers.CharField(source="permit_application.replacement_reason", read_only=True)
    delivery_method = serializers.CharField(source="permit_application.delivery_method", read_only=True)
    recipient_name = serializers.CharField(source="permit_application.recipient_name", read_only=True)
    recipient_phone = serializers.CharField(source="permit_application.recipient_phone", read_only=True)
    delivery_address = serializers.CharField(source="permit_application.delivery_address", read_only=True)
    courier = serializers.CharField(source="permit_application.courier", read_only=True)
    tracking_number = serializers.CharField(source="permit_application.tracking_number", read_only=True)
    dispatched_at = serializers.DateTimeField(source="permit_application.dispatched_at", read_only=True)
    delivered_at = serializers.DateTimeField(source="permit_application.delivered_at", read_only=True)
    permit = serializers.IntegerField(
        source="permit_application.permit_id", read_only=True, allow_null=True,
        help_text="The permit issued by this application, or the one a replacement replaces.",
    )  # fmt: skip
    permit_number = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "case_url", "reference", "case_type", "applicant", "applicant_name", "status", "status_label",
            "street", "assigned_to", "submitted_at", "due_at", "is_overdue", "notice_sent_at", "missing_documents",
            "notice_note", "decided_at", "decision_reason", "permit_type", "permit_type_name_zh",
            "permit_type_name_en", "replacement_reason", "delivery_method", "recipient_name", "recipient_phone",
            "delivery_address", "courier", "tracking_number", "dispatched_at", "delivered_at", "permit",
            "permit_number", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_case_url(self, case: Case) -> str:
        return reverse("case-detail", args=[case.pk])

    def get_permit_number(self, case: Case) -> str | None:
        permit = case.permit_application.permit
        return permit.number if permit is not None else None


class PermitApplicationDetailOutputSerializer(PermitApplicationOutputSerializer):
    documents = CaseDocumentSerializer(many=True, read_only=True)
    checklist = CaseChecklistField()

    class Meta(PermitApplicationOutputSerializer.Meta):
        fields = [*PermitApplicationOutputSerializer.Meta.fields, "documents", "checklist"]
        read_only_fields = fields


class _DeliveryInputSerializer(serializers.Serializer):
    """How the card reaches the applicant. Express needs a recipient, a phone and an address; the service
    checks that (and the phone's format) and answers on the field."""

    delivery_method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    recipient_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    recipient_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    delivery_address = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PermitApplicationStartInputSerializer(_DeliveryInputSerializer):
    applicant = serializers.IntegerField(help_text="The resident applying: oneself or one's child.")
    permit_type = serializers.SlugField(max_length=40, help_text="A permit type's key, as the eligibility lists.")


class PermitApplicationUpdateInputSerializer(_DeliveryInputSerializer):
    permit_type = serializers.SlugField(max_length=40, required=False, help_text="Only while a draft.")
    delivery_method = serializers.ChoiceField(choices=DeliveryMethod.choices, required=False)


class PermitDispatchInputSerializer(serializers.Serializer):
    courier = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="Express only.")
    tracking_number = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="Express only.")


# --- eligibility --------------------------------------------------------------------------------------


class PermitTypeDocumentSerializer(serializers.Serializer):
    key = serializers.CharField()
    label_zh = serializers.CharField(default="")
    label_en = serializers.CharField(default="")
    required = serializers.BooleanField(default=True)


class PermitTypeOfferSerializer(serializers.Serializer):
    """A permit type open to applications, and whether this applicant may apply for it today."""

    key = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    basis = serializers.CharField()
    description_zh = serializers.CharField()
    description_en = serializers.CharField()
    exempt_from_residence_rule = serializers.BooleanField(help_text="May be applied for before half a year.")
    documents = PermitTypeDocumentSerializer(many=True)
    allowed = serializers.BooleanField()


class PermitEligibilityOutputSerializer(serializers.Serializer):
    applicant = serializers.IntegerField()
    applicant_name = serializers.CharField()
    registered = serializers.BooleanField(help_text="Has a current residence registration in the district.")
    continuous_since = serializers.DateField(allow_null=True)
    eligible_from = serializers.DateField(allow_null=True, help_text="Half a year of residence is met from this day.")
    residence_met = serializers.BooleanField()
    permit_number = serializers.CharField(allow_null=True, help_text="The permit already held, if any.")
    open_application = serializers.IntegerField(allow_null=True, help_text="Id of the application in progress.")
    open_application_reference = serializers.CharField(allow_null=True)
    permit_types = PermitTypeOfferSerializer(many=True)


# --- permits ------------------------------------------------------------------------------------------


class EndorsementWindowSerializer(serializers.Serializer):
    opens = serializers.DateField()
    closes = serializers.DateField()
    open_now = serializers.BooleanField(
        help_text="Today is in the window. After it closes the permit is suspended; a late endorsement restores "
        "it and restarts the continuous-residence count."
    )


class PermitOutputSerializer(serializers.ModelSerializer):
    holder_name = serializers.CharField(source="holder.name", read_only=True)
    holder_id_number = serializers.CharField(source="holder.id_number_masked", read_only=True)
    permit_type = serializers.CharField(source="permit_type.key", read_only=True)
    permit_type_name_zh = serializers.CharField(source="permit_type.name_zh", read_only=True)
    permit_type_name_en = serializers.CharField(source="permit_type.name_en", read_only=True)
    is_valid = serializers.BooleanField(read_only=True, help_text="False once suspended (past valid_until).")
    endorsement_window = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField(help_text="What the card's QR code shows (public verification).")

    class Meta:
        model = Permit
        fields = [
            "id", "number", "holder", "holder_name", "holder_id_number", "permit_type", "permit_type_name_zh",
            "permit_type_name_en", "issued_on", "valid_until", "is_valid", "card_serial", "continuity_restarted_on",
            "endorsement_window", "verify_url",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(EndorsementWindowSerializer)
    def get_endorsement_window(self, permit: Permit) -> dict[str, Any]:
        standing = selectors.endorsement_standing(permit, today=timezone.localdate(), pending=None)
        return {"opens": standing.opens, "closes": standing.closes, "open_now": standing.is_open}

    def get_verify_url(self, permit: Permit) -> str:
        path = reverse("permit_verify", args=[permit.verify_token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class PermitEndorsementSerializer(serializers.Serializer):
    reference = serializers.CharField(source="case.reference")
    applied_on = serializers.DateField()
    late = serializers.BooleanField()
    endorsed_on = serializers.DateField(allow_null=True)
    valid_until_after = serializers.DateField(allow_null=True)
    status = serializers.CharField(source="case.status")
    status_label = serializers.CharField(source="case.get_status_display")


class PermitDetailOutputSerializer(PermitOutputSerializer):
    endorsements = serializers.SerializerMethodField()

    class Meta(PermitOutputSerializer.Meta):
        fields = [*PermitOutputSerializer.Meta.fields, "endorsements"]
        read_only_fields = fields

    @extend_schema_field(PermitEndorsementSerializer(many=True))
    def get_endorsements(self, permit: Permit) -> list[dict[str, Any]]:
        return PermitEndorsementSerializer(selectors.permit_endorsements(permit=permit), many=True).data


class PermitEndorseOutputSerializer(serializers.Serializer):
    """The endorsement case just opened and where it left the permit."""

    id = serializers.IntegerField(help_text="The endorsement case's id in /api/v1/cases/.")
    reference = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    late = serializers.BooleanField()
    valid_until = serializers.DateField(help_text="The permit's validity now (moved once approved).")


class PermitReplacementInputSerializer(_DeliveryInputSerializer):
    reason = serializers.ChoiceField(choices=ReplacementReason.choices)
