"""The school-enrolment API (随迁子女入学).

Public, without signing in: `/api/v1/schools/` (each school's catchment communities and its seats in the rounds
under way) and `/api/v1/enrolment-rounds/` (rounds once open: the calendar and its timeline, the number of
schools a family may rank, the schools with their seats and, once published, the cut-offs and the lottery seed).

Signed in: `/api/v1/enrolment-applications/` — the applications the caller may see (their own children's; a
caseworker's streets'; all for an administrator; out of scope is 404): start one with the schools ranked, change
the schools until preferences close (`PATCH`), and answer the seat offered (`confirm/`, `decline/`). Documents,
submitting and withdrawing are the generic casework at `/api/v1/cases/{id}/…` with the same id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.network import client_ip
from cases.choices import CaseStatus
from kernel.api import IdCursorPagination
from kernel.errors import DomainError
from residents import selectors as residents_selectors
from residents.models import Resident

from .. import selectors, services
from ..choices import ResultStatus, RoundStatus, SchoolLevel
from ..models import EnrolmentApplication, EnrolmentRound, School
from .serializers import (
    EnrolmentApplicationDetailOutputSerializer,
    EnrolmentApplicationOutputSerializer,
    EnrolmentApplicationStartInputSerializer,
    EnrolmentDeclineInputSerializer,
    EnrolmentPreferencesInputSerializer,
    EnrolmentRoundOutputSerializer,
    SchoolOutputSerializer,
)


@contextmanager
def _on_preferences_field() -> Iterator[None]:
    """The services call the ranked schools "schools"; the API's input is "preferences": say it on that field."""
    try:
        yield
    except DomainError as error:
        if error.field == "schools":
            error.field = "preferences"
        raise


def _choice_filter(request: Request, name: str, values: list[str]) -> str | None:
    """A filter's value, or a 400 on it when it is not one of ``values`` (never an empty list for a typo)."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if value not in values:
        message = _("“%(value)s”不是可选的值：%(values)s。") % {"value": value, "values": _("、").join(values)}
        raise DomainError("filter_invalid", message, field=name)
    return value


def _id_filter(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise DomainError("filter_invalid", _("请填写数字编号。"), field=name)
    return int(value)


# --- schools ------------------------------------------------------------------------------------------


class SchoolPagination(IdCursorPagination):
    """Schools in the order the administrator set (a short list: keyset paging all the same)."""

    ordering = ("sort_order", "id")


class SchoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Public primary and junior secondary schools taking migrant children, with their catchment (学区) communities
    and their seats in each round under way. Public: they describe a service, not people. The list holds the
    schools taking pupils; a school no longer taking pupils still answers by id."""

    serializer_class = SchoolOutputSerializer
    permission_classes = [AllowAny]
    pagination_class = SchoolPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[School]:
        if self.action == "retrieve":
            return selectors.schools_with_seats(active_only=False)
        level = _choice_filter(self.request, "level", SchoolLevel.values)
        return selectors.schools_with_seats(level=level)

    @extend_schema(parameters=[OpenApiParameter("level", str, enum=SchoolLevel.values, required=False)])
    def list(self, request: Request) -> Response:
        return super().list(request)


# --- rounds -------------------------------------------------------------------------------------------


class EnrolmentRoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Enrolment rounds once they open (an administrator also sees drafts): the age rule, the calendar and the
    same as a timeline (done / now / later), the number of schools a family may rank, the schools with their
    seats and, once the results are published, each school's cut-off and the lottery seed. Public."""

    serializer_class = EnrolmentRoundOutputSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[EnrolmentRound]:
        rounds = selectors.rounds_visible(user=self.request.user).prefetch_related(
            Prefetch("school_seats", queryset=selectors.seats_offered())
        )
        if self.action == "list":
            if (year := _id_filter(self.request, "year")) is not None:
                rounds = rounds.filter(year=year)
            if status_filter := _choice_filter(self.request, "status", RoundStatus.values):
                rounds = rounds.filter(status=status_filter)
        return rounds

    def _body(self, rounds: list[EnrolmentRound], *, many: bool) -> dict | list:  # type: ignore[type-arg]
        context = {**self.get_serializer_context(), "cutoffs": selectors.cutoffs_published_by_round(rounds=rounds)}
        data = EnrolmentRoundOutputSerializer(rounds, many=True, context=context).data
        return data if many else data[0]

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, required=False),
            OpenApiParameter("status", str, enum=RoundStatus.values, required=False),
        ]
    )
    def list(self, request: Request) -> Response:
        page = list(self.paginate_queryset(self.get_queryset()) or [])
        return self.get_paginated_response(self._body(page, many=True))

    def retrieve(self, request: Request, pk: str) -> Response:
        enrolment_round = self.get_queryset().filter(pk=int(pk)).first()
        if enrolment_round is None:
            raise Http404
        return Response(self._body([enrolment_round], many=False))


# --- applications -------------------------------------------------------------------------------------


class ApplicationPagination(IdCursorPagination):
    """Newest first, by the case's id (an application's own key)."""

    ordering = "-pk"


