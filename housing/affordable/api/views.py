"""The affordable rental housing API (保障性租赁住房).

`/api/v1/housing-projects/` is public: the projects taking applications, each with its open unit types (rent,
size, number of flats, conditions). `/api/v1/housing-applications/` lists the applications the caller may see
(their own and their children's; a caseworker's streets'), each with its place on the waiting list, starts one
(`housing.affordable.services.housing_application_start`), and lets a caseworker offer a flat (`allocate/`) and
record the move-in (`move-in/`). Everything else is the generic casework at `/api/v1/cases/{id}/…` with the same
id. Registered in yuean/urls.py.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.network import client_ip
from cases.api.views import CaseDetailsViewSet, case_details_schema
from cases.choices import CaseStatus
from cases.models import Case
from kernel.api import IdCursorPagination
from kernel.errors import DomainError

from ...models import UnitType
from .. import selectors, services
from .serializers import (
    AllocateInputSerializer,
    HousingApplicationDetailOutputSerializer,
    HousingApplicationOutputSerializer,
    HousingApplicationStartInputSerializer,
    HousingProjectOutputSerializer,
)


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
        return selectors.projects_open()


@case_details_schema(
    output=HousingApplicationOutputSerializer, detail=HousingApplicationDetailOutputSerializer, filters=("unit_type",)
)
class HousingApplicationViewSet(CaseDetailsViewSet):
    """Affordable-housing applications the caller may see, each with its place on the waiting list.

    An applicant starts one for a unit type (a draft, refused without a valid residence permit or while another
    is in progress), then uploads documents and submits it at `/api/v1/cases/{id}/documents/` and `submit/`.
    Caseworkers ask for documents, approve (which puts it on the waiting list) or refuse there too; here they
    offer a flat to the first on the list (`allocate/`) and record the move-in (`move-in/`).
    """

    serializer_class = HousingApplicationOutputSerializer
    detail_serializer_class = HousingApplicationDetailOutputSerializer
    list_filters = {"unit_type": "housing_application__unit_type_id"}
    profile_missing_message = _("请先建立居民档案，再申请保障性租赁住房。")

    def cases_of(self, user: User) -> QuerySet[Case]:
        return selectors.housing_applications(user=user)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=CaseStatus.values, required=False),
            OpenApiParameter("unit_type", OpenApiTypes.INT, required=False),
        ]
    )
    @extend_schema(
        request=HousingApplicationStartInputSerializer, responses={201: HousingApplicationDetailOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        """Start an application (a draft). Its checklist tells which documents to upload before submitting."""
        data = HousingApplicationStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        applicant = self.applicant_for(request, values.pop("applicant", None))
        try:
            unit_type = selectors.unit_type_get(values.pop("unit_type"))
        except UnitType.DoesNotExist as exc:
            raise DomainError("unit_type_unknown", _("没有这个户型，请从项目列表中选择。"), field="unit_type") from exc
        case = services.housing_application_start(
            actor=request.user, applicant=applicant, unit_type=unit_type, ip=client_ip(request), **values
        )
        return self._detail(request, case, code=status.HTTP_201_CREATED)

    @extend_schema(request=AllocateInputSerializer, responses=HousingApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str) -> Response:
        """Offer a flat to an applicant on the waiting list (first come, first served). Caseworkers."""
        case = self.get_object()
        data = AllocateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.housing_application_offer(
            actor=request.user, case=case, ip=client_ip(request), **data.validated_data
        )
        return self._detail(request, case)

    @extend_schema(request=None, responses=HousingApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"], url_path="move-in", url_name="move-in")
    def move_in(self, request: Request, pk: str) -> Response:
        """The family signed the lease and moved in. Caseworkers."""
        case = services.housing_application_move_in(actor=request.user, case=self.get_object(), ip=client_ip(request))
        return self._detail(request, case)
