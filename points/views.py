"""The points pages.

Public, without signing in: the current year's published table, the what-if calculator, the rounds with their
calendar and the services they unlock, and each round's published ranking (masked names and references only).

Signed in: the calculator pre-filled from what the portal knows, which starts an application (a case of type
"points", points.casetype: its evidence is uploaded and it is submitted on the generic case page), 我的积分,
changing the declarations of a draft, the objection form, and the points panel of the case page
(:func:`points_case_panel_context`). Every score goes through points.scoring under the rule set the application
is made under, so the calculator, the application and the ranking give the same numbers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.network import client_ip
from cases.choices import CaseStatus
from cases.models import Case
from cases.permissions import acts_for_applicant
from cases.views import case_draft_opened
from kernel.errors import DomainError, form_add_domain_error
from residents import selectors as residents_selectors
from residents.models import Resident

from . import scoring, services
from .choices import ItemStatus
from .facts import facts_known
from .forms import CalculatorForm, ObjectionForm, fact_as_input, plain_number
from .models import PointsApplication, PointsItem, PointsObjection, PointsRankingEntry, PointsRound, RuleSet
from .rulejson import fact_from_json
from .selectors import (
    points_application_active,
    points_application_get,
    points_application_score,
    points_applications,
    points_applications_of,
    points_items_of,
    points_ranking_entries,
    points_ranking_entry_of,
    points_ranking_latest,
    points_ranking_places_of,
    points_round_open,
    points_rounds,
    resident_points_current,
    rule_set_current,
    rule_set_scoring_of,
    rule_set_to_scoring,
)


def _en() -> bool:
    return (get_language() or "").startswith("en")


def _pick(zh: str, en: str) -> str:
    return en if _en() and en else zh


def _pts(value: Decimal) -> str:
    return scoring.format_points(value)


def describe_rule(indicator: scoring.Indicator) -> list[str]:
    """How an indicator scores, line by line, for the published table."""
    rule = indicator.rule
    unit = _pick(indicator.unit_zh, indicator.unit_en)
    if isinstance(rule, scoring.PerUnit):
        if rule.per == 1:
            line = _("每%(unit)s %(points)s 分") % {"unit": unit or _("单位"), "points": _pts(rule.points)}
        else:
            line = _("每 %(per)s %(unit)s %(points)s 分") % {
                "per": _pts(rule.per),
                "unit": unit,
                "points": _pts(rule.points),
            }
        lines = [line]
        if rule.cap is not None:
            lines.append(_("本项最高 %(cap)s 分") % {"cap": _pts(rule.cap)})
        return lines
    if isinstance(rule, scoring.Tiers):
        return [f"{_pick(level.label_zh, level.label_en)}：{_pts(level.points)}" for level in rule.levels]
    if isinstance(rule, scoring.Bands):
        return [f"{_pick(band.label_zh, band.label_en)}：{_pts(band.points)}" for band in rule.bands]
    if isinstance(rule, scoring.Flat):
        return [_("符合：%(points)s 分") % {"points": _pts(rule.points)}]
    return [_("符合即不具备积分资格")]


@dataclass(frozen=True)
class TableRow:
    indicator: scoring.Indicator
    label: str
    source: str
    lines: list[str]


@dataclass(frozen=True)
class TableCategory:
    key: str
    label: str
    cap: str | None
    rows: list[TableRow]


SOURCE_LABELS = {scoring.Source.COMPUTED: ("系统核算", "computed"), scoring.Source.DECLARED: ("本人申报", "declared")}


def _table(rule_set: scoring.RuleSet) -> list[TableCategory]:
    categories = []
    for category in scoring.Category:
        indicators = rule_set.in_category(category)
        if not indicators:
            continue
        cap = rule_set.category_caps.get(category)
        rows = [
            TableRow(
                indicator=indicator,
                label=_pick(indicator.label_zh, indicator.label_en),
                source=_pick(*SOURCE_LABELS[indicator.source]),
                lines=describe_rule(indicator),
            )
            for indicator in indicators
        ]
        label = _pick(*scoring.CATEGORY_LABELS[category])
        categories.append(TableCategory(str(category), label, None if cap is None else _pts(cap), rows))
    return categories


def _current() -> tuple[Any, scoring.RuleSet | None]:
    row = rule_set_current()
    return row, (rule_set_to_scoring(row) if row is not None else None)


def points_table(request: HttpRequest) -> HttpResponse:
    row, rule_set = _current()
    context: dict[str, Any] = {"row": row, "rule_set": rule_set}
    if rule_set is not None:
        context["categories"] = _table(rule_set)
        context["max_total"] = None if rule_set.max_total is None else _pts(rule_set.max_total)
        context["tie_break"] = _pick(rule_set.tie_break_zh, rule_set.tie_break_en)
    return render(request, "points/table.html", context)


@dataclass(frozen=True)
class ResultLine:
    item: scoring.Item
    label: str
    points: str
    note: str
    what_if: str | None


def _what_if(rule_set: scoring.RuleSet, facts: dict[str, scoring.Fact], indicator: scoring.Indicator) -> str | None:
    rule = indicator.rule
    if not isinstance(rule, scoring.PerUnit):
        return None
    step = rule.per
    change = scoring.what_if(rule_set, facts, indicator.key, step)
    unit = _pick(indicator.unit_zh, indicator.unit_en)
    return _("再多 %(step)s %(unit)s：%(change)s 分") % {
        "step": _pts(step),
        "unit": unit,
        "change": scoring.format_points(change, signed=True),
    }


def _resident(request: HttpRequest) -> Resident | None:
    return residents_selectors.resident_of_user(user=request.user) if request.user.is_authenticated else None


def fact_text(indicator: scoring.Indicator, fact: scoring.Fact) -> str:
    """A fact as a person reads it: "5 年", "本科", "是" / "否", or "未申报"."""
    rule = indicator.rule
    if fact is None or fact == () or fact == []:
        return _("未申报")
    if isinstance(rule, scoring.PerUnit | scoring.Bands):
        unit = _pick(indicator.unit_zh, indicator.unit_en)
        return f"{plain_number(Decimal(str(fact)))} {unit}".strip()  # type: ignore[arg-type]
    if isinstance(rule, scoring.Tiers):
        keys = [fact] if isinstance(fact, str) else list(fact)  # type: ignore[arg-type]
        labels = {level.key: _pick(level.label_zh, level.label_en) for level in rule.levels}
        return _("、").join(labels.get(key, key) for key in keys)
    return _("是") if fact else _("否")


# --- the calculator, pre-filled, and applying from it -------------------------------------------------------

# Where the portal's own figures come from, said beside each pre-filled value.
COMPUTED_SOURCES = {
    scoring.RESIDENCE_YEARS: gettext_lazy("根据您的居住登记和签注记录"),
    scoring.AGE: gettext_lazy("根据您身份证号码中的出生日期"),
    scoring.EDUCATION: gettext_lazy("根据您居民档案中的文化程度"),
}


@dataclass(frozen=True)
class Prefilled:
    """One calculator input the portal filled from its records."""

    key: str
    label: str
    value: str
    source: str


@dataclass(frozen=True)
class ApplyOffer:
    """What the calculator's result says about applying in the open round: ``offer`` (the button), ``active``
    (already applied: a link to it), ``blocked`` (why not, e.g. no valid permit), ``no_profile`` or ``sign_in``."""

    state: str
    round: PointsRound
    message: str = ""
    case: Case | None = None


def _apply_offer(request: HttpRequest, resident: Resident | None, open_round: PointsRound | None) -> ApplyOffer | None:
    if open_round is None:
        return None
    if not request.user.is_authenticated:
        return ApplyOffer("sign_in", open_round)
    if resident is None:
        return ApplyOffer("no_profile", open_round)
    active = points_application_active(applicant=resident, round=open_round)
    if active is not None:
        return ApplyOffer("active", open_round, case=active)
    try:
        services.points_applicant_check(resident)
    except DomainError as error:
        return ApplyOffer("blocked", open_round, message=str(error.message))
    return ApplyOffer("offer", open_round)


def _calculator_rule_set(resident: Resident | None, open_round: PointsRound | None) -> RuleSet | None:
    """The current year's published rules; for a resident who may apply now, the rules of the open round (the
    ones the application will be scored by, should the year's rules have been succeeded meanwhile)."""
    if resident is not None and open_round is not None:
        return open_round.rule_set
    return rule_set_current()


