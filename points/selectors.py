"""Reads of the points app.

Rule sets, rounds and published rankings are public (they describe a service; a ranking shows masked names and
references only). Applications are cases: who sees one is Case.visible_to (the applicant, caseworkers of the
applicant's street, administrators). Other apps read a resident's verified score through
:func:`resident_points_current` and :func:`resident_points_bulk` only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from cases.casetypes import DocumentRequirement, localized_label
from cases.choices import CASE_OPEN_STATUSES, CaseStatus
from cases.models import Case
from residents.models import Resident

from . import scoring
from .casetype import POINTS_CASE_TYPE, evidence_key, needs_evidence
from .choices import ItemStatus, RuleSetStatus
from .models import Indicator, PointsApplication, PointsItem, PointsRanking, PointsRankingEntry, PointsRound, RuleSet
from .rulejson import fact_from_json, rule_from_json

# A score counts while its case is approved, and stays counted while an objection has it back in review.
SCORE_COUNTS_STATUSES = (CaseStatus.APPROVED, CaseStatus.RESUBMITTED)


def rule_sets_published() -> QuerySet[RuleSet]:
    return RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("sort_order", "pk"))
    )


def rule_sets_public() -> QuerySet[RuleSet]:
    """Published and retired versions (a retired one still explains the scores made under it); never drafts."""
    return (
        RuleSet.objects.exclude(status=RuleSetStatus.DRAFT)
        .select_related("supersedes")
        .prefetch_related("indicators")
        .order_by("-year", "-id")
    )


def rule_set_current(year: int | None = None) -> RuleSet | None:
    """The rule set published for ``year`` (this year by default), else the latest published; None if none."""
    year = timezone.localdate().year if year is None else year
    published = rule_sets_published()
    return published.filter(year=year).first() or published.order_by("-year", "-published_at").first()


def rule_set_to_scoring(rule_set: RuleSet) -> scoring.RuleSet:
    """The rows as a scoring.RuleSet. Raises ValueError (the scoring module's) when the rows make no valid table."""
    indicators = []
    for row in rule_set.indicators.all():
        try:
            rule = rule_from_json(row.rule)
            indicator = scoring.Indicator(
                row.key,
                row.label_zh,
                row.label_en,
                row.category,  # type: ignore[arg-type]
                row.source,  # type: ignore[arg-type]
                rule,
                unit_zh=row.unit_zh,
                unit_en=row.unit_en,
            )
        except ValueError as error:
            raise ValueError(f"{row.label_zh}（{row.key}）: {error}") from error
        indicators.append(indicator)
    caps = rule_set.category_caps or {}
    if not isinstance(caps, dict):
        raise ValueError('category caps must be a JSON object like {"bonus": "20"}')
    try:
        category_caps = {scoring.Category(category): Decimal(str(cap)) for category, cap in caps.items()}
    except (ArithmeticError, ValueError) as error:
        raise ValueError(f"category caps: {error}") from error
    tie_keys = rule_set.tie_break_keys or []
    if not isinstance(tie_keys, list) or not all(isinstance(key, str) for key in tie_keys):
        raise ValueError("the tie-break indicators are a list of indicator keys")
    known = {indicator.key for indicator in indicators}
    unknown = [key for key in tie_keys if key not in known]
    if unknown:
        raise ValueError(f"the tie-break names unknown indicators: {', '.join(unknown)}")
    extra = {}
    if tie_keys:
        extra["tie_break_key"] = scoring.larger_first_then_submission(*tie_keys)
    return scoring.RuleSet(
        version=rule_set.version,
        year=rule_set.year,
        indicators=tuple(indicators),
        category_caps=category_caps,
        tie_break_zh=rule_set.tie_break_zh,
        tie_break_en=rule_set.tie_break_en,
        **extra,
    )


def rule_set_scoring_of(rule_set_id: int, _cache: dict[int, scoring.RuleSet] | None = None) -> scoring.RuleSet:
    """The scoring table of a stored rule set by id (published sets never change, so callers may cache)."""
    if _cache is not None and rule_set_id in _cache:
        return _cache[rule_set_id]
    rule_set = RuleSet.objects.prefetch_related("indicators").get(pk=rule_set_id)
    table = rule_set_to_scoring(rule_set)
    if _cache is not None:
        _cache[rule_set_id] = table
    return table


# --- rounds --------------------------------------------------------------------------------------------


def points_rounds() -> QuerySet[PointsRound]:
    """Every round, newest first (public: a round describes a service and its calendar)."""
    return PointsRound.objects.select_related("rule_set").order_by("-opens_on", "-id")


def points_round_open(today: datetime.date | None = None) -> PointsRound | None:
    """The round taking applications today (the latest one, should two overlap), or None."""
    today = timezone.localdate() if today is None else today
    return points_rounds().filter(opens_on__lte=today, closes_on__gte=today).first()


# --- applications --------------------------------------------------------------------------------------


def points_applications(*, user: User) -> QuerySet[Case]:
    """Points applications (cases) the user may see, with their details; items come with points_items_of."""
    return (
        Case.objects.visible_to(user)
        .filter(case_type=POINTS_CASE_TYPE, points_application__isnull=False)
        .select_related("applicant", "street", "points_application__round", "points_application__rule_set")
    )


def points_application_get(*, user: User, pk: int) -> Case:
    """One application the user may see; Case.DoesNotExist (a 404) otherwise."""
    return points_applications(user=user).get(pk=pk)


def points_applications_of(*, user: User) -> QuerySet[Case]:
    """The user's own applications, newest first (我的积分)."""
    return points_applications(user=user).filter(applicant__user=user).order_by("-id")


def points_application_active(*, applicant: Resident, round: PointsRound) -> Case | None:
    """The applicant's application in the round that is not withdrawn (one per person and round)."""
    return (
        Case.objects.filter(applicant=applicant, case_type=POINTS_CASE_TYPE, points_application__round=round)
        .exclude(status=CaseStatus.WITHDRAWN)
        .order_by("-id")
        .first()
    )


def points_items_of(application: PointsApplication) -> list[PointsItem]:
    return list(application.items.order_by("sort_order", "pk"))


def points_facts_of(items: Iterable[PointsItem], rule_set: scoring.RuleSet) -> dict[str, scoring.Fact]:
    """The facts that count: each decided item's value; pending and undeclared items count nothing yet."""
    facts: dict[str, scoring.Fact] = {}
    for item in items:
        if item.status == ItemStatus.PENDING:
            continue
        try:
            indicator = rule_set.indicator(item.key)
        except ValueError:
            continue
        facts[item.key] = fact_from_json(indicator, item.value)
    return facts


def points_application_score(application: PointsApplication, items: list[PointsItem] | None = None) -> scoring.Score:
    """The score of an application as its items stand now, under the rule-set version it was made under (a
    provisional score while items are pending; the verified one once review is complete)."""
    rule_set = rule_set_scoring_of(application.rule_set_id)
    items = points_items_of(application) if items is None else items
    return scoring.score(rule_set, points_facts_of(items, rule_set))


def points_ranking_candidates(*, round: PointsRound) -> list[scoring.Entry]:
    """The round's applications whose review is complete and approved, as ranking entries with their verified
    facts: two reads (applications, then all their decided items in one pass by a join, not a list of ids),
    whatever the number of applications."""
    ranked = PointsApplication.objects.filter(round=round, case__status=CaseStatus.APPROVED, scored_at__isnull=False)
    rows = list(ranked.values_list("id", "case__reference", "case__submitted_at", "rule_set_id"))
    rule_sets: dict[int, scoring.RuleSet] = {}
    indicators: dict[int, dict[str, scoring.Indicator]] = {}
    facts: dict[int, dict[str, scoring.Fact]] = {row[0]: {} for row in rows}
    for rule_set_id in {row[3] for row in rows}:
        if rule_set_id not in indicators:
            table = rule_set_scoring_of(rule_set_id, rule_sets)
            indicators[rule_set_id] = {indicator.key: indicator for indicator in table.indicators}
    table_of = {pk: indicators[rule_set_id] for pk, _reference, _submitted, rule_set_id in rows}
    decided = (
        PointsItem.objects.filter(application__in=ranked)
        .exclude(status=ItemStatus.PENDING)
        .order_by()
        .values_list("application_id", "key", "value")
        .iterator(chunk_size=20_000)
    )
    for application_id, key, value in decided:
        by_key = table_of.get(application_id)
        indicator = by_key.get(key) if by_key is not None else None
        if indicator is not None:
            facts[application_id][key] = fact_from_json(indicator, value)
    return [scoring.Entry(ref=ref, facts=facts[pk], submitted_at=submitted) for pk, ref, submitted, _ in rows]


def points_applications_in_review(*, round: PointsRound) -> QuerySet[Case]:
    """Submitted applications of the round whose review is not finished (they hold up the ranking)."""
    return Case.objects.filter(
        case_type=POINTS_CASE_TYPE, points_application__round=round, status__in=CASE_OPEN_STATUSES
    ).exclude(status=CaseStatus.DRAFT)


# --- rankings (public) ---------------------------------------------------------------------------------


def points_rankings_published() -> QuerySet[PointsRanking]:
    return PointsRanking.objects.select_related("round").order_by("-published_at", "-id")


def points_ranking_latest(*, round: PointsRound) -> PointsRanking | None:
    return points_rankings_published().filter(round=round).order_by("-edition").first()


def points_ranking_entries(*, ranking: PointsRanking) -> QuerySet[PointsRankingEntry]:
    """The published entries in their order (masked names and references only)."""
    return (
        PointsRankingEntry.objects.filter(ranking=ranking)
        .order_by("position")
        .only("id", "ranking_id", "position", "reference", "masked_name", "total", "tied", "within_quota")
    )


def points_ranking_places_of(application_ids: list[int]) -> dict[int, PointsRankingEntry]:
    """Each application's place in the latest edition of its round's ranking, in one query."""
    places: dict[int, PointsRankingEntry] = {}
    rows = (
        PointsRankingEntry.objects.filter(application_id__in=application_ids)
        .select_related("ranking")
        .order_by("application_id", "-ranking__edition")
    )
    for row in rows:
        places.setdefault(row.application_id, row)
    return places


def points_ranking_entry_of(*, ranking: PointsRanking, case: Case) -> PointsRankingEntry | None:
    return PointsRankingEntry.objects.filter(ranking=ranking, application__case=case).first()


# --- the score other apps read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedScore:
    """A resident's latest verified score (what school places and other services read)."""

    total: Decimal
    eligible: bool
    rule_set_version: str
    reference: str
    scored_at: datetime.datetime


def _verified_scores() -> QuerySet[PointsApplication]:
    return PointsApplication.objects.filter(
        case__case_type=POINTS_CASE_TYPE,
        case__status__in=(*SCORE_COUNTS_STATUSES, CaseStatus.REFUSED),
        scored_at__isnull=False,
        total__isnull=False,
    )


def _latest_of_each(applicants: QuerySet[PointsApplication]) -> QuerySet[PointsApplication]:
    """Each applicant's latest verified score: ROW_NUMBER() over the applicant's scores, newest first (one pass,
    instead of a correlated subquery per row; docs/PERFORMANCE.md)."""
    newest_first = Window(
        RowNumber(), partition_by=[F("case__applicant_id")], order_by=[F("scored_at").desc(), F("id").desc()]
    )
    return applicants.annotate(newest=newest_first).filter(newest=1)


def _as_verified(row: tuple) -> VerifiedScore:  # type: ignore[type-arg]
    _applicant, total, eligible, version, reference, scored_at = row
    return VerifiedScore(total, bool(eligible), version, reference, scored_at)


_VERIFIED_FIELDS = ("case__applicant_id", "total", "eligible", "rule_set__version", "case__reference", "scored_at")


def resident_points_current(resident: Resident) -> VerifiedScore | None:
    """The resident's latest verified score: the last application whose review is complete (approved, or
    refused because a veto item applied, which gives ``eligible`` False); None when there is none."""
    row = (
        _verified_scores()
        .filter(case__applicant=resident)
        .order_by("-scored_at", "-id")
        .values_list(*_VERIFIED_FIELDS)
        .first()
    )
    return None if row is None else _as_verified(row)


def resident_points_bulk(resident_ids: Iterable[int]) -> dict[int, VerifiedScore]:
    """:func:`resident_points_current` for many residents at once (a school round's families): one query per
    5 000 residents, a resident without a verified score absent from the result."""
    ids = list(dict.fromkeys(resident_ids))
    scores: dict[int, VerifiedScore] = {}
    for start in range(0, len(ids), 5_000):
        chunk = _verified_scores().filter(case__applicant_id__in=ids[start : start + 5_000])
        for row in _latest_of_each(chunk).values_list(*_VERIFIED_FIELDS):
            scores[row[0]] = _as_verified(row)
    return scores


def points_case_documents(case: Case) -> tuple[DocumentRequirement, ...]:
    """The evidence a points application asks for: one document per declared item that would add points."""
    detail = PointsApplication.objects.filter(case=case).first()
    if detail is None:
        return ()
    rule_set = rule_set_scoring_of(detail.rule_set_id)
    declared = dict(detail.items.values_list("key", "declared"))
    documents = []
    for indicator in rule_set.indicators:
        if indicator.source == scoring.Source.DECLARED and needs_evidence(indicator, declared.get(indicator.key)):
            label = localized_label(f"{indicator.label_zh}证明材料", f"Evidence: {indicator.label_en}")
            documents.append(DocumentRequirement(evidence_key(indicator.key), label))
    return tuple(documents)
