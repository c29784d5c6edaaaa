"""Writes of the points app.

Rule sets: a published (or retired) rule set is never edited; scores keep the version they were made under, so a
change is a new version that replaces the old one when it is published.

Applications are cases of type "points" (points.casetype): started here with the declared items, submitted and
asked for documents through the generic casework, reviewed item by item here (accept, adjust or reject, always
with a reason), completed here (the score is fixed with its breakdown), published in a ranking here, and
contested through an objection (异议) that reopens review of the items contested.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.choices import CaseStatus
from cases.models import Case
from cases.permissions import acts_for_applicant, may_decide_case
from cases.services import case_open, case_transition
from kernel.errors import DomainError
from kernel.memory import collector_paused
from notifications.services import ReminderDue, reminders_issue
from permits.services import permit_require_valid
from residents.models import Resident
from residents.pii import name_mask
from residents.services import audit_record

from . import scoring
from .casetype import needs_review
from .choices import ItemDecision, ItemStatus, PointsEvent, RuleSetStatus
from .facts import COMPUTED_FACTS, facts_known
from .models import (
    Indicator,
    PointsApplication,
    PointsItem,
    PointsObjection,
    PointsRanking,
    PointsRankingEntry,
    PointsRound,
    RuleSet,
)
from .rulejson import fact_to_json
from .selectors import (
    POINTS_CASE_TYPE,
    points_application_active,
    points_application_score,
    points_applications_in_review,
    points_items_of,
    points_ranking_candidates,
    rule_set_scoring_of,
    rule_set_to_scoring,
)

REASON_MAX = 500


def rule_set_ensure_editable(rule_set: RuleSet) -> None:
    """Refuse any change to a rule set that has been published (its stored status decides, not the form's)."""
    status = RuleSet.objects.filter(pk=rule_set.pk).values_list("status", flat=True).first()
    if status is not None and status != RuleSetStatus.DRAFT:
        raise DomainError(
            "rule_set_not_editable", _("已发布的积分规则不能修改，请复制为新版本后修改并发布。"), conflict=True
        )


@transaction.atomic
def rule_set_publish(*, actor: User | None, rule_set: RuleSet) -> RuleSet:
    """Publish a draft after checking it makes a valid table; the year's previously published set is retired."""
    locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if locked.status != RuleSetStatus.DRAFT:
        raise DomainError("rule_set_not_draft", _("只有草稿状态的积分规则可以发布。"), conflict=True)
    if not locked.indicators.exists():
        raise DomainError("rule_set_empty", _("积分规则至少需要一个指标。"))
    try:
        table = rule_set_to_scoring(locked)
    except ValueError as error:
        raise DomainError("rule_set_invalid", _("积分规则有误：%(problem)s") % {"problem": error}) from error
    unknown = [
        f"{indicator.label_zh}（{indicator.key}）"
        for indicator in table.indicators
        if indicator.source == scoring.Source.COMPUTED and indicator.key not in COMPUTED_FACTS
    ]
    if unknown:
        raise DomainError(
            "rule_set_computed_unknown",
            _("以下指标标为“系统核算”，但系统没有可核算的数据，请改为“本人申报”：%(list)s")
            % {"list": _("、").join(unknown)},
        )
    previous = list(RuleSet.objects.select_for_update().filter(year=locked.year, status=RuleSetStatus.PUBLISHED))
    RuleSet.objects.filter(pk__in=[p.pk for p in previous]).update(status=RuleSetStatus.RETIRED)
    locked.status = RuleSetStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at"])
    rule_set.status, rule_set.published_at = locked.status, locked.published_at
    audit_record(
        actor=actor, subject=None, event_type=PointsEvent.POINTS_RULE_SET_PUBLISHED, obj=locked,
        old={"retired": [p.version for p in previous]}, new={"version": locked.version, "year": locked.year},
    )  # fmt: skip
    return locked


def _next_version(year: int) -> str:
    versions = RuleSet.objects.filter(year=year).values_list("version", flat=True)
    highest = 0
    for version in versions:
        head, _sep, tail = version.partition(".")
        if head == str(year) and tail.isdigit():
            highest = max(highest, int(tail))
    return f"{year}.{highest + 1}"


@transaction.atomic
def rule_set_succeed(*, actor: User | None, rule_set: RuleSet) -> RuleSet:
    """Copy a published rule set, indicators and all, into a new draft version of the same year."""
    source = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if source.status != RuleSetStatus.PUBLISHED:
        raise DomainError("rule_set_not_published", _("只有已发布的积分规则可以复制为新版本。"), conflict=True)
    draft = RuleSet.objects.create(
        year=source.year,
        version=_next_version(source.year),
        status=RuleSetStatus.DRAFT,
        tie_break_zh=source.tie_break_zh,
        tie_break_en=source.tie_break_en,
        tie_break_keys=list(source.tie_break_keys or []),
        category_caps=dict(source.category_caps or {}),
        supersedes=source,
    )
    Indicator.objects.bulk_create(
        Indicator(
            rule_set=draft,
            key=row.key,
            label_zh=row.label_zh,
            label_en=row.label_en,
            category=row.category,
            source=row.source,
            unit_zh=row.unit_zh,
            unit_en=row.unit_en,
            rule=row.rule,
            sort_order=row.sort_order,
        )
        for row in source.indicators.order_by("sort_order", "pk")
    )
    audit_record(
        actor=actor, subject=None, event_type=PointsEvent.POINTS_RULE_SET_SUCCEEDED, obj=draft,
        old={"version": source.version}, new={"version": draft.version},
    )  # fmt: skip
    return draft


# --- applications ----------------------------------------------------------------------------------------


def _declared_json(rule_set: scoring.RuleSet, declared: Mapping[str, Any]) -> dict[str, Any]:
    """The applicant's answers for the declared indicators, validated and as stored. Answers for computed
    indicators are ignored (the portal counts them); a key the table does not have is an error."""
    known = {indicator.key: indicator for indicator in rule_set.indicators}
    unknown = sorted(key for key in declared if key not in known)
    if unknown:
        raise DomainError(
            "points_item_unknown",
            _("积分规则中没有这些项目：%(keys)s。") % {"keys": _("、").join(unknown)},
            field=unknown[0],
        )
    stored: dict[str, Any] = {}
    for indicator in rule_set.indicators:
        if indicator.source != scoring.Source.DECLARED:
            continue
        try:
            stored[indicator.key] = fact_to_json(indicator, declared.get(indicator.key))
        except scoring.InvalidFact as error:
            raise DomainError(
                "points_fact_invalid",
                _("“%(item)s”填写有误：%(problem)s") % {"item": indicator.label_zh, "problem": error.problem},
                field=indicator.key,
            ) from error
    return stored


def _items_declare(application: PointsApplication, rule_set: scoring.RuleSet, stored: dict[str, Any]) -> None:
    """Create or refresh the application's lines, one per indicator of its rule set.

    Before submission every line waits. After it (a correction while documents are asked for), computed lines
    and declared lines left as they were keep what the caseworker decided; a changed line goes back to review,
    or counts nothing when it no longer declares anything.
    """
    submitted = application.facts_on is not None
    existing = {item.key: item for item in application.items.all()}
    for order, indicator in enumerate(rule_set.indicators):
        item = existing.get(indicator.key)
        if item is None:
            item = PointsItem(application=application, key=indicator.key, source=indicator.source, sort_order=order)
        elif indicator.source == scoring.Source.COMPUTED or item.declared == stored.get(indicator.key):
            continue
        if indicator.source == scoring.Source.DECLARED:
            item.declared = stored.get(indicator.key)
        waits = not submitted or needs_review(indicator, item.declared)
        item.status = ItemStatus.PENDING if waits else ItemStatus.NOT_DECLARED
        item.value, item.reason, item.points, item.decided_by, item.decided_at = None, "", None, None, None
        item.save()


@transaction.atomic
def points_application_start(
    *,
    actor: User,
    applicant: Resident,
    round: PointsRound,
    declared: Mapping[str, Any],
    ip: str | None = None,
) -> Case:
    """Start an application (a draft) in an open round with the applicant's declared items; the items the
    portal can compute are computed when it is submitted. One application per person and round; the
    applicant's row is locked so two tabs cannot open two."""
    if not Resident.objects.visible_to(actor).filter(pk=applicant.pk).exists():
        raise DomainError("not_allowed", _("您不能为这位居民提出申请。"))
    applicant = Resident.objects.select_for_update().get(pk=applicant.pk)
    round = PointsRound.objects.select_related("rule_set").get(pk=round.pk)
    points_round_check_open(round, timezone.localdate(), field="round")
    points_applicant_check(applicant)
    if active := points_application_active(applicant=applicant, round=round):
        raise DomainError(
            "points_application_exists",
            _("您在本期已有一件积分申请（受理编号 %(reference)s），每期只能申请一次。")
            % {"reference": active.reference},
            field="round",
            conflict=True,
        )
    table = rule_set_scoring_of(round.rule_set_id)
    stored = _declared_json(table, declared)
    case = case_open(actor=actor, case_type=POINTS_CASE_TYPE, applicant=applicant, ip=ip)
    application = PointsApplication.objects.create(case=case, round=round, rule_set=round.rule_set)
    _items_declare(application, table, stored)
    audit_record(
        actor=actor, subject=applicant, event_type=PointsEvent.POINTS_APPLICATION_CHANGED, obj=case,
        new={"round": round.pk, "rule_set": round.rule_set.version, "declared": stored}, ip=ip,
    )  # fmt: skip
    return case


@transaction.atomic
def points_application_declare(*, actor: User, case: Case, declared: Mapping[str, Any], ip: str | None = None) -> Case:
    """Change the declared items of a draft (or of an application sent back for documents)."""
    locked = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
    if not acts_for_applicant(actor, locked):
        raise DomainError("not_allowed", _("只有申请人本人可以修改申报内容。"))
    if locked.status not in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS):
        raise DomainError(
            "points_not_editable", _("申请已提交，不能再修改申报内容。如对核定结果有异议，请在公示期内提出。"),
            conflict=True,
        )  # fmt: skip
    application = PointsApplication.objects.get(case=locked)
    table = rule_set_scoring_of(application.rule_set_id)
    stored = _declared_json(table, declared)
    old = dict(application.items.filter(source=scoring.Source.DECLARED).values_list("key", "declared"))
    _items_declare(application, table, stored)
    audit_record(
        actor=actor, subject=locked.applicant, event_type=PointsEvent.POINTS_APPLICATION_CHANGED, obj=locked,
        old={"declared": old}, new={"declared": stored}, ip=ip,
    )  # fmt: skip
    return locked