class EnrolmentApplicationViewSet(viewsets.GenericViewSet):
    """School-enrolment applications the caller may see: a parent their own children's, a caseworker those of the
    streets they cover, an administrator all. Out of scope is 404.

    A parent starts one for a child in a round taking applications, with the schools ranked (`POST`; refused
    without a valid residence permit, for a child not of the round's age, or twice in a round), changes the
    schools until preferences close (`PATCH`), and — once the round is allocated — reads the result with its
    reason and confirms the seat (`confirm/`) or declines it (`decline/`) within the confirmation window.
    Uploading the documents (`documents/`), submitting (`submit/`), resubmitting and withdrawing (`withdraw/`)
    are the generic casework at `/api/v1/cases/{id}/…` with the same id (`case_url`), where caseworkers also
    check the documents (approve, request documents, refuse).
    """

    serializer_class = EnrolmentApplicationOutputSerializer
    pagination_class = ApplicationPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[EnrolmentApplication]:
        return selectors.enrolment_applications(user=self.request.user)

    def get_object(self) -> EnrolmentApplication:
        try:
            return selectors.enrolment_application_get(user=self.request.user, pk=int(self.kwargs["pk"]))
        except (EnrolmentApplication.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def _detail(self, request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
        """The application as it is now, read again through the selector."""
        fresh = selectors.enrolment_application_get(user=request.user, pk=pk)
        return Response(EnrolmentApplicationDetailOutputSerializer(fresh).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("round", OpenApiTypes.INT, required=False),
            OpenApiParameter("status", str, enum=CaseStatus.values, required=False, description="The case's status."),
            OpenApiParameter("result", str, enum=ResultStatus.values, required=False),
        ]
    )
    def list(self, request: Request) -> Response:
        applications = self.get_queryset()
        if (round_id := _id_filter(request, "round")) is not None:
            applications = applications.filter(round_id=round_id)
        if status_filter := _choice_filter(request, "status", CaseStatus.values):
            applications = applications.filter(case__status=status_filter)
        if result_filter := _choice_filter(request, "result", ResultStatus.values):
            applications = applications.filter(result__status=result_filter)
        page = self.paginate_queryset(applications)
        return self.get_paginated_response(EnrolmentApplicationOutputSerializer(page, many=True).data)

    @extend_schema(responses=EnrolmentApplicationDetailOutputSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(EnrolmentApplicationDetailOutputSerializer(self.get_object()).data)

    @extend_schema(
        request=EnrolmentApplicationStartInputSerializer, responses={201: EnrolmentApplicationDetailOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        """Apply for a child in a round, with the schools ranked (they may also be ranked later with PATCH). A draft
        case: its checklist names the documents to upload before submitting at `/api/v1/cases/{id}/submit/`. In a
        further round (补录) the documents checked in the round before carry over and it is approved at once."""
        data = EnrolmentApplicationStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        child = self._resident(request, values["child"], field="child", message=_("找不到这个孩子。"))
        guardian = None
        if "guardian" in values:
            guardian = self._resident(request, values["guardian"], field="guardian", message=_("找不到这位监护人。"))
        try:
            enrolment_round = selectors.round_get(user=request.user, pk=values["round"])
        except EnrolmentRound.DoesNotExist as exc:
            raise DomainError("round_unknown", _("没有这个招生轮次，请从招生列表中选择。"), field="round") from exc
        schools = self._schools(values["preferences"])
        with _on_preferences_field():
            case = services.enrolment_application_apply(
                actor=request.user, enrolment_round=enrolment_round, child=child, schools=schools, guardian=guardian,
                ip=client_ip(request),
            )  # fmt: skip
        return self._detail(request, case.pk, code=status.HTTP_201_CREATED)

    @extend_schema(request=EnrolmentPreferencesInputSerializer, responses=EnrolmentApplicationDetailOutputSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Rank the schools again (replacing the list), until preferences close. The child's parents."""
        application = self.get_object()
        data = EnrolmentPreferencesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schools = self._schools(data.validated_data["preferences"])
        with _on_preferences_field():
            services.enrolment_preferences_set(
                actor=request.user, application=application, schools=schools, ip=client_ip(request)
            )
        return self._detail(request, application.pk)

    @extend_schema(request=None, responses=EnrolmentApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """Take the seat offered, within the confirmation window (409 once confirmed, declined or closed)."""
        application = self.get_object()
        services.enrolment_offer_confirm(actor=request.user, application=application, ip=client_ip(request))
        return self._detail(request, application.pk)

    @extend_schema(request=EnrolmentDeclineInputSerializer, responses=EnrolmentApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        """Turn the seat down, within the confirmation window: it goes to the further round (补录), where the child
        may apply. Cannot be undone."""
        application = self.get_object()
        data = EnrolmentDeclineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.enrolment_offer_decline(
            actor=request.user, application=application, reason=data.validated_data["reason"], ip=client_ip(request)
        )
        return self._detail(request, application.pk)

    def _resident(self, request: Request, pk: int, *, field: str, message: str) -> Resident:
        try:
            return residents_selectors.resident_get(user=request.user, pk=pk)
        except Resident.DoesNotExist as exc:
            raise DomainError("resident_not_found", message, field=field) from exc

    def _schools(self, ids: list[int]) -> list[School]:
        """The schools asked for, in order (repeats kept: the service names them); an unknown id is a 400."""
        found = selectors.schools_in_bulk(ids)
        unknown = [str(pk) for pk in ids if pk not in found]
        if unknown:
            raise DomainError(
                "school_unknown", _("没有编号为 %(ids)s 的学校。") % {"ids": _("、").join(unknown)}, field="preferences"
            )
        return [found[pk] for pk in ids]
