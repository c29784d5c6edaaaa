"""Serializers of the school-enrolment API: inputs check the shape of a request (education.services checks the
rules), outputs shape what a client reads. Points are decimal strings ("87.50"), dates ISO 8601."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone, translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import CaseDocumentSerializer, DocumentChecklistItemSerializer
from cases.choices import CaseStatus
from cases.selectors import case_document_checklist
from residents.models import Region

from ..choices import ResultStatus, RoundStatus
from ..forms import DECLINE_REASON_MAX
from ..models import (
    MAX_PREFERENCES_LIMIT,
    AllocationCutoff,
    EnrolmentApplication,
    EnrolmentPreference,
    EnrolmentResult,
    EnrolmentRound,
    RoundSchool,
    School,
)
from ..selectors import round_timeline

POINTS = {"max_digits": 8, "decimal_places": 2}


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


# --- schools ------------------------------------------------------------------------------------------


class CatchmentCommunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name"]
        read_only_fields = fields


class SchoolRoundSeatsSerializer(serializers.ModelSerializer):
    """A school's seats in one round under way."""

    round_name = serializers.CharField(source="round.name", read_only=True)
    round_status = serializers.CharField(source="round.status", read_only=True)

    class Meta:
        model = RoundSchool
        fields = ["round", "round_name", "round_status", "seats"]
        read_only_fields = fields


class SchoolOutputSerializer(serializers.ModelSerializer):
    """A school: where it is, its catchment (学区: the communities whose families rank first for it), and its seats
    for migrant children in each round under way (open, allocated or published)."""

    level_label = serializers.CharField(source="get_level_display", read_only=True)
    street_name = serializers.CharField(source="street.name", read_only=True)
    catchment = CatchmentCommunitySerializer(source="catchment_communities", many=True, read_only=True)
    seats = SchoolRoundSeatsSerializer(source="seats_now", many=True, read_only=True)

    class Meta:
        model = School
        fields = [
            "id", "name", "name_en", "level", "level_label", "street", "street_name", "address", "is_active",
            "catchment", "seats",
        ]  # fmt: skip
        read_only_fields = fields


# --- rounds -------------------------------------------------------------------------------------------


class TimelineStepSerializer(serializers.Serializer):
    """One phase of the round's calendar as parents see it."""

    key = serializers.ChoiceField(
        choices=["applications", "documents", "objections", "preferences", "allocation", "confirmation"]
    )
    label = serializers.CharField()
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField()
    state = serializers.ChoiceField(
        choices=[("done", "done"), ("now", "now"), ("later", "later")],
        help_text="done: over; now: under way today; later: still to come.",
    )


class RoundSchoolSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    school_name_en = serializers.CharField(source="school.name_en", read_only=True)

    class Meta:
        model = RoundSchool
        fields = ["school", "school_name", "school_name_en", "seats"]
        read_only_fields = fields


class CutoffSerializer(serializers.ModelSerializer):
    """A school's seat use in the final run and, when it filled up, the last child admitted: tier, then points."""

    school_name = serializers.CharField(source="school.name", read_only=True)
    # The same scale as a result's ``tier`` (one enum in the schema): 0 in the catchment, 1 same street, 2 elsewhere.
    last_tier = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="0: in the catchment; 1: the same street; 2: elsewhere."
    )
    last_tier_label = serializers.CharField(source="get_last_tier_display", read_only=True, allow_null=True)

    class Meta:
        model = AllocationCutoff
        fields = [
            "school", "school_name", "seats", "seats_used", "is_full", "last_tier", "last_tier_label", "last_points",
        ]  # fmt: skip
        read_only_fields = fields