def points_items_compute(*, application: PointsApplication, on: datetime.date) -> None:
    """On submission: count the computed items from the portal's records as of ``on``, and mark the declared
    items a person must check (the others are "not declared"). Called inside the submission's transaction."""
    table = rule_set_scoring_of(application.rule_set_id)
    known = facts_known(application.case.applicant, table, on)
    for item in application.items.all():
        indicator = table.indicator(item.key)
        if item.source == scoring.Source.COMPUTED:
            value = fact_to_json(indicator, known.get(item.key))
            item.declared, item.value, item.status = value, value, ItemStatus.COMPUTED
        elif needs_review(indicator, item.declared):
            item.value, item.status = None, ItemStatus.PENDING
        else:
            item.value, item.status = None, ItemStatus.NOT_DECLARED
        item.reason, item.decided_by, item.decided_at = "", None, None
        item.save(update_fields=["declared", "value", "status", "reason", "decided_by", "decided_at"])
    application.facts_on = on
    application.save(update_fields=["facts_on"])


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("请写明核定理由，申请人会看到它。"), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError("reason_too_long", _("理由最多 %(max)s 个字。") % {"max": REASON_MAX}, field="reason")
    return reason


def _check_may_review(actor: User, case: Case) -> None:
    if not may_decide_case(actor, case):
        raise DomainError("not_allowed", _("您没有办理这件申请的权限（不在您负责的街道）。"))
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED):
        raise DomainError(
            "points_not_in_review",
            _("这件申请当前的状态是“%(status)s”，不在核定中。") % {"status": CaseStatus(case.status).label},
            conflict=True,
        )


