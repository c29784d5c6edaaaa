"""The case API: /api/v1/cases/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.network import client_ip
from kernel.errors import DomainError
from residents import selectors as residents_selectors
from residents.models import Resident

from .. import selectors, services
from ..choices import CaseStatus
from ..models import Case
from .serializers import (
    AssignInputSerializer,
    CaseDetailOutputSerializer,
    CaseDocumentSerializer,
    CaseOpenInputSerializer,
    CaseOutputSerializer,
    DocumentUploadInputSerializer,
    ReasonInputSerializer,
    RequestDocumentsInputSerializer,
)


class CaseViewSet(viewsets.GenericViewSet):
    """Applications the caller may see: their own and their children's; a caseworker's streets'.

    Applicants open, upload, submit, resubmit and withdraw; caseworkers assign, ask for documents (once),
    approve and refuse. Every action is the same service the pages and the console call.
    """

    serializer_class = CaseOutputSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.case_list(user=self.request.user)

    def get_object(self) -> Case:
        try:
            return selectors.case_get_by_id(user=self.request.user, pk=int(self.kwargs["pk"]))
        except (Case.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def list(self, request: Request) -> Response:
        cases = self.get_queryset()
        if status_filter := request.query_params.get("status"):
            cases = cases.filter(status=status_filter)
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(CaseOutputSerializer(page, many=True).data)

    @extend_schema(responses=CaseDetailOutputSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        return Response(CaseDetailOutputSerializer(case).data)

    @extend_schema(request=CaseOpenInputSerializer, responses={201: CaseOutputSerializer})
    def create(self, request: Request) -> Response:
        data = CaseOpenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            applicant = residents_selectors.resident_get(user=request.user, pk=data.validated_data["applicant"])
        except Resident.DoesNotExist as exc:
            raise DomainError("applicant_not_found", _("找不到这位申请人。"), field="applicant") from exc
        case = services.case_start(
            actor=request.user, case_type=data.validated_data["case_type"], applicant=applicant, ip=client_ip(request)
        )
        return Response(CaseOutputSerializer(case).data, status=status.HTTP_201_CREATED)

    def _act(self, request: Request, service, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        case = service(actor=request.user, case=self.get_object(), ip=client_ip(request), **kwargs)
        return Response(CaseOutputSerializer(case).data)

    @extend_schema(request=None, responses=CaseOutputSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._act(request, services.case_submit)

    @extend_schema(request=None, responses=CaseOutputSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: str) -> Response:
        return self._act(request, services.case_resubmit)

    @extend_schema(request=ReasonInputSerializer, responses=CaseOutputSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(request, services.case_withdraw, reason=data.validated_data.get("reason", ""))

    @extend_schema(request=None, responses=CaseOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._act(request, services.case_approve)

    @extend_schema(request=ReasonInputSerializer, responses=CaseOutputSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str) -> Response:
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(request, services.case_refuse, reason=data.validated_data.get("reason", ""))

    @extend_schema(request=RequestDocumentsInputSerializer, responses=CaseOutputSerializer)
    @action(detail=True, methods=["post"], url_path="request-documents")
    def request_documents(self, request: Request, pk: str) -> Response:
        data = RequestDocumentsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(
            request, services.case_request_documents, missing=data.validated_data["missing"],
            note=data.validated_data.get("note", ""),
        )  # fmt: skip

    @extend_schema(request=AssignInputSerializer, responses=CaseOutputSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignee = None
        if (assignee_id := data.validated_data["assignee"]) is not None:
            assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
            if assignee is None:
                raise DomainError("assignee_not_found", _("找不到这位工作人员。"), field="assignee")
        return self._act(request, services.case_assign, assignee=assignee)

    @extend_schema(request=DocumentUploadInputSerializer, responses={201: CaseDocumentSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def documents(self, request: Request, pk: str) -> Response:
        data = DocumentUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.case_document_upload(
            actor=request.user, case=self.get_object(), kind=data.validated_data["kind"],
            upload=data.validated_data["file"], ip=client_ip(request),
        )  # fmt: skip
        return Response(CaseDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class CaseDetailsViewSet(viewsets.GenericViewSet):
    """The shape every case type's own API shares (``/api/v1/permit-applications/``, ``points/applications/``,
    ``housing-applications/``): the cases of that type the caller may see, through the type's selector, with
    their details; a list filtered by status and the type's own keys; one case by id (out of scope: 404).
    Everything generic (documents, submit, the decisions) stays at ``/api/v1/cases/{id}/…``.

    A subclass names its selector (``cases_of``), its serializers, its list filters, and the message for a
    caller who has no resident profile yet when starting one for themselves.
    """

    lookup_value_regex = r"\d+"
    detail_serializer_class: type[serializers.Serializer]
    # Query parameters of the list that filter by an id: {"round": "points_application__round_id"}.
    list_filters: dict[str, str] = {}
    profile_missing_message: Promise | str = _("请先建立居民档案。")

    def cases_of(self, user: User) -> QuerySet[Case]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Case]:
        return self.cases_of(self.request.user)

    def get_object(self) -> Case:
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (Case.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def detail_context(self, case: Case) -> dict[str, Any]:
        return {}

    def detail_body(self, case: Case) -> dict[str, Any]:
        return self.detail_serializer_class(case, context=self.detail_context(case)).data

    def _detail(self, request: Request, case: Case, *, code: int = status.HTTP_200_OK) -> Response:
        """The case as it is now, read again through the selector (its details joined)."""
        return Response(self.detail_body(self.cases_of(request.user).get(pk=case.pk)), status=code)

    def list(self, request: Request) -> Response:
        cases = self.get_queryset()
        if status_filter := request.query_params.get("status"):
            cases = cases.filter(status=status_filter)
        for parameter, lookup in self.list_filters.items():
            if (value := request.query_params.get(parameter, "")).isdigit():
                cases = cases.filter(**{lookup: int(value)})
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(self.get_serializer_class()(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.detail_body(self.get_object()))

    def applicant_for(self, request: Request, pk: int | None) -> Resident:
        """Who a new case is for: the caller, or a resident they may act for (their child; at the window, a
        resident of the caseworker's street)."""
        if pk is None:
            own = residents_selectors.resident_of_user(user=request.user)
            if own is None:
                raise DomainError("resident_profile_missing", self.profile_missing_message, field="applicant")
            return own
        try:
            return residents_selectors.resident_get(user=request.user, pk=pk)
        except Resident.DoesNotExist as exc:
            raise DomainError("applicant_not_found", _("找不到这位申请人。"), field="applicant") from exc


def case_details_schema(
    *, output: type[serializers.Serializer], detail: type[serializers.Serializer], filters: tuple[str, ...] = ()
) -> Callable[[type[CaseDetailsViewSet]], type[CaseDetailsViewSet]]:
    """The OpenAPI description of a CaseDetailsViewSet's list (status and the type's filters) and retrieve."""
    parameters = [
        OpenApiParameter("status", str, enum=CaseStatus.values, required=False),
        *(OpenApiParameter(name, OpenApiTypes.INT, required=False) for name in filters),
    ]
    return extend_schema_view(
        list=extend_schema(parameters=parameters, responses=output(many=True)),
        retrieve=extend_schema(responses=detail),
    )