def _prefilled(table: scoring.RuleSet, known: dict[str, scoring.Fact]) -> tuple[list[Prefilled], list[str]]:
    """The computed items the portal filled in, and those it has no record of (the person fills them in)."""
    filled, unknown = [], []
    for indicator in table.indicators:
        if indicator.source != scoring.Source.COMPUTED or indicator.key not in known:
            continue
        fact = known[indicator.key]
        label = _pick(indicator.label_zh, indicator.label_en)
        if fact is None:
            unknown.append(label)
        elif fact is not False:  # "no finding" (a false declaration) is nothing the person needs to read
            source = str(COMPUTED_SOURCES.get(indicator.key, _("根据平台记录")))
            filled.append(Prefilled(indicator.key, label, fact_text(indicator, fact), source))
    return filled, unknown


def _calculator_render(
    request: HttpRequest,
    *,
    row: RuleSet,
    table: scoring.RuleSet,
    form: CalculatorForm,
    scored: bool,
    resident: Resident | None,
    open_round: PointsRound | None,
    prefilled: tuple[list[Prefilled], list[str]] = ([], []),
    apply_error: str = "",
) -> HttpResponse:
    context: dict[str, Any] = {
        "row": row,
        "rule_set": table,
        "form": form,
        "open_round": open_round,
        "prefilled": prefilled[0],
        "unknown": prefilled[1],
        "apply_error": apply_error,
    }
    if scored and form.is_valid():
        facts = form.facts()
        try:
            result = scoring.score(table, facts)
            lines = [
                ResultLine(
                    item=item,
                    label=_pick(item.label, item.label_en),
                    points=scoring.format_points(item.points, signed=item.points < 0),
                    note=_pick(item.note, item.note_en),
                    what_if=_what_if(table, facts, table.indicator(item.key)),
                )
                for item in result.breakdown
            ]
        except scoring.InvalidFact as error:
            field = error.key if error.key in form.fields else None
            form.add_error(field, _("无法计分：%(problem)s") % {"problem": error.problem})
        else:
            context["result"] = result
            context["total"] = _pts(result.total)
            context["lines"] = lines
            context["apply"] = _apply_offer(request, resident, open_round)
            context["apply_pairs"] = form.as_pairs()
            context["declared_lines"] = [
                line
                for line in lines
                if table.indicator(line.item.key).source == scoring.Source.DECLARED and line.item.points > 0
            ]
    return render(request, "points/calculator.html", context)