@transaction.atomic
def points_item_verify(
    *,
    actor: User,
    case: Case,
    key: str,
    decision: str,
    reason: str,
    value: Any = None,
    ip: str | None = None,
) -> PointsItem:
    """A caseworker's decision on one item: accept it as declared, adjust it to ``value``, or reject it (it then
    counts nothing). Always with a reason, which the applicant sees. Computed items may be adjusted too (a record
    the portal had wrong, or a false declaration found)."""
    locked = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
    _check_may_review(actor, locked)
    try:
        decision = ItemDecision(decision)
    except ValueError:
        raise DomainError("decision_invalid", _("请选择核定结果：属实、调整或不予认定。"), field="decision") from None
    reason = _clean_reason(reason)
    application = PointsApplication.objects.get(case=locked)
    item = application.items.select_for_update().filter(key=key).first()
    if item is None:
        raise DomainError("points_item_unknown", _("这件申请没有这个积分项目。"), field="key")
    if item.status == ItemStatus.NOT_DECLARED and decision != ItemDecision.ADJUST:
        raise DomainError(
            "points_item_not_declared", _("申请人没有申报这一项；如需计入，请选择“调整”并填写认定的值。"), field="key"
        )
    indicator = rule_set_scoring_of(application.rule_set_id).indicator(key)
    if decision == ItemDecision.ADJUST:
        try:
            counted = fact_to_json(indicator, value)
        except scoring.InvalidFact as error:
            raise DomainError(
                "points_fact_invalid", _("认定的值有误：%(problem)s") % {"problem": error.problem}, field="value"
            ) from error
    elif decision == ItemDecision.ACCEPT:
        counted = item.declared
    else:
        counted = None
    old = {"decision": item.status, "value": item.value, "reason": item.reason}
    item.status, item.value, item.reason = ItemStatus(decision.value), counted, reason
    item.decided_by, item.decided_at = actor, timezone.now()
    item.save(update_fields=["status", "value", "reason", "decided_by", "decided_at"])
    audit_record(
        actor=actor, subject=locked.applicant, event_type=PointsEvent.POINTS_ITEM_VERIFIED, obj=locked,
        old={"item": indicator.label_zh, **old},
        new={"item_key": key, "item": indicator.label_zh, "decision": item.status, "value": counted},
        reason=reason, ip=ip,
    )  # fmt: skip
    return item


