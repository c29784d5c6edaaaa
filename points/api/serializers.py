"""Serializers of the points API: inputs check the shape of a request (the services and the scoring module check
the rules), outputs shape what a client sees. Amounts are decimal strings ("3.00", "-5.00"), never floats; a fact
is the JSON an application stores (points.rulejson): a decimal string for counts and ages, a level key (or a list
of them) for tiered items, true / false for yes/no items, null for "not declared"."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import CaseChecklistField, CaseDocumentSerializer
from cases.models import Case

from ..choices import IndicatorCategory, ItemDecision, ItemStatus
from ..models import Indicator, PointsRanking, PointsRankingEntry, PointsRound, RuleSet
from ..services import OBJECTION_REASON_MAX, REASON_MAX

POINTS = {"max_digits": 9, "decimal_places": 2}


@extend_schema_field(OpenApiTypes.ANY)
class FactField(serializers.JSONField):
    """One indicator's fact as JSON (see the module docstring)."""


# --- rule sets ----------------------------------------------------------------------------------------


class PointsIndicatorOutputSerializer(serializers.ModelSerializer):
    """One line of the published table. ``rule`` is the scoring rule as stored: {"type": "per_unit", "points": "3",
    "per": "1", "cap": "30"}, {"type": "tiers", "levels": [...]}, {"type": "bands", "bands": [...]},
    {"type": "flat", "points": "10"} or {"type": "veto"}."""

    category_label = serializers.CharField(source="get_category_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    rule = serializers.JSONField(read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "key", "label_zh", "label_en", "category", "category_label", "source", "source_label", "unit_zh",
            "unit_en", "rule",
        ]  # fmt: skip
        read_only_fields = fields