def points_calculator(request: HttpRequest) -> HttpResponse:
    """The what-if calculator. A signed-in resident opening it finds the items the portal knows filled in
    (continuous residence, age, education); the result offers to apply with these answers in an open round."""
    resident = _resident(request)
    open_round = points_round_open()
    row = _calculator_rule_set(resident, open_round)
    if row is None:
        return render(request, "points/calculator.html", {"row": None, "rule_set": None})
    table = rule_set_to_scoring(row)
    submitted = any(indicator.key in request.GET for indicator in table.indicators)
    prefilled: tuple[list[Prefilled], list[str]] = ([], [])
    if submitted:
        form = CalculatorForm(request.GET, rule_set=table)
    elif resident is not None:
        known = facts_known(resident, table, timezone.localdate())
        form = CalculatorForm(initial=CalculatorForm.initial_from(table, known), rule_set=table)
        prefilled = _prefilled(table, known)
        for line in prefilled[0]:
            form.fields[line.key].help_text = line.source
    else:
        form = CalculatorForm(rule_set=table)
    return _calculator_render(
        request, row=row, table=table, form=form, scored=submitted, resident=resident, open_round=open_round,
        prefilled=prefilled,
    )  # fmt: skip


@login_required
@require_POST
def points_apply(request: HttpRequest) -> HttpResponse:
    """用这些信息申请积分: start a draft application in the round with the calculator's answers to the declared
    items (the portal computes the others on submission), then on to the case page for the evidence."""
    resident = _resident(request)
    if resident is None:
        messages.info(request, _("请先建立您本人的居民档案，再申请积分。"))
        return redirect("residents:profile")
    requested = request.POST.get("round", "")
    round_ = points_rounds().filter(pk=int(requested)).first() if requested.isdigit() else None
    if round_ is None:
        messages.error(request, _("没有找到这一期积分申报，请查看现在开放的申报期。"))
        return redirect("points:rounds")
    table = rule_set_scoring_of(round_.rule_set_id)
    form = CalculatorForm(request.POST, rule_set=table)
    open_now = round_ if round_.is_open_on(timezone.localdate()) else None
    page = {"row": round_.rule_set, "table": table, "form": form, "scored": True, "resident": resident}
    if not form.is_valid():
        return _calculator_render(request, open_round=open_now, **page)
    try:
        case = services.points_application_start(
            actor=request.user, applicant=resident, round=round_, declared=form.declared(), ip=client_ip(request)
        )
    except DomainError as error:
        if error.field in form.fields:
            form.add_error(error.field, str(error.message))
            return _calculator_render(request, open_round=open_now, **page)
        return _calculator_render(request, open_round=open_now, apply_error=str(error.message), **page)
    return case_draft_opened(request, case)


