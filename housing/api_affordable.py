"""The affordable rental housing API (保障性租赁住房).

`/api/v1/housing-projects/` is public: the projects taking applications, each with its open unit types (rent,
size, number of flats, conditions). `/api/v1/housing-applications/` lists the applications the caller may see
(their own and their children's; a caseworker's streets'), each with its place on the waiting list, starts one
(`housing.affordable.housing_application_start`), and lets a caseworker offer a flat (`allocate/`) and record
the move-in (`move-in/`). Everything else is the generic casework at `/api/v1/cases/{id}/…` with the same id.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.network import client_ip
from cases.api.serializers import CaseChecklistField, CaseDocumentSerializer
from cases.choices import CaseStatus
from cases.models import Case
from kernel.api import IdCursorPagination
from kernel.errors import DomainError
from residents import selectors as residents_selectors
from residents.models import Resident

from . import affordable
from .models import HousingProject, UnitType

# --- serializers --------------------------------------------------------------------------------------


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


# --- views --------------------------------------------------------------------------------------------


class ProjectPagination(IdCursorPagination):
    """Projects in the order the administrator published them (a short list: keyset paging all the same)."""

    ordering = ("sort_order", "id")


class HousingProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Affordable rental housing projects taking applications, with their open unit types. Public: they describe
    a service, not people."""

    serializer_class = HousingProjectOutputSerializer
    permission_classes = [AllowAny]
    pagination_class = ProjectPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return affordable.projects_open()


class HousingApplicationViewSet(viewsets.GenericViewSet):
    """Affordable-housing applications the caller may see, each with its place on the waiting list.

    An applicant starts one for a unit type (a draft, refused without a valid residence permit or while another
    is in progress), then uploads documents and submits it at `/api/v1/cases/{id}/documents/` and `submit/`.
    Caseworkers ask for documents, approve (which puts it on the waiting list) or refuse there too; here they
    offer a flat to the first on the list (`allocate/`) and record the move-in (`move-in/`).
    """

    serializer_class = HousingApplicationOutputSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return affordable.housing_applications(user=self.request.user)

    def get_object(self) -> Case:
        try:
            return affordable.housing_application_get(user=self.request.user, pk=int(self.kwargs["pk"]))
        except (Case.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def _detail(self, request: Request, case: Case, *, code: int = status.HTTP_200_OK) -> Response:
        fresh = affordable.housing_application_get(user=request.user, pk=case.pk)
        return Response(HousingApplicationDetailOutputSerializer(fresh).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=CaseStatus.values, required=False),
            OpenApiParameter("unit_type", OpenApiTypes.INT, required=False),
        ]
    )
    def list(self, request: Request) -> Response:
        cases = self.get_queryset()
        if status_filter := request.query_params.get("status"):
            cases = cases.filter(status=status_filter)
        if (unit_type := request.query_params.get("unit_type", "")).isdigit():
            cases = cases.filter(housing_application__unit_type_id=int(unit_type))
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(HousingApplicationOutputSerializer(page, many=True).data)

    @extend_schema(responses=HousingApplicationDetailOutputSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(HousingApplicationDetailOutputSerializer(self.get_object()).data)

    @extend_schema(
        request=HousingApplicationStartInputSerializer, responses={201: HousingApplicationDetailOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        """Start an application (a draft). Its checklist tells which documents to upload before submitting."""
        data = HousingApplicationStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        applicant = self._applicant(request, values.pop("applicant", None))
        try:
            unit_type = affordable.unit_type_get(values.pop("unit_type"))
        except UnitType.DoesNotExist as exc:
            raise DomainError("unit_type_unknown", _("没有这个户型，请从项目列表中选择。"), field="unit_type") from exc
        case = affordable.housing_application_start(
            actor=request.user, applicant=applicant, unit_type=unit_type, ip=client_ip(request), **values
        )
        return self._detail(request, case, code=status.HTTP_201_CREATED)

    def _applicant(self, request: Request, pk: int | None) -> Resident:
        if pk is None:
            own = residents_selectors.resident_of_user(user=request.user)
            if own is None:
                raise DomainError(
                    "resident_profile_missing", _("请先建立居民档案，再申请保障性租赁住房。"), field="applicant"
                )
            return own
        try:
            return residents_selectors.resident_get(user=request.user, pk=pk)
        except Resident.DoesNotExist as exc:
            raise DomainError("applicant_not_found", _("找不到这位申请人。"), field="applicant") from exc

    @extend_schema(request=AllocateInputSerializer, responses=HousingApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str) -> Response:
        """Offer a flat to an applicant on the waiting list (first come, first served). Caseworkers."""
        case = self.get_object()
        data = AllocateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = affordable.housing_application_offer(
            actor=request.user, case=case, ip=client_ip(request), **data.validated_data
        )
        return self._detail(request, case)

    @extend_schema(request=None, responses=HousingApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"], url_path="move-in", url_name="move-in")
    def move_in(self, request: Request, pk: str) -> Response:
        """The family signed the lease and moved in. Caseworkers."""
        case = affordable.housing_application_move_in(actor=request.user, case=self.get_object(), ip=client_ip(request))
        return self._detail(request, case)
