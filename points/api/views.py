"""The points API (积分).

Public, without signing in: the published points tables (`/api/v1/points/rule-sets/`), the calculator
(`/api/v1/points/calculate/`), the application rounds with their calendar (`/api/v1/points/rounds/`) and the
published rankings with masked names (`/api/v1/points/rankings/`). Signed in: the calculator pre-filled with what
the portal knows (`calculate/prefill/`) and the applications the caller may see (`/api/v1/points/applications/`),
started, declared, verified item by item, completed and contested here through points.services; everything else
about an application is the generic casework at `/api/v1/cases/{id}/…` with the same id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.network import client_ip
from cases.api.views import CaseDetailsViewSet, case_details_schema
from cases.choices import CaseStatus
from cases.models import Case
from kernel.errors import DomainError
from residents import selectors as residents_selectors

from .. import scoring, selectors, services
from ..choices import ItemStatus, RuleSetStatus
from ..facts import facts_known
from ..models import PointsRanking, PointsRound, RuleSet
from ..rulejson import fact_from_json, fact_to_json
from .serializers import (
    PointsApplicationDeclareInputSerializer,
    PointsApplicationDetailOutputSerializer,
    PointsApplicationItemSerializer,
    PointsApplicationOutputSerializer,
    PointsApplicationStartInputSerializer,
    PointsCalculateInputSerializer,
    PointsCalculateOutputSerializer,
    PointsItemVerifyInputSerializer,
    PointsObjectionInputSerializer,
    PointsPrefillOutputSerializer,
    PointsRankingEntryOutputSerializer,
    PointsRankingOutputSerializer,
    PointsRoundOutputSerializer,
    PointsRuleSetOutputSerializer,
)

# --- rule sets and the calculator ---------------------------------------------------------------------


def _rule_set_of(version: str | None) -> RuleSet:
    """The version asked for (published or retired), or this year's published table; a 400 on ``rule_set``."""
    row = selectors.rule_set_current() if not version else selectors.rule_sets_public().filter(version=version).first()
    if row is None:
        message = _("没有这个版本的积分规则。") if version else _("还没有发布积分规则。")
        raise DomainError("rule_set_unknown", message, field="rule_set")
    return row


def _table_of(row: RuleSet) -> scoring.RuleSet:
    try:
        return selectors.rule_set_to_scoring(row)
    except ValueError as error:  # a published table was checked on publishing; this guards a hand-edited row
        raise DomainError("rule_set_invalid", _("这个版本的积分规则有误，暂时不能计分。"), field="rule_set") from error


def _max_total(row: RuleSet) -> Decimal | None:
    try:
        return selectors.rule_set_to_scoring(row).max_total
    except ValueError:
        return None


class RuleSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The points tables as published: every published version and the retired ones it replaced (the scores made
    under them keep them), each with its indicators, its caps, its tie-break and the highest total it allows.
    Drafts an administrator is still editing are never shown. Public."""

    serializer_class = PointsRuleSetOutputSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        rule_sets = selectors.rule_sets_public()
        if (year := self.request.query_params.get("year", "")).isdigit():
            rule_sets = rule_sets.filter(year=int(year))
        if status_filter := self.request.query_params.get("status"):
            rule_sets = rule_sets.filter(status=status_filter)
        return rule_sets

    def _annotated(self, rows: list[RuleSet]) -> list[RuleSet]:
        for row in rows:
            row.max_total = _max_total(row)  # type: ignore[attr-defined]
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, required=False),
            OpenApiParameter(
                "status", str, enum=[RuleSetStatus.PUBLISHED, RuleSetStatus.RETIRED], required=False,
                description="published: the version in force for its year; retired: replaced by a later version.",
            ),
        ]
    )  # fmt: skip
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PointsRuleSetOutputSerializer(self._annotated(page), many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        row = self.get_queryset().filter(pk=int(pk)).first()
        if row is None:
            raise Http404
        return Response(PointsRuleSetOutputSerializer(self._annotated([row])[0]).data)


def _facts_parse(table: scoring.RuleSet, given: dict[str, Any]) -> tuple[dict[str, scoring.Fact], dict[str, Any]]:
    """The calculator's facts as the application stores them and back (points.rulejson), so the calculator
    scores exactly what an application would; every key the table does not know and every fact no rule can
    score is an error on that key, all of them at once."""
    known = {indicator.key: indicator for indicator in table.indicators}
    facts: dict[str, scoring.Fact] = {}
    errors: dict[str, Any] = {}
    for key, value in given.items():
        indicator = known.get(key)
        if indicator is None:
            errors[key] = [str(_("积分规则 %(version)s 中没有这个项目。") % {"version": table.version})]
            continue
        try:
            facts[key] = fact_from_json(indicator, fact_to_json(indicator, value))
        except scoring.InvalidFact as error:
            errors[key] = [
                str(_("“%(item)s”填写有误：%(problem)s") % {"item": indicator.label_zh, "problem": error.problem})
            ]
    return facts, errors


def _what_if_lines(table: scoring.RuleSet, facts: dict[str, scoring.Fact]) -> list[dict[str, Any]]:
    lines = []
    for indicator in table.indicators:
        if not isinstance(indicator.rule, scoring.PerUnit):
            continue
        step = indicator.rule.per
        try:
            change = scoring.what_if(table, facts, indicator.key, step)
        except scoring.InvalidFact:  # already at the largest amount the scoring accepts: nothing to add
            continue
        amount, signed = scoring.format_points(step), scoring.format_points(change, signed=True)
        lines.append(
            {
                "key": indicator.key, "step": step, "change": change,
                "text_zh": f"{indicator.label_zh}再多 {amount} {indicator.unit_zh}：{signed} 分",
                "text_en": f"{amount} more {indicator.unit_en or 'units'} of {indicator.label_en}: {signed} points",
            }
        )  # fmt: skip
    return lines


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return "0" if value == 0 else f"{value.normalize():f}"
    if isinstance(value, tuple | list):
        return list(value)
    return value


def _score_body(table: scoring.RuleSet, facts: dict[str, scoring.Fact]) -> dict[str, Any]:
    result = scoring.score(table, facts)
    return {
        "rule_set": table.version, "year": table.year, "total": result.total, "max_total": table.max_total,
        "eligible": result.eligible, "vetoed_by": list(result.vetoed_by),
        "subtotals": {str(category): points for category, points in result.subtotals.items()},
        "breakdown": [
            {
                "key": item.key, "label_zh": item.label, "label_en": item.label_en, "category": str(item.category),
                "value": _json_value(item.value), "points": item.points, "uncapped_points": item.uncapped_points,
                "capped": item.capped, "note_zh": item.note, "note_en": item.note_en,
            }
            for item in result.breakdown
        ],
        "what_if": _what_if_lines(table, facts),
    }  # fmt: skip


class CalculateViewSet(viewsets.GenericViewSet):
    """The points calculator: the score of any facts under a published table, item by item, with how it would
    change ("one more year of social insurance: +3"). It scores exactly as an application is scored. Public;
    `prefill/` gives a signed-in resident the facts the portal already knows about them."""

    permission_classes = [AllowAny]
    serializer_class = PointsCalculateInputSerializer
    pagination_class = None

    def get_permissions(self):  # type: ignore[no-untyped-def]
        if self.action == "prefill":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        request=PointsCalculateInputSerializer,
        responses={
            200: PointsCalculateOutputSerializer,
            400: OpenApiResponse(description="A fact no rule can score, or a key the table does not have: "
                                 "{\"<indicator key>\": [\"message\"], \"code\": \"points_fact_invalid\"}."),
        },
    )  # fmt: skip
    def create(self, request: Request) -> Response:
        """Score the facts given (a key left out is not declared). Nothing is saved."""
        data = PointsCalculateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = _rule_set_of(data.validated_data.get("rule_set") or None)
        table = _table_of(row)
        facts, errors = _facts_parse(table, data.validated_data["facts"])
        if errors:
            return Response({**errors, "code": "points_fact_invalid"}, status=status.HTTP_400_BAD_REQUEST)
        return Response(PointsCalculateOutputSerializer(_score_body(table, facts)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("rule_set", str, required=False, description="A version; the current one by default.")
        ],
        responses=PointsPrefillOutputSerializer,
    )
    @action(detail=False, methods=["get"])
    def prefill(self, request: Request) -> Response:
        """What the portal knows about the signed-in resident, as facts of the table's computed indicators (the
        same numbers an application counts on submission)."""
        resident = residents_selectors.resident_of_user(user=request.user)
        if resident is None:
            raise DomainError("resident_profile_missing", _("请先建立居民档案，才能带入您的信息。"))
        row = _rule_set_of(request.query_params.get("rule_set") or None)
        table = _table_of(row)
        today = timezone.localdate()
        known: dict[str, Any] = {}
        for key, value in facts_known(resident, table, today).items():
            try:
                known[key] = fact_to_json(table.indicator(key), value)
            except scoring.InvalidFact:  # a profile value this table has no level for: left for the person to fill
                known[key] = None
        body = {"rule_set": table.version, "on": today, "facts_known": known}
        return Response(PointsPrefillOutputSerializer(body).data)


# --- rounds and rankings ------------------------------------------------------------------------------


class PointsRoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Application rounds, newest first, with their calendar (applications, ranking, objection window, final
    ranking), quota, the services the scores unlock and the rankings published. Public."""

    serializer_class = PointsRoundOutputSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        rounds = selectors.points_rounds().prefetch_related("rankings")
        if (year := self.request.query_params.get("year", "")).isdigit():
            rounds = rounds.filter(year=int(year))
        return rounds

    def _annotated(self, rounds: list[PointsRound]) -> list[PointsRound]:
        today = timezone.localdate()
        for row in rounds:
            row.is_open = row.is_open_on(today)  # type: ignore[attr-defined]
            row.objection_open = row.objection_open_on(today)  # type: ignore[attr-defined]
        return rounds

    @extend_schema(parameters=[OpenApiParameter("year", OpenApiTypes.INT, required=False)])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PointsRoundOutputSerializer(self._annotated(page), many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        row = self.get_queryset().filter(pk=int(pk)).first()
        if row is None:
            raise Http404
        return Response(PointsRoundOutputSerializer(self._annotated([row])[0]).data)


class EntryPagination(CursorPagination):
    """Keyset paging by place: constant cost per page however far down the ranking."""

    ordering = ("position",)
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class RankingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Published rankings, newest first: the tie-break, the quota and the cut-off of each; `entries/` lists the
    places (masked names and references only). Public."""

    serializer_class = PointsRankingOutputSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = r"\d+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        rankings = selectors.points_rankings_published()
        if (round_id := self.request.query_params.get("round", "")).isdigit():
            rankings = rankings.filter(round_id=int(round_id))
        return rankings

    def get_object(self) -> PointsRanking:
        ranking = selectors.points_rankings_published().filter(pk=int(self.kwargs["pk"])).first()
        if ranking is None:
            raise Http404
        return ranking

    @extend_schema(parameters=[OpenApiParameter("round", OpenApiTypes.INT, required=False)])
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reference", str, required=False, description="An application reference (JF…): its place only."
            )
        ],
        responses=PointsRankingEntryOutputSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=EntryPagination,
        serializer_class=PointsRankingEntryOutputSerializer,
    )
    def entries(self, request: Request, pk: str) -> Response:
        """The places in order, 50 a page (`page_size` up to 200)."""
        entries = selectors.points_ranking_entries(ranking=self.get_object())
        if reference := request.query_params.get("reference", "").strip():
            entries = entries.filter(application__case__reference=reference.upper())
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(PointsRankingEntryOutputSerializer(page, many=True).data)


# --- applications -------------------------------------------------------------------------------------


def _items_body(items: list[Any], table: scoring.RuleSet) -> list[dict[str, Any]]:
    body = []
    for item in items:
        try:
            indicator: scoring.Indicator | None = table.indicator(item.key)
        except ValueError:
            indicator = None
        body.append(
            {
                "key": item.key,
                "label_zh": indicator.label_zh if indicator else item.key,
                "label_en": indicator.label_en if indicator else item.key,
                "category": str(indicator.category) if indicator else "",
                "source": item.source, "unit_zh": indicator.unit_zh if indicator else "",
                "unit_en": indicator.unit_en if indicator else "", "declared": item.declared, "value": item.value,
                "status": item.status, "status_label": ItemStatus(item.status).label, "reason": item.reason,
                "decided_at": item.decided_at, "points": item.points, "contested": item.contested,
            }
        )  # fmt: skip
    return body


def _ranking_body(case: Case) -> dict[str, Any] | None:
    ranking = selectors.points_ranking_latest(round=case.points_application.round)
    if ranking is None:
        return None
    entry = selectors.points_ranking_entry_of(ranking=ranking, case=case)
    if entry is None:
        return None
    return {
        "ranking": ranking.pk, "edition": ranking.edition, "is_final": ranking.is_final, "position": entry.position,
        "total": entry.total, "tied": entry.tied, "within_quota": entry.within_quota, "cutoff": ranking.cutoff,
        "entry_count": ranking.entry_count,
    }  # fmt: skip


def _application_extra(case: Case) -> dict[str, Any]:
    """What the detail adds to the case: the items with their labels, the provisional score of the decided items,
    the objections and the place in the latest ranking."""
    application = case.points_application
    table = selectors.rule_set_scoring_of(application.rule_set_id)
    items = selectors.points_items_of(application)
    provisional = scoring.score(table, selectors.points_facts_of(items, table)).total
    return {
        "items": _items_body(items, table),
        "provisional_total": provisional,
        "objections": list(application.objections.all()),
        "ranking": _ranking_body(case),
    }


@case_details_schema(
    output=PointsApplicationOutputSerializer, detail=PointsApplicationDetailOutputSerializer, filters=("round",)
)
class PointsApplicationViewSet(CaseDetailsViewSet):
    """Points applications the caller may see: their own (and their children's); a caseworker's streets'; all for
    an administrator. Out of scope is 404.

    An applicant starts one in an open round with the declared items (`POST`), changes them while it is a draft
    or sent back for documents (`PATCH`), and objects to the verified score during the round's objection window
    (`objection/`). A caseworker decides each item (`verify/`: accept, adjust or reject, always with a reason) and
    then completes the review (`complete/`), which fixes the score and approves the application (or refuses it
    when a veto item applies). Uploading the evidence (`documents/`), submitting (`submit/`), asking for missing
    documents (`request-documents/`), resubmitting (`resubmit/`) and withdrawing (`withdraw/`) are the generic
    casework at `/api/v1/cases/{id}/…` with the same id (`case_url`).
    """

    serializer_class = PointsApplicationOutputSerializer
    detail_serializer_class = PointsApplicationDetailOutputSerializer
    list_filters = {"round": "points_application__round_id"}
    profile_missing_message = _("请先建立居民档案，再申请积分。")

    def cases_of(self, user: User) -> QuerySet[Case]:
        return selectors.points_applications(user=user)

    def detail_context(self, case: Case) -> dict[str, Any]:
        return {"extra": _application_extra(case)}

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=CaseStatus.values, required=False),
            OpenApiParameter("round", OpenApiTypes.INT, required=False),
        ]
    )
    @extend_schema(
        request=PointsApplicationStartInputSerializer, responses={201: PointsApplicationDetailOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        """Start an application (a draft) in an open round with the declared items. Its checklist tells which
        evidence to upload before submitting at `/api/v1/cases/{id}/submit/`."""
        data = PointsApplicationStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        applicant = self.applicant_for(request, values.get("applicant"))
        round = selectors.points_rounds().filter(pk=values["round"]).first()
        if round is None:
            raise DomainError("points_round_unknown", _("没有这个申报期，请从申报期列表中选择。"), field="round")
        case = services.points_application_start(
            actor=request.user, applicant=applicant, round=round, declared=values["declared"], ip=client_ip(request)
        )
        return self._detail(request, case, code=status.HTTP_201_CREATED)

    @extend_schema(request=PointsApplicationDeclareInputSerializer, responses=PointsApplicationDetailOutputSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the declared items, while a draft or sent back for documents. The applicant."""
        case = self.get_object()
        data = PointsApplicationDeclareInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.points_application_declare(
            actor=request.user, case=case, declared=data.validated_data["declared"], ip=client_ip(request)
        )
        return self._detail(request, case)

    @extend_schema(responses=PointsApplicationItemSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def items(self, request: Request, pk: str) -> Response:
        """The items, in the table's order: declared or computed, what counts, the decision and its reason."""
        application = self.get_object().points_application
        table = selectors.rule_set_scoring_of(application.rule_set_id)
        items = _items_body(selectors.points_items_of(application), table)
        return Response(PointsApplicationItemSerializer(items, many=True).data)

    @extend_schema(request=PointsItemVerifyInputSerializer, responses=PointsApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str) -> Response:
        """Decide one item: accept it as declared, adjust it to `value`, or reject it; always with a reason, which
        the applicant sees. Caseworkers of the applicant's street."""
        case = self.get_object()
        data = PointsItemVerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.points_item_verify(
            actor=request.user, case=case, key=values["key"], decision=values["decision"],
            reason=values.get("reason", ""), value=values.get("value"), ip=client_ip(request),
        )  # fmt: skip
        return self._detail(request, case)

    @extend_schema(request=None, responses=PointsApplicationDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """Fix the score once every item is decided: approved with the total, or refused when a veto item
        applies. Resolves an objection under review. Caseworkers of the applicant's street."""
        case = services.points_review_complete(actor=request.user, case=self.get_object(), ip=client_ip(request))
        return self._detail(request, case)

    @extend_schema(request=PointsObjectionInputSerializer, responses={201: PointsApplicationDetailOutputSerializer})
    @action(detail=True, methods=["post"])
    def objection(self, request: Request, pk: str) -> Response:
        """Object (异议) to the verified score during the round's objection window: the items contested go back to
        review. The applicant."""
        case = self.get_object()
        data = PointsObjectionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.points_objection_file(
            actor=request.user, case=case, item_keys=data.validated_data["item_keys"],
            reason=data.validated_data.get("reason", ""), ip=client_ip(request),
        )  # fmt: skip
        return self._detail(request, case, code=status.HTTP_201_CREATED)