# --- one application: changing the declarations, objecting -----------------------------------------------


def _own_points_case(request: HttpRequest, reference: str) -> Case:
    """A points application the user may see and acts for as the applicant (or the applicant's guardian);
    404 for anyone else, caseworkers included (these are the applicant's forms)."""
    try:
        case = points_applications(user=request.user).get(reference=reference)
    except Case.DoesNotExist as exc:
        raise Http404 from exc
    if not acts_for_applicant(request.user, case):
        raise Http404
    return case


def _declared_initial(application: PointsApplication, table: scoring.RuleSet) -> dict[str, Any]:
    initial = {}
    for item in application.items.filter(source=scoring.Source.DECLARED):
        try:
            indicator = table.indicator(item.key)
        except ValueError:
            continue
        initial[item.key] = fact_as_input(indicator, fact_from_json(indicator, item.declared))
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def points_application_edit(request: HttpRequest, reference: str) -> HttpResponse:
    """修改申报内容: while a draft (or sent back for documents), the declared items can be changed."""
    case = _own_points_case(request, reference)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS):
        messages.error(request, _("申请已提交，不能再修改申报内容。如对核定结果有异议，请在公示期内提出。"))
        return redirect("cases:case_detail", case.reference)
    application = case.points_application  # type: ignore[attr-defined]
    table = rule_set_scoring_of(application.rule_set_id)
    if request.method == "POST":
        form = CalculatorForm(request.POST, rule_set=table, declared_only=True)
        if form.is_valid():
            try:
                services.points_application_declare(
                    actor=request.user, case=case, declared=form.declared(), ip=client_ip(request)
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("申报内容已保存。请按新的申报内容检查需要上传的证明材料。"))
                return redirect("cases:case_detail", case.reference)
    else:
        form = CalculatorForm(initial=_declared_initial(application, table), rule_set=table, declared_only=True)
    computed = [
        _pick(indicator.label_zh, indicator.label_en)
        for indicator in table.indicators
        # A veto the portal "computes" (a false declaration) is a finding of the review, nothing to explain here.
        if indicator.source == scoring.Source.COMPUTED and indicator.category != scoring.Category.VETO
    ]
    context = {"case": case, "application": application, "form": form, "computed": computed}
    return render(request, "points/declare.html", context)