class EnrolmentRoundOutputSerializer(serializers.ModelSerializer):
    """A round: its age rule, its calendar (and the same as a timeline), the schools with their seats, and once
    the results are published each school's cut-off and the lottery seed (anyone can recompute the lottery)."""

    grade_label = serializers.CharField(source="get_grade_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_further_round = serializers.BooleanField(read_only=True)
    taking_applications = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    schools = RoundSchoolSerializer(source="school_seats", many=True, read_only=True)
    cutoffs = serializers.SerializerMethodField()
    seed = serializers.SerializerMethodField()

    class Meta:
        model = EnrolmentRound
        fields = [
            "id", "year", "grade", "grade_label", "name", "name_en", "status", "status_label", "is_further_round",
            "previous", "born_on_or_after", "born_on_or_before", "max_preferences", "applications_open_on",
            "applications_close_on", "documents_check_end_on", "objections_end_on", "preferences_close_on",
            "allocation_on", "confirmation_end_on", "taking_applications", "timeline", "schools", "cutoffs", "seed",
            "published_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_taking_applications(self, enrolment_round: EnrolmentRound) -> bool:
        return enrolment_round.accepts_applications_on(timezone.localdate())

    @extend_schema_field(TimelineStepSerializer(many=True))
    def get_timeline(self, enrolment_round: EnrolmentRound) -> list[dict[str, Any]]:
        steps = round_timeline(enrolment_round=enrolment_round, today=timezone.localdate())
        return TimelineStepSerializer(steps, many=True).data

    @extend_schema_field(CutoffSerializer(many=True))
    def get_cutoffs(self, enrolment_round: EnrolmentRound) -> list[dict[str, Any]]:
        """Empty until the round's results are published."""
        return CutoffSerializer(self.context["cutoffs"].get(enrolment_round.pk, []), many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_seed(self, enrolment_round: EnrolmentRound) -> str | None:
        """The lottery seed, once published (null before)."""
        if enrolment_round.status in (RoundStatus.PUBLISHED, RoundStatus.CLOSED) and enrolment_round.seed:
            return enrolment_round.seed
        return None


# --- applications -------------------------------------------------------------------------------------


class PreferenceOutputSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    school_name_en = serializers.CharField(source="school.name_en", read_only=True)

    class Meta:
        model = EnrolmentPreference
        fields = ["rank", "school", "school_name", "school_name_en"]
        read_only_fields = fields


class EnrolmentResultOutputSerializer(serializers.ModelSerializer):
    """What the allocation gave, and why: ``reason`` is in the request's language (``reason_zh`` / ``reason_en``
    both kept as written on the day). ``points``, ``tier`` and ``community`` are what counted then."""

    status = serializers.ChoiceField(choices=ResultStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True, allow_null=True)
    school_address = serializers.CharField(source="school.address", read_only=True, allow_null=True)
    tier_label = serializers.CharField(source="get_tier_display", read_only=True, allow_null=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = EnrolmentResult
        fields = [
            "status", "status_label", "school", "school_name", "school_address", "choice_rank", "tier", "tier_label",
            "points", "community", "reason", "reason_zh", "reason_en", "responded_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_reason(self, result: EnrolmentResult) -> str:
        return result.reason_en if _english() and result.reason_en else result.reason_zh


class EnrolmentApplicationOutputSerializer(serializers.ModelSerializer):
    """An application (its ``id`` is its case's id): the child, the round, the schools ranked, where the case
    stands and, once allocated, the result with its reason.

    ``may_change_preferences`` and ``may_answer`` say whether PATCH (the schools) and confirm / decline are open
    today. Documents, submit and withdraw are at ``case_url`` + action.
    """

    id = serializers.IntegerField(source="pk", read_only=True)
    case_url = serializers.SerializerMethodField(help_text="The same case in /api/v1/cases/, for its actions.")
    reference = serializers.CharField(source="case.reference", read_only=True)
    status = serializers.ChoiceField(source="case.status", choices=CaseStatus.choices, read_only=True)
    status_label = serializers.CharField(source="case.get_status_display", read_only=True)
    street = serializers.IntegerField(source="case.street_id", read_only=True, allow_null=True)
    submitted_at = serializers.DateTimeField(source="case.submitted_at", read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(source="case.decided_at", read_only=True, allow_null=True)
    decision_reason = serializers.CharField(source="case.decision_reason", read_only=True)
    child_name = serializers.CharField(source="child.name", read_only=True)
    guardian_name = serializers.CharField(source="guardian.name", read_only=True)
    round_name = serializers.CharField(source="round.name", read_only=True)
    max_preferences = serializers.IntegerField(source="round.max_preferences", read_only=True)
    preferences_close_on = serializers.DateField(source="round.preferences_close_on", read_only=True)
    confirmation_end_on = serializers.DateField(source="round.confirmation_end_on", read_only=True)
    preferences = PreferenceOutputSerializer(many=True, read_only=True)
    result = serializers.SerializerMethodField()
    may_change_preferences = serializers.SerializerMethodField()
    may_answer = serializers.SerializerMethodField()

    class Meta:
        model = EnrolmentApplication
        fields = [
            "id", "case_url", "reference", "status", "status_label", "street", "submitted_at", "decided_at",
            "decision_reason", "child", "child_name", "guardian", "guardian_name", "round", "round_name",
            "max_preferences", "preferences_close_on", "confirmation_end_on", "is_current", "preferences",
            "preferences_changed_at", "may_change_preferences", "result", "may_answer", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_case_url(self, application: EnrolmentApplication) -> str:
        return reverse("case-detail", args=[application.pk])

    @extend_schema_field(EnrolmentResultOutputSerializer(allow_null=True))
    def get_result(self, application: EnrolmentApplication) -> dict[str, Any] | None:
        result = getattr(application, "result", None)
        return EnrolmentResultOutputSerializer(result).data if result is not None else None

    def get_may_change_preferences(self, application: EnrolmentApplication) -> bool:
        closed = application.case.status in (CaseStatus.WITHDRAWN, CaseStatus.REFUSED)
        return application.is_current and not closed and application.round.accepts_preferences_on(timezone.localdate())

    def get_may_answer(self, application: EnrolmentApplication) -> bool:
        result = getattr(application, "result", None)
        return (
            result is not None
            and result.status == ResultStatus.OFFERED
            and application.round.accepts_confirmations_on(timezone.localdate())
        )


class EnrolmentApplicationDetailOutputSerializer(EnrolmentApplicationOutputSerializer):
    documents = CaseDocumentSerializer(source="case.documents", many=True, read_only=True)
    checklist = serializers.SerializerMethodField()

    class Meta(EnrolmentApplicationOutputSerializer.Meta):
        fields = [*EnrolmentApplicationOutputSerializer.Meta.fields, "documents", "checklist"]
        read_only_fields = fields

    @extend_schema_field(DocumentChecklistItemSerializer(many=True))
    def get_checklist(self, application: EnrolmentApplication) -> list[dict[str, Any]]:
        return DocumentChecklistItemSerializer(case_document_checklist(case=application.case), many=True).data


class PreferencesField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.IntegerField(min_value=1), max_length=MAX_PREFERENCES_LIMIT,
            help_text="School ids, most wanted first (at most the round's max_preferences; each once).", **kwargs,
        )  # fmt: skip


class EnrolmentApplicationStartInputSerializer(serializers.Serializer):
    child = serializers.IntegerField(help_text="The child's resident id (one of the caller's children).")
    round = serializers.IntegerField(help_text="A round taking applications, as /api/v1/enrolment-rounds/ lists them.")
    preferences = PreferencesField(required=False, default=list)
    guardian = serializers.IntegerField(
        required=False,
        help_text="The guardian whose permit and points count: the caller by default; a caseworker at the service "
        "window names the parent.",
    )


class EnrolmentPreferencesInputSerializer(serializers.Serializer):
    preferences = PreferencesField(allow_empty=True)


class EnrolmentDeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=DECLINE_REASON_MAX, required=False, allow_blank=True, default="")