def _breakdown_json(result: scoring.Score) -> list[dict[str, Any]]:
    return [
        {
            "key": item.key, "label": item.label, "label_en": item.label_en, "category": str(item.category),
            "points": str(item.points), "capped": item.capped, "note": item.note, "note_en": item.note_en,
        }
        for item in result.breakdown
    ]  # fmt: skip


@transaction.atomic
def points_review_complete(*, actor: User, case: Case, ip: str | None = None) -> Case:
    """Fix the score once every item is decided: the total, the breakdown and each item's points are saved with
    the rule-set version; the application is approved, or refused when a veto item applies (with the items
    named). After an objection this resolves it, saying what changed."""
    locked = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
    _check_may_review(actor, locked)
    application = PointsApplication.objects.select_for_update().select_related("rule_set").get(case=locked)
    items = points_items_of(application)
    pending = [item for item in items if item.status == ItemStatus.PENDING]
    table = rule_set_scoring_of(application.rule_set_id)
    if pending:
        labels = _("、").join(table.indicator(item.key).label_zh for item in pending)
        raise DomainError("points_items_pending", _("还有项目没有核定：%(list)s。") % {"list": labels}, conflict=True)
    result = points_application_score(application, items)
    by_key = {line.key: line for line in result.breakdown}
    for item in items:
        item.points, item.contested = by_key[item.key].points, False
    PointsItem.objects.bulk_update(items, ["points", "contested"])
    old_total = application.total
    application.total, application.eligible = result.total, result.eligible
    application.breakdown, application.scored_at = _breakdown_json(result), timezone.now()
    application.save(update_fields=["total", "eligible", "breakdown", "scored_at"])
    objection = application.objections.select_for_update().filter(resolved_at__isnull=True).first()
    if objection is not None:
        objection.resolved_at = timezone.now()
        objection.outcome = _("复核后总分 %(old)s → %(new)s 分。") % {
            "old": scoring.format_points(objection.previous_total or Decimal(0)),
            "new": scoring.format_points(result.total),
        }
        objection.save(update_fields=["resolved_at", "outcome"])
    audit_record(
        actor=actor, subject=locked.applicant, event_type=PointsEvent.POINTS_SCORED, obj=locked,
        old={"total": None if old_total is None else str(old_total)},
        new={"total": str(result.total), "eligible": result.eligible, "rule_set": application.rule_set.version},
        ip=ip,
    )  # fmt: skip
    total = scoring.format_points(result.total)
    if not result.eligible:
        vetoes = _("、").join(table.indicator(key).label_zh for key in result.vetoed_by)
        reason = _("经核定，存在一票否决情形：%(list)s，不具备积分资格。") % {"list": vetoes}
        return case_transition(actor=actor, case=locked, target=CaseStatus.REFUSED, reason=reason, ip=ip)
    return case_transition(
        actor=actor, case=locked, target=CaseStatus.APPROVED, ip=ip,
        reason=_("核定总分 %(total)s 分。") % {"total": total},
        notify_template="points.scored", notify_extra={"total": total, "version": application.rule_set.version},
    )  # fmt: skip