def _objection_choices(table: scoring.RuleSet, items: list[PointsItem]) -> list[tuple[str, str]]:
    choices = []
    for item in items:
        try:
            indicator = table.indicator(item.key)
        except ValueError:
            continue
        label = _pick(indicator.label_zh, indicator.label_en)
        if item.points is not None:
            label = _("%(label)s（核定 %(points)s 分）") % {
                "label": label,
                "points": scoring.format_points(item.points, signed=item.points < 0),
            }
        choices.append((item.key, label))
    return choices


def _may_object(case: Case, application: PointsApplication, today: datetime.date) -> bool:
    return (
        application.round.objection_open_on(today)
        and case.status in (CaseStatus.APPROVED, CaseStatus.REFUSED)
        and application.scored_at is not None
    )


@login_required
@require_http_methods(["GET", "POST"])
def points_objection(request: HttpRequest, reference: str) -> HttpResponse:
    """提出异议: within the objection window, the applicant ticks the items contested and says why; those items
    go back to review."""
    case = _own_points_case(request, reference)
    application = case.points_application  # type: ignore[attr-defined]
    table = rule_set_scoring_of(application.rule_set_id)
    items = points_items_of(application)
    form = ObjectionForm(request.POST or None, items=_objection_choices(table, items))
    if request.method == "POST" and form.is_valid():
        try:
            services.points_objection_file(
                actor=request.user, case=case, item_keys=form.cleaned_data["item_keys"],
                reason=form.cleaned_data["reason"], ip=client_ip(request),
            )  # fmt: skip
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, _("异议已提交，有异议的项目将重新核定，结果会通过站内消息和短信告诉您。"))
            return redirect("cases:case_detail", case.reference)
    context = {
        "case": case,
        "application": application,
        "round": application.round,
        "form": form,
        "open_now": _may_object(case, application, timezone.localdate()),
    }
    return render(request, "points/objection.html", context)


# --- the case page's points panel -------------------------------------------------------------------------

# Each item status as one of the site's badge colours.
ITEM_BADGES = {
    ItemStatus.PENDING: "pending",
    ItemStatus.NOT_DECLARED: "ended",
    ItemStatus.COMPUTED: "verified",
    ItemStatus.ACCEPTED: "approved",
    ItemStatus.ADJUSTED: "submitted",
    ItemStatus.REJECTED: "rejected",
}
IN_REVIEW_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.NEEDS_DOCUMENTS, CaseStatus.RESUBMITTED)


@dataclass(frozen=True)
class PanelItem:
    """One indicator of an application as its applicant reads it."""

    key: str
    label: str
    computed: bool
    declared: str
    declared_nothing: bool
    counted: str | None
    status: str
    status_label: str
    badge: str
    reason: str
    points: str | None
    note: str
    contested: bool


@dataclass(frozen=True)
class ObjectionLine:
    objection: PointsObjection
    items: str


def _counted_text(indicator: scoring.Indicator, item: PointsItem) -> str | None:
    if item.status == ItemStatus.PENDING:
        return None
    if item.status == ItemStatus.REJECTED:
        return _("不计分")
    if item.status == ItemStatus.NOT_DECLARED:
        return None
    return fact_text(indicator, fact_from_json(indicator, item.value))


def _panel_items(
    table: scoring.RuleSet, items: list[PointsItem], lines: dict[str, tuple[Decimal, str]] | None
) -> list[PanelItem]:
    panel = []
    for item in items:
        try:
            indicator = table.indicator(item.key)
        except ValueError:
            continue
        line = None if lines is None or item.status == ItemStatus.PENDING else lines.get(item.key)
        declared = fact_from_json(indicator, item.declared)
        panel.append(
            PanelItem(
                key=item.key,
                label=_pick(indicator.label_zh, indicator.label_en),
                computed=indicator.source == scoring.Source.COMPUTED,
                declared=fact_text(indicator, declared),
                declared_nothing=declared in (None, (), []),
                counted=_counted_text(indicator, item),
                status=item.status,
                status_label=str(ItemStatus(item.status).label),
                badge=ITEM_BADGES.get(ItemStatus(item.status), "pending"),
                reason=item.reason,
                points=None if line is None else scoring.format_points(line[0], signed=line[0] < 0),
                note="" if line is None else line[1],
                contested=item.contested,
            )
        )
    return panel


