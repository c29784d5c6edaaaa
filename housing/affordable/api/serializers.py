"""Serializers of the affordable rental housing API (保障性租赁住房): inputs check the shape of a request (the
services check the rules), outputs shape what a client sees of projects, unit types and applications."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from cases.api.serializers import CaseChecklistField, CaseDocumentSerializer
from cases.models import Case

from ...models import HousingProject, UnitType


class UnitTypeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnitType
        fields = [
            "id", "name", "name_en", "rooms", "floor_area", "monthly_rent", "units_total", "eligibility_zh",
            "eligibility_en",
        ]  # fmt: skip
        read_only_fields = fields


class HousingProjectOutputSerializer(serializers.ModelSerializer):
    street_name = serializers.CharField(source="street.name", read_only=True)
    unit_types = UnitTypeOutputSerializer(source="open_unit_types", many=True, read_only=True)

    class Meta:
        model = HousingProject
        fields = ["id", "name", "name_en", "street", "street_name", "address", "description", "description_en",
                  "unit_types"]  # fmt: skip
        read_only_fields = fields


class HousingApplicationOutputSerializer(serializers.ModelSerializer):
    """An application: its case and what housing adds to it.

    ``waiting_position`` / ``waiting_total`` are the place on the unit type's waiting list (first come, first
    served by ``submitted_at``) while the application waits (status "approved"), else null. ``id`` is the case's
    id: documents, submit, approve, refuse and withdraw are at ``case_url`` + action.
    """

    case_url = serializers.SerializerMethodField(help_text="The same case in /api/v1/cases/, for its actions.")
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    unit_type = serializers.IntegerField(source="housing_application.unit_type_id", read_only=True)
    unit_type_name = serializers.CharField(source="housing_application.unit_type.name", read_only=True)
    project = serializers.IntegerField(source="housing_application.unit_type.project_id", read_only=True)
    project_name = serializers.CharField(source="housing_application.unit_type.project.name", read_only=True)
    monthly_rent = serializers.DecimalField(
        source="housing_application.unit_type.monthly_rent", max_digits=8, decimal_places=2, read_only=True
    )
    household_size = serializers.IntegerField(source="housing_application.household_size", read_only=True)
    current_address = serializers.CharField(source="housing_application.current_address", read_only=True)
    offered_unit = serializers.CharField(source="housing_application.offered_unit", read_only=True)
    offered_at = serializers.DateTimeField(source="housing_application.offered_at", read_only=True)
    moved_in_at = serializers.DateTimeField(source="housing_application.moved_in_at", read_only=True)
    waiting_position = serializers.IntegerField(read_only=True, allow_null=True)
    waiting_total = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id", "case_url", "reference", "applicant", "applicant_name", "status", "status_label", "street",
            "submitted_at", "due_at", "notice_sent_at", "missing_documents", "notice_note", "decided_at",
            "decision_reason", "unit_type", "unit_type_name", "project", "project_name", "monthly_rent",
            "household_size", "current_address", "waiting_position", "waiting_total", "offered_unit", "offered_at",
            "moved_in_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_case_url(self, case: Case) -> str:
        return reverse("case-detail", args=[case.pk])


class HousingApplicationDetailOutputSerializer(HousingApplicationOutputSerializer):
    documents = CaseDocumentSerializer(many=True, read_only=True)
    checklist = CaseChecklistField()

    class Meta(HousingApplicationOutputSerializer.Meta):
        fields = [*HousingApplicationOutputSerializer.Meta.fields, "documents", "checklist"]
        read_only_fields = fields


class HousingApplicationStartInputSerializer(serializers.Serializer):
    applicant = serializers.IntegerField(
        required=False, help_text="The resident applying (oneself by default; they must hold a valid permit)."
    )
    unit_type = serializers.IntegerField(help_text="A unit type's id, as /api/v1/housing-projects/ lists them.")
    household_size = serializers.IntegerField(help_text="People in the household, the applicant included.")
    current_address = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AllocateInputSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=60, help_text="The flat offered, e.g. 3 幢 502 室.")
    skip_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True,
        help_text="Needed when the applicant is not first on the waiting list: why those ahead are passed over.",
    )  # fmt: skip