OBJECTION_REASON_MAX = 1000


@transaction.atomic
def points_objection_file(
    *, actor: User, case: Case, item_keys: list[str], reason: str, ip: str | None = None
) -> PointsObjection:
    """An objection (异议) within the round's objection window: the items contested go back to review (their
    previous decisions are kept on the objection) and the application is back with the caseworker."""
    locked = Case.objects.select_for_update().select_related("applicant").get(pk=case.pk)
    if not acts_for_applicant(actor, locked):
        raise DomainError("not_allowed", _("只有申请人本人可以提出异议。"))
    application = PointsApplication.objects.select_related("round").get(case=locked)
    round = application.round
    today = timezone.localdate()
    if not round.objection_open_on(today):
        if round.ranking_published_on is None:
            message = _("排名公示后才能提出异议。")
        else:
            message = _("本期异议期已于 %(date)s 结束。") % {"date": round.objection_ends_on.isoformat()}
        raise DomainError("points_objection_closed", message, conflict=True)
    if locked.status not in (CaseStatus.APPROVED, CaseStatus.REFUSED) or application.scored_at is None:
        raise DomainError("points_objection_not_scored", _("只有已核定的积分申请可以提出异议。"), conflict=True)
    keys = list(dict.fromkeys(item_keys or []))
    if not keys:
        raise DomainError("points_objection_items", _("请勾选有异议的项目。"), field="item_keys")
    items = {item.key: item for item in application.items.select_for_update().filter(key__in=keys)}
    if unknown := [key for key in keys if key not in items]:
        raise DomainError(
            "points_item_unknown", _("这件申请没有这些项目：%(keys)s。") % {"keys": _("、").join(unknown)},
            field="item_keys",
        )  # fmt: skip
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("请写明异议的理由。"), field="reason")
    if len(reason) > OBJECTION_REASON_MAX:
        raise DomainError(
            "reason_too_long", _("理由最多 %(max)s 个字。") % {"max": OBJECTION_REASON_MAX}, field="reason"
        )
    previous = {
        key: {"status": item.status, "value": item.value, "reason": item.reason, "points": str(item.points)}
        for key, item in items.items()
    }
    objection = PointsObjection.objects.create(
        application=application, item_keys=keys, reason=reason, previous=previous,
        previous_total=application.total, filed_by=actor,
    )  # fmt: skip
    for item in items.values():
        item.status, item.contested, item.decided_by, item.decided_at = ItemStatus.PENDING, True, None, None
        item.save(update_fields=["status", "contested", "decided_by", "decided_at"])
    audit_record(
        actor=actor, subject=locked.applicant, event_type=PointsEvent.POINTS_OBJECTION_FILED, obj=locked,
        new={"items": [rule_set_scoring_of(application.rule_set_id).indicator(key).label_zh for key in keys]},
        reason=reason, ip=ip,
    )  # fmt: skip
    now = timezone.now()
    case_transition(
        actor=actor, case=locked, target=CaseStatus.RESUBMITTED, reason=reason, ip=ip,
        changes={"due_at": now + datetime.timedelta(days=15)},
        notify_template="points.objection_received",
    )  # fmt: skip
    return objection


