from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import Education, Gender, GuardianRelation, RegionKind, RegistrationBasis
from ..models import Case, CaseDocument, Region, ResidenceRegistration, Resident
from ..selectors import case_document_checklist


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "kind", "parent"]


class ResidentOutputSerializer(serializers.ModelSerializer):
    """A resident as shown to anyone allowed to see them: the ID number only ever masked."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    hukou_province_name = serializers.CharField(read_only=True)
    is_archived = serializers.BooleanField(read_only=True)
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id", "name", "id_number", "gender", "birth_date", "hukou_province", "hukou_province_name",
            "hukou_address", "phone", "education", "community", "street", "address", "arrival_date",
            "is_archived", "has_login", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_login(self, resident: Resident) -> bool:
        return resident.user_id is not None


class _ProfileFieldsSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    hukou_address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    education = serializers.ChoiceField(choices=Education.choices, required=False, allow_blank=True)
    community = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.filter(kind=RegionKind.COMMUNITY), required=False, allow_null=True
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    arrival_date = serializers.DateField(required=False, allow_null=True)


class ResidentCreateInputSerializer(_ProfileFieldsSerializer):
    name = serializers.CharField(max_length=64)
    id_number = serializers.CharField(max_length=32, write_only=True)


class ResidentUpdateInputSerializer(_ProfileFieldsSerializer):
    name = serializers.CharField(max_length=64, required=False)
    id_number = serializers.CharField(max_length=32, required=False, write_only=True)


class ChildCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    relation = serializers.ChoiceField(choices=GuardianRelation.choices)
    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True, write_only=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)


class IdNumberRevealOutputSerializer(serializers.Serializer):
    id_number = serializers.CharField()


class CaseDocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = CaseDocument
        fields = ["id", "kind", "original_name", "mime_type", "size", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, document: CaseDocument) -> str:
        return reverse("residents:case_document", args=[document.pk])


class DocumentChecklistItemSerializer(serializers.Serializer):
    """One document the application asks for, with what has been uploaded for it."""

    key = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    help_text = serializers.CharField()
    requested = serializers.BooleanField(help_text="Listed in the missing-documents notice.")
    uploaded = CaseDocumentSerializer(many=True)


@extend_schema_field(DocumentChecklistItemSerializer(many=True))
class CaseChecklistField(serializers.Field):
    """The case's document checklist (selectors.case_document_checklist), for any case-based detail."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, case: Case) -> list[dict[str, Any]]:
        return DocumentChecklistItemSerializer(case_document_checklist(case=case), many=True).data


class CaseOutputSerializer(serializers.ModelSerializer):
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id", "reference", "case_type", "applicant", "applicant_name", "status", "status_label", "street",
            "assigned_to", "submitted_at", "due_at", "is_overdue", "notice_sent_at", "missing_documents",
            "notice_note", "decided_at", "decision_reason", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CaseDetailOutputSerializer(CaseOutputSerializer):
    documents = CaseDocumentSerializer(many=True, read_only=True)

    class Meta(CaseOutputSerializer.Meta):
        fields = [*CaseOutputSerializer.Meta.fields, "documents"]
        read_only_fields = fields


class CaseOpenInputSerializer(serializers.Serializer):
    case_type = serializers.CharField(max_length=40)
    applicant = serializers.IntegerField(help_text="The resident applying: oneself or one's child.")


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class RequestDocumentsInputSerializer(serializers.Serializer):
    missing = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class AssignInputSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, help_text="User id of a caseworker; null to unassign.")


class DocumentUploadInputSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=40)
    file = serializers.FileField()


class ResidenceRegistrationOutputSerializer(serializers.ModelSerializer):
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = ResidenceRegistration
        fields = [
            "id", "resident", "community", "street", "address", "basis", "started_on", "ended_on", "end_reason",
            "is_current", "registered_at",
        ]  # fmt: skip
        read_only_fields = fields


class ResidenceRegistrationInputSerializer(serializers.Serializer):
    resident = serializers.IntegerField(help_text="The resident registering: oneself or one's child.")
    community = serializers.PrimaryKeyRelatedField(queryset=Region.objects.filter(kind=RegionKind.COMMUNITY))
    address = serializers.CharField(max_length=200)
    basis = serializers.ChoiceField(choices=RegistrationBasis.choices)
    started_on = serializers.DateField()


class ResidenceEndInputSerializer(serializers.Serializer):
    ended_on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
