"""The case API's serializers: input validates, output shapes."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Case, CaseDocument
from ..selectors import case_document_checklist


class CaseDocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = CaseDocument
        fields = ["id", "kind", "original_name", "mime_type", "size", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, document: CaseDocument) -> str:
        return reverse("cases:case_document", args=[document.pk])



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