# --- rankings ------------------------------------------------------------------------------------------

ENTRY_BATCH = 5_000


@transaction.atomic
def points_ranking_publish(*, actor: User | None, round: PointsRound, ip: str | None = None) -> PointsRanking:
    """Publish the round's ranking. The first edition (公示) comes once applications have closed and every
    submitted one is decided, and opens the objection window; the final edition comes after the window, once
    every objection is reviewed. Entries are re-scored from the verified items (so a ranking always agrees with
    the breakdowns), ordered by total and the published tie-break, names masked; the cut-off is the total of
    the last place within the quota. Each applicant is told their place."""
    locked = PointsRound.objects.select_for_update().select_related("rule_set").get(pk=round.pk)
    today = timezone.localdate()
    if locked.final_published_on is not None:
        raise DomainError("points_ranking_final", _("本期最终排名已经公布。"), conflict=True)
    if today <= locked.closes_on:
        raise DomainError(
            "points_round_not_closed",
            _("申报截止（%(date)s）后才能公示排名。") % {"date": locked.closes_on.isoformat()},
            conflict=True,
        )
    final = locked.ranking_published_on is not None
    if final and locked.objection_ends_on is not None and today <= locked.objection_ends_on:
        raise DomainError(
            "points_objection_window_open",
            _("异议期到 %(date)s 结束，之后才能公布最终排名。") % {"date": locked.objection_ends_on.isoformat()},
            conflict=True,
        )
    in_review = points_applications_in_review(round=locked).count()
    if in_review:
        raise DomainError(
            "points_review_unfinished",
            _("还有 %(count)s 件申请没有核定完，全部核定后才能公示排名。") % {"count": in_review},
            conflict=True,
        )
    table = rule_set_scoring_of(locked.rule_set_id)
    with collector_paused():  # a hundred thousand scores live until the entries are written
        ranked = scoring.rank(points_ranking_candidates(round=locked), table)
    quota = locked.quota
    cutoff = ranked[quota - 1].score.total if quota and len(ranked) >= quota else None
    edition = (locked.rankings.order_by("-edition").values_list("edition", flat=True).first() or 0) + 1
    ranking = PointsRanking.objects.create(
        round=locked, edition=edition, is_final=final, published_by=actor if actor and actor.pk else None,
        rule_set_version=table.version, tie_break_zh=table.tie_break_zh, tie_break_en=table.tie_break_en,
        quota=quota, cutoff=cutoff, entry_count=len(ranked),
    )  # fmt: skip
    # One read of the round's applications for their ids and names (a round is read whole here anyway).
    details = {
        reference: (pk, name)
        for reference, pk, name in PointsApplication.objects.filter(round=locked).values_list(
            "case__reference", "id", "case__applicant__name"
        )
    }
    PointsRankingEntry.objects.bulk_create(
        (
            PointsRankingEntry(
                ranking=ranking, position=r.position, application_id=details[r.entry.ref][0], reference=r.entry.ref,
                masked_name=name_mask(details[r.entry.ref][1]), total=r.score.total, tied=r.tied,
                within_quota=quota is None or r.position <= quota,
            )
            for r in ranked
        ),
        batch_size=ENTRY_BATCH,
    )  # fmt: skip
    if final:
        locked.final_published_on = today
    else:
        locked.ranking_published_on = today
        locked.objection_ends_on = today + datetime.timedelta(days=locked.objection_days)
    locked.save(update_fields=["ranking_published_on", "objection_ends_on", "final_published_on"])
    audit_record(
        actor=actor, subject=None, event_type=PointsEvent.POINTS_RANKING_PUBLISHED, obj=ranking,
        new={"round": locked.pk, "edition": edition, "final": final, "entries": len(ranked),
             "cutoff": None if cutoff is None else str(cutoff)}, ip=ip,
    )  # fmt: skip
    _ranking_notify(locked, ranking, ranked, today)
    return ranking