class PointsRuleSetOutputSerializer(serializers.ModelSerializer):
    """A published (or retired) version of a year's points table. ``max_total`` is the highest total the table
    allows (null when an item has no cap); ``category_caps`` bound a category's items together."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    category_caps = serializers.DictField(child=serializers.CharField(), read_only=True)
    tie_break_keys = serializers.ListField(child=serializers.CharField(), read_only=True)
    max_total = serializers.DecimalField(**POINTS, read_only=True, allow_null=True)
    supersedes_version = serializers.CharField(source="supersedes.version", read_only=True, allow_null=True)
    indicators = PointsIndicatorOutputSerializer(many=True, read_only=True)

    class Meta:
        model = RuleSet
        fields = [
            "id", "year", "version", "status", "status_label", "published_at", "tie_break_zh", "tie_break_en",
            "tie_break_keys", "category_caps", "max_total", "supersedes_version", "indicators",
        ]  # fmt: skip
        read_only_fields = fields


# --- calculator ---------------------------------------------------------------------------------------


class PointsCalculateInputSerializer(serializers.Serializer):
    rule_set = serializers.CharField(
        max_length=16, required=False, allow_blank=True,
        help_text="A published or retired version, e.g. 2026.1; this year's published table by default.",
    )  # fmt: skip
    facts = serializers.DictField(
        child=FactField(allow_null=True), allow_empty=True,
        help_text="Indicator key → fact, e.g. {\"social_insurance_years\": \"5\", \"education\": \"bachelor\", "
        "\"employment\": true}. A key left out is not declared and scores nothing.",
    )  # fmt: skip


class PointsBreakdownItemSerializer(serializers.Serializer):
    """One indicator's line: ``points`` are signed (a deduction is negative) and after every cap; ``capped`` says
    a cap cut them (``uncapped_points`` is what the rule alone gave); the notes explain the line."""

    key = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    category = serializers.ChoiceField(choices=IndicatorCategory.choices)
    value = FactField(allow_null=True, help_text="The fact as scored.")
    points = serializers.DecimalField(**POINTS)
    uncapped_points = serializers.DecimalField(**POINTS)
    capped = serializers.BooleanField()
    note_zh = serializers.CharField()
    note_en = serializers.CharField()


class PointsWhatIfSerializer(serializers.Serializer):
    """How the total changes with one more unit of a per-unit item ("one more year of social insurance: +3")."""

    key = serializers.CharField()
    step = serializers.DecimalField(max_digits=12, decimal_places=3, help_text="The unit added (1 year, 50 hours).")
    change = serializers.DecimalField(**POINTS, help_text="The change of the total, caps included (0 at a cap).")
    text_zh = serializers.CharField()
    text_en = serializers.CharField()


class PointsCalculateOutputSerializer(serializers.Serializer):
    rule_set = serializers.CharField(help_text="The version scored under.")
    year = serializers.IntegerField()
    total = serializers.DecimalField(**POINTS, help_text="The sum of the breakdown's points (never below 0).")
    max_total = serializers.DecimalField(**POINTS, allow_null=True)
    eligible = serializers.BooleanField(help_text="False when a veto item applies (then no ranking).")
    vetoed_by = serializers.ListField(child=serializers.CharField(), help_text="The veto items that apply.")
    subtotals = serializers.DictField(child=serializers.DecimalField(**POINTS), help_text="Points per category.")
    breakdown = PointsBreakdownItemSerializer(many=True)
    what_if = PointsWhatIfSerializer(many=True)


class PointsPrefillOutputSerializer(serializers.Serializer):
    rule_set = serializers.CharField()
    on = serializers.DateField(help_text="The day the facts are counted on (today).")
    facts_known = serializers.DictField(
        child=FactField(allow_null=True),
        help_text="The computed indicators as the portal knows them (continuous residence, age, education…), "
        "in the form calculate/ takes.",
    )


# --- rounds and rankings ------------------------------------------------------------------------------


class PointsRoundRankingSerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsRanking
        fields = ["id", "edition", "is_final", "published_at"]
        read_only_fields = fields


class PointsRoundOutputSerializer(serializers.ModelSerializer):
    """An application round and its calendar: applications from ``opens_on`` to ``closes_on``, the ranking put up
    on ``ranking_published_on`` with objections until ``objection_ends_on``, the final ranking on
    ``final_published_on``; ``unlocks_zh`` / ``unlocks_en`` say which services the scores are used for."""

    rule_set_version = serializers.CharField(source="rule_set.version", read_only=True)
    is_open = serializers.BooleanField(read_only=True, help_text="Taking applications today.")
    objection_open = serializers.BooleanField(read_only=True, help_text="Objections may be filed today.")
    rankings = PointsRoundRankingSerializer(many=True, read_only=True)

    class Meta:
        model = PointsRound
        fields = [
            "id", "year", "name_zh", "name_en", "rule_set", "rule_set_version", "opens_on", "closes_on", "is_open",
            "quota", "unlocks_zh", "unlocks_en", "objection_days", "ranking_published_on", "objection_ends_on",
            "objection_open", "final_published_on", "rankings",
        ]  # fmt: skip
        read_only_fields = fields


class PointsRankingOutputSerializer(serializers.ModelSerializer):
    """A published ranking: edition 1 is the one put up for objections (公示), the final one comes after the
    window. ``cutoff`` is the total of the last place within ``quota`` (null without a quota or with fewer
    applicants); ties are ordered by the published ``tie_break_zh`` / ``tie_break_en``."""

    round_name_zh = serializers.CharField(source="round.name_zh", read_only=True)
    round_name_en = serializers.CharField(source="round.name_en", read_only=True)
    objection_ends_on = serializers.SerializerMethodField(
        help_text="Objections to this edition may be filed until this day (null for the final edition)."
    )
    entries_url = serializers.SerializerMethodField()

    class Meta:
        model = PointsRanking
        fields = [
            "id", "round", "round_name_zh", "round_name_en", "edition", "is_final", "rule_set_version",
            "tie_break_zh", "tie_break_en", "quota", "cutoff", "entry_count", "published_at", "objection_ends_on",
            "entries_url",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATE)
    def get_objection_ends_on(self, ranking: PointsRanking) -> Any:
        return None if ranking.is_final else ranking.round.objection_ends_on

    def get_entries_url(self, ranking: PointsRanking) -> str:
        return reverse("points-ranking-entries", args=[ranking.pk])


class PointsRankingEntryOutputSerializer(serializers.ModelSerializer):
    """One place as published: the masked name and the application reference, never the person."""

    class Meta:
        model = PointsRankingEntry
        fields = ["position", "reference", "masked_name", "total", "tied", "within_quota"]
        read_only_fields = fields


# --- applications -------------------------------------------------------------------------------------


class PointsApplicationItemSerializer(serializers.Serializer):
    """One indicator of an application: what was declared (or computed by the portal), what counts after review
    (``value``), the decision with its reason, and the points once review is complete. ``contested`` while an
    objection has it back in review."""

    key = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    category = serializers.ChoiceField(choices=IndicatorCategory.choices)
    # A plain string here: an enum named "source" in a second component would clash with the tenancy's "source"
    # in the schema's enum names. The values are the indicator's (computed / declared).
    source = serializers.CharField(help_text="computed (the portal counts it) or declared (the applicant does).")
    unit_zh = serializers.CharField()
    unit_en = serializers.CharField()
    declared = FactField(allow_null=True)
    value = FactField(allow_null=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    status_label = serializers.CharField()
    reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    points = serializers.DecimalField(**POINTS, allow_null=True)
    contested = serializers.BooleanField()


class PointsVerifiedBreakdownItemSerializer(serializers.Serializer):
    """A line of the verified breakdown, as it was decided (kept with the application)."""

    key = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    category = serializers.ChoiceField(choices=IndicatorCategory.choices)
    points = serializers.DecimalField(**POINTS)
    capped = serializers.BooleanField()
    note = serializers.CharField()
    note_en = serializers.CharField()


class PointsObjectionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_keys = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    previous_total = serializers.DecimalField(**POINTS, allow_null=True)
    filed_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(help_text="What review made of it, once resolved.")


class PointsApplicationRankingSerializer(serializers.Serializer):
    """The application's place in the round's latest published ranking."""

    ranking = serializers.IntegerField()
    edition = serializers.IntegerField()
    is_final = serializers.BooleanField()
    position = serializers.IntegerField()
    total = serializers.DecimalField(**POINTS)
    tied = serializers.BooleanField()
    within_quota = serializers.BooleanField()
    cutoff = serializers.DecimalField(**POINTS, allow_null=True)
    entry_count = serializers.IntegerField()


class PointsApplicationOutputSerializer(serializers.ModelSerializer):
    """A points application: its case and what points adds to it. ``total`` / ``eligible`` are the verified
    score (null until review is complete), made under ``rule_set_version`` for good.

    ``id`` is the case's id: uploading evidence (`documents/`), submitting (`submit/`), asking for documents
    (`request-documents/`), resubmitting and withdrawing are at ``case_url`` + action.
    """

    case_url = serializers.SerializerMethodField(help_text="The same case in /api/v1/cases/, for its actions.")
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    round = serializers.IntegerField(source="points_application.round_id", read_only=True)
    round_name_zh = serializers.CharField(source="points_application.round.name_zh", read_only=True)
    round_name_en = serializers.CharField(source="points_application.round.name_en", read_only=True)
    rule_set_version = serializers.CharField(source="points_application.rule_set.version", read_only=True)
    facts_on = serializers.DateField(
        source="points_application.facts_on", read_only=True, allow_null=True,
        help_text="The day the computed items were counted on (the submission).",
    )  # fmt: skip
    total = serializers.DecimalField(source="points_application.total", **POINTS, read_only=True, allow_null=True)
    eligible = serializers.BooleanField(source="points_application.eligible", read_only=True, allow_null=True)
    scored_at = serializers.DateTimeField(source="points_application.scored_at", read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id", "case_url", "reference", "applicant", "applicant_name", "status", "status_label", "street",
            "assigned_to", "submitted_at", "due_at", "is_overdue", "notice_sent_at", "missing_documents",
            "notice_note", "decided_at", "decision_reason", "round", "round_name_zh", "round_name_en",
            "rule_set_version", "facts_on", "total", "eligible", "scored_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_case_url(self, case: Case) -> str:
        return reverse("case-detail", args=[case.pk])


class PointsApplicationDetailOutputSerializer(PointsApplicationOutputSerializer):
    """The application with its items, the verified breakdown, what the decided items give so far
    (``provisional_total``), its objections, its place in the latest published ranking (null before one), and
    the documents with the checklist of evidence to upload."""

    objection_ends_on = serializers.DateField(
        source="points_application.round.objection_ends_on", read_only=True, allow_null=True
    )
    provisional_total = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    breakdown = serializers.SerializerMethodField()
    objections = serializers.SerializerMethodField()
    ranking = serializers.SerializerMethodField()
    documents = CaseDocumentSerializer(many=True, read_only=True)
    checklist = CaseChecklistField()

    class Meta(PointsApplicationOutputSerializer.Meta):
        fields = [
            *PointsApplicationOutputSerializer.Meta.fields, "objection_ends_on", "provisional_total", "items",
            "breakdown", "objections", "ranking", "documents", "checklist",
        ]  # fmt: skip
        read_only_fields = fields

    def _extra(self) -> dict[str, Any]:
        return self.context["extra"]  # type: ignore[no-any-return]

    @extend_schema_field(serializers.DecimalField(**POINTS, allow_null=True))
    def get_provisional_total(self, case: Case) -> Any:
        return serializers.DecimalField(**POINTS).to_representation(self._extra()["provisional_total"])

    @extend_schema_field(PointsApplicationItemSerializer(many=True))
    def get_items(self, case: Case) -> Any:
        return PointsApplicationItemSerializer(self._extra()["items"], many=True).data

    @extend_schema_field(PointsVerifiedBreakdownItemSerializer(many=True))
    def get_breakdown(self, case: Case) -> Any:
        return PointsVerifiedBreakdownItemSerializer(case.points_application.breakdown or [], many=True).data

    @extend_schema_field(PointsObjectionOutputSerializer(many=True))
    def get_objections(self, case: Case) -> Any:
        return PointsObjectionOutputSerializer(self._extra()["objections"], many=True).data

    @extend_schema_field(PointsApplicationRankingSerializer(allow_null=True))
    def get_ranking(self, case: Case) -> Any:
        ranking = self._extra()["ranking"]
        return None if ranking is None else PointsApplicationRankingSerializer(ranking).data


class PointsApplicationStartInputSerializer(serializers.Serializer):
    round = serializers.IntegerField(help_text="A round taking applications, as /api/v1/points/rounds/ lists them.")
    applicant = serializers.IntegerField(
        required=False, help_text="The resident applying (oneself by default; they must hold a valid permit)."
    )
    declared = serializers.DictField(
        child=FactField(allow_null=True), required=False, default=dict,
        help_text="The declared indicators, key → fact (the computed ones are counted on submission).",
    )  # fmt: skip


class PointsApplicationDeclareInputSerializer(serializers.Serializer):
    declared = serializers.DictField(
        child=FactField(allow_null=True), allow_empty=True,
        help_text="Every declared indicator, key → fact; one left out is not declared.",
    )  # fmt: skip


class PointsItemVerifyInputSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=64, help_text="The item's indicator key.")
    decision = serializers.ChoiceField(choices=ItemDecision.choices)
    value = FactField(
        required=False, allow_null=True, help_text="The value that counts, for an adjustment (ignored otherwise)."
    )
    reason = serializers.CharField(
        max_length=REASON_MAX, required=False, allow_blank=True, help_text="Required; the applicant sees it."
    )


class PointsObjectionInputSerializer(serializers.Serializer):
    item_keys = serializers.ListField(
        child=serializers.SlugField(max_length=64), allow_empty=True, max_length=100,
        help_text="The items contested (their indicator keys).",
    )  # fmt: skip
    reason = serializers.CharField(max_length=OBJECTION_REASON_MAX, required=False, allow_blank=True)