def _stored_lines(application: PointsApplication) -> dict[str, tuple[Decimal, str]]:
    """The breakdown as it was decided (what the applicant was told stays what it was)."""
    return {
        line["key"]: (Decimal(line["points"]), _pick(line.get("note", ""), line.get("note_en", "")))
        for line in application.breakdown or []
    }


def points_case_panel_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    """What the applicant's case page shows of a points application (points/case_panel.html): the round and the
    rule-set version; item by item what was declared, what counts, the decision, its reason and the points; the
    provisional total while in review, the verified total once scored; the place in the published ranking; while
    a draft, a link to change the declarations; within the objection window, the objection form; and the
    objections filed. None when the case has no points part (opened through the generic API)."""
    try:
        application = points_application_get(user=request.user, pk=case.pk).points_application  # type: ignore[attr-defined]
    except Case.DoesNotExist:  # a points case opened through the generic API, without a round
        return None
    table = rule_set_scoring_of(application.rule_set_id)
    items = points_items_of(application)
    today = timezone.localdate()
    round_ = application.round
    draft = case.status == CaseStatus.DRAFT
    in_review = case.status in IN_REVIEW_STATUSES
    scored = application.scored_at is not None
    provisional = points_application_score(application, items) if in_review else None
    if provisional is not None:
        lines = {item.key: (item.points, _pick(item.note, item.note_en)) for item in provisional.breakdown}
    elif scored:
        lines = _stored_lines(application)
    else:
        lines = None
    applicant_here = acts_for_applicant(request.user, case)
    objections = list(application.objections.all())
    open_objection = next((o for o in objections if o.resolved_at is None), None)
    labels = {indicator.key: _pick(indicator.label_zh, indicator.label_en) for indicator in table.indicators}
    ranking = entry = None
    if scored and round_.ranking_published_on is not None:
        ranking = points_ranking_latest(round=round_)
        entry = points_ranking_entry_of(ranking=ranking, case=case) if ranking is not None else None
    may_object = applicant_here and open_objection is None and _may_object(case, application, today)
    return {
        "case": case,
        "application": application,
        "round": round_,
        "round_name": _pick(round_.name_zh, round_.name_en),
        "version": application.rule_set.version,
        "items": _panel_items(table, items, lines),
        "draft": draft,
        "in_review": in_review,
        "scored": scored,
        "verified_total": _pts(application.total) if scored and application.total is not None else None,
        "eligible": application.eligible,
        "provisional_total": _pts(provisional.total) if provisional is not None else None,
        "pending_count": sum(1 for item in items if item.status == ItemStatus.PENDING),
        "can_edit": applicant_here and case.status in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS),
        "ranking": ranking,
        "entry": entry,
        "cutoff": _pts(ranking.cutoff) if ranking is not None and ranking.cutoff is not None else None,
        "objection_window_open": round_.objection_open_on(today),
        "may_object": may_object,
        "objection_form": ObjectionForm(items=_objection_choices(table, items)) if may_object else None,
        "open_objection": open_objection,
        "objections": [
            ObjectionLine(objection, _("、").join(labels.get(key, key) for key in objection.item_keys))
            for objection in objections
        ],
    }


# --- 我的积分 -----------------------------------------------------------------------------------------------

MINE_LIMIT = 50


@dataclass(frozen=True)
class MineRow:
    case: Case
    application: PointsApplication
    round_name: str
    total: str | None
    entry: PointsRankingEntry | None


@login_required
def points_mine(request: HttpRequest) -> HttpResponse:
    """我的积分: one's applications with their status, total and place, and the verified score that counts now."""
    cases = list(points_applications_of(user=request.user)[:MINE_LIMIT])
    places = points_ranking_places_of([case.points_application.pk for case in cases])  # type: ignore[attr-defined]
    rows = []
    for case in cases:
        application = case.points_application  # type: ignore[attr-defined]
        total = _pts(application.total) if application.scored_at and application.total is not None else None
        name = _pick(application.round.name_zh, application.round.name_en)
        rows.append(MineRow(case, application, name, total, places.get(application.pk)))
    resident = _resident(request)
    current = resident_points_current(resident) if resident else None
    open_round = points_round_open()
    context = {
        "rows": rows,
        "resident": resident,
        "current": current,
        "current_total": _pts(current.total) if current is not None else None,
        "open_round": open_round,
        "active": points_application_active(applicant=resident, round=open_round) if resident and open_round else None,
    }
    return render(request, "points/mine.html", context)