def _ranking_notify(
    round: PointsRound, ranking: PointsRanking, ranked: list[scoring.RankedEntry], today: datetime.date
) -> None:
    """Each ranked applicant with an account hears their place (set-based: one reminder row each, sent once)."""
    users = dict(
        Case.objects.filter(points_application__round=round, applicant__user__isnull=False).values_list(
            "reference", "applicant__user_id"
        )
    )
    cases = dict(Case.objects.filter(points_application__round=round).values_list("reference", "pk"))
    template = "points.ranking_final" if ranking.is_final else "points.ranking_published"
    objection_ends = round.objection_ends_on.isoformat() if round.objection_ends_on else ""
    due = [
        ReminderDue(
            kind=template, subject=f"case:{cases[r.entry.ref]}:{ranking.edition}", due_date=today,
            recipient_id=users[r.entry.ref], template=template,
            context={"reference": r.entry.ref, "position": r.position, "total": scoring.format_points(r.score.total),
                     "round": round.name_zh, "objection_ends_on": objection_ends},
            link=reverse("points:ranking", args=[round.pk]),
        )
        for r in ranked
        if r.entry.ref in users
    ]  # fmt: skip
    if due:
        reminders_issue(due)


# --- the case type's hooks (points.casetype names them) -------------------------------------------------


def points_applicant_check(applicant: Resident) -> None:
    """Points are for holders of a valid residence permit (居住证积分): checked at start and on submission."""
    permit_require_valid(applicant, service=_("积分申请"))


def points_round_check_open(round: PointsRound, today: datetime.date, *, field: str | None = None) -> None:
    """Applications are started and submitted only within the round's window: checked at both."""
    if not round.is_open_on(today):
        raise DomainError(
            "points_round_closed",
            _("本期积分申报时间为 %(opens)s 至 %(closes)s，现在不在申报时间内。请留意“积分”页面公布的下一期申报时间。")
            % {"opens": round.opens_on.isoformat(), "closes": round.closes_on.isoformat()},
            field=field,
            conflict=True,
        )


def points_case_check_submit(case: Case) -> None:
    """On submission: the round still open, and the applicant still holding a valid permit."""
    detail = PointsApplication.objects.select_related("round").filter(case=case).first()
    if detail is None:  # opened through the generic /api/v1/cases/, without a round
        raise DomainError("points_round_missing", _("这件申请没有申报期，请在“积分”页面重新申请。"), field="round")
    points_round_check_open(detail.round, timezone.localdate())
    points_applicant_check(case.applicant)


def points_case_on_transition(*, case: Case, source: str, target: str, actor: User | None) -> None:
    """Submission counts the computed items; approval only through the review; an objection reopens it."""
    detail = PointsApplication.objects.filter(case=case).first()
    if detail is None:
        return
    if target == CaseStatus.SUBMITTED:
        points_items_compute(application=detail, on=timezone.localdate())
    elif target == CaseStatus.APPROVED and (
        detail.scored_at is None or detail.items.filter(status=ItemStatus.PENDING).exists()
    ):
        raise DomainError("points_review_items", _("请逐项核定积分项目后，点击“完成核定”。"), conflict=True)
    elif (
        target == CaseStatus.RESUBMITTED
        and source in (CaseStatus.APPROVED, CaseStatus.REFUSED)
        and not detail.objections.filter(resolved_at__isnull=True).exists()
    ):
        raise DomainError("points_objection_required", _("核定结果只能通过提出异议重新审核。"), conflict=True)