# --- rounds and rankings (public) ----------------------------------------------------------------------------

ROUNDS_LIMIT = 50
RANKING_PAGE = 100


@dataclass(frozen=True)
class RoundStage:
    key: str
    label: str


def round_stage(round_: PointsRound, today: datetime.date) -> RoundStage:
    """Where a round stands in its calendar."""
    if today < round_.opens_on:
        return RoundStage("upcoming", _("即将开始"))
    if round_.is_open_on(today):
        return RoundStage("open", _("正在接受申请"))
    if round_.final_published_on is not None:
        return RoundStage("final", _("最终排名已公布"))
    if round_.ranking_published_on is not None:
        if round_.objection_open_on(today):
            return RoundStage("objection", _("排名公示中，可以提出异议"))
        return RoundStage("objection_over", _("异议期已结束，等待公布最终排名"))
    return RoundStage("review", _("申报已截止，正在核定"))


@dataclass(frozen=True)
class RoundRow:
    round: PointsRound
    name: str
    unlocks: str
    stage: RoundStage


def points_round_list(request: HttpRequest) -> HttpResponse:
    """积分申报期: each round's calendar, quota, rule-set version and the services its points unlock."""
    today = timezone.localdate()
    rows = [
        RoundRow(
            round=round_,
            name=_pick(round_.name_zh, round_.name_en),
            unlocks=_pick(round_.unlocks_zh, round_.unlocks_en),
            stage=round_stage(round_, today),
        )
        for round_ in points_rounds()[:ROUNDS_LIMIT]
    ]
    return render(request, "points/rounds.html", {"rows": rows})


@dataclass(frozen=True)
class RankingRow:
    entry: PointsRankingEntry
    total: str


def points_ranking(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's latest published ranking (公示, then 最终): masked names and references, totals, ties, the
    tie-break rule, quota and cut-off, and the objection deadline; 100 places a page (keyset, ?after=<position>),
    and a search for one reference number. A constant number of queries whatever the size of the ranking."""
    round_ = get_object_or_404(points_rounds(), pk=pk)
    ranking = points_ranking_latest(round=round_)
    context: dict[str, Any] = {
        "round": round_,
        "round_name": _pick(round_.name_zh, round_.name_en),
        "stage": round_stage(round_, timezone.localdate()),
        "ranking": ranking,
    }
    if ranking is None:
        return render(request, "points/ranking.html", context)
    after_text = request.GET.get("after", "")
    after = int(after_text) if after_text.isdigit() and len(after_text) < 10 else 0
    page = list(points_ranking_entries(ranking=ranking).filter(position__gt=after)[: RANKING_PAGE + 1])
    more = len(page) > RANKING_PAGE
    page = page[:RANKING_PAGE]
    query = request.GET.get("ref", "").strip().upper()[:32]
    found = points_ranking_entries(ranking=ranking).filter(reference=query).first() if query else None
    quota = ranking.quota
    context.update(
        rows=[RankingRow(entry, _pts(entry.total)) for entry in page],
        after=after,
        next_after=page[-1].position if more else None,
        near_cutoff=max(quota - RANKING_PAGE // 2, 0) if quota and quota > RANKING_PAGE else None,
        query=query,
        found=found,
        found_total=_pts(found.total) if found is not None else None,
        found_after=(found.position - 1) // RANKING_PAGE * RANKING_PAGE if found is not None else None,
        tie_break=_pick(ranking.tie_break_zh, ranking.tie_break_en),
        cutoff=_pts(ranking.cutoff) if ranking.cutoff is not None else None,
    )
    return render(request, "points/ranking.html", context)
