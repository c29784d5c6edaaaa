"""The caseworker console for cases ("我的待办"): the queue, the case page and its actions.

Status is never edited here: every button and bulk action calls a service, and a refusal by a service is
shown to the caseworker as a message naming the case.
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.network import client_ip
from kernel.admin_scope import OutOfScopeIs404
from kernel.errors import DomainError
from kernel.paginators import EstimatedCountPaginator
from residents.admin import StreetFilter
from residents.admin_search import PersonSearchMixin

from . import selectors, services
from .casetypes import OTHER_DOCUMENT, CaseAction, case_type_get, case_types, hook_resolve
from .choices import CASE_PENDING_STATUSES, CaseStatus
from .models import Case
from .permissions import may_assign_cases_to_others

# A reference number: the case type's two-letter prefix, the date and the case number (e.g. JZ202611280000123).
REFERENCE = re.compile(r"[A-Za-z]{2}\d{15}")


class CaseTypeFilter(admin.SimpleListFilter):
    title = _("业务类型")
    parameter_name = "type"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [(t.key, t.label) for t in case_types()]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(case_type=self.value()) if self.value() else queryset


class StatusFilter(admin.SimpleListFilter):
    """The queue shows what awaits a decision unless asked for something else ("全部" or one status);
    a search looks through every status. A console of one case type's details subclasses it with the path to
    the case's status and its own wording."""

    title = _("状态")
    parameter_name = "status"
    PENDING, ALL = "pending", "all"
    status_path = "status"
    pending_label = _("待办（已受理、已补正）")
    statuses: tuple[str, ...] = tuple(CaseStatus.values)

    def __init__(self, request, params, model, model_admin) -> None:  # type: ignore[no-untyped-def]
        super().__init__(request, params, model, model_admin)
        self.default = self.ALL if request.GET.get("q") else self.PENDING

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        statuses = [(status, CaseStatus(status).label) for status in self.statuses]
        return [(self.PENDING, self.pending_label), (self.ALL, _("全部")), *statuses]

    def choices(self, changelist):  # type: ignore[no-untyped-def]
        current = self.value() or self.default
        for value, label in self.lookup_choices:
            yield {
                "selected": current == str(value),
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        value = self.value() or self.default
        if value == self.PENDING:
            return queryset.filter(**{f"{self.status_path}__in": CASE_PENDING_STATUSES})
        if value in self.statuses:
            return queryset.filter(**{self.status_path: value})
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("时限")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("yes", _("已超期")), ("soon", _("两天内到期"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(status__in=CASE_PENDING_STATUSES, due_at__lt=now)
        if self.value() == "soon":
            return queryset.filter(
                status__in=CASE_PENDING_STATUSES, due_at__gte=now, due_at__lt=now + datetime.timedelta(days=2)
            )
        return queryset


class QueueFilter(admin.SimpleListFilter):
    title = _("经办")
    parameter_name = "queue"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("mine", _("我经办的")), ("unassigned", _("未分派"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "mine":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("不予批准理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("申请人会看到这段话，请写明依据和可以怎么做。"),
    )


class RequestDocumentsForm(forms.Form):
    missing = forms.MultipleChoiceField(
        label=_("需要补正的材料（一次列全）"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case: Case, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        declared = case_type_get(case.case_type)
        self.fields["missing"].choices = [(d.key, d.label) for d in (*declared.documents_for(case), OTHER_DOCUMENT)]


class ReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("分派给"), queryset=User.objects.none())

    def __init__(self, *args, streets: set[int], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            is_active=True, groups__name="caseworker", jurisdictions__street_id__in=streets
        ).distinct()


@admin.register(Case)
class CaseAdmin(OutOfScopeIs404, PersonSearchMixin, admin.ModelAdmin):
    # The address it had before the model moved from residents (kernel.admin_site): bookmarks and messages
    # already sent keep working.
    console_path = "residents/case"
    resident_path = "applicant"

    # The deadline sits beside the status, in view without scrolling beside the console's menu and filters.
    list_display = [
        "reference", "type_label", "applicant_name", "status", "due", "overdue", "street", "assigned_to",
    ]  # fmt: skip
    list_filter = [StatusFilter, CaseTypeFilter, StreetFilter, OverdueFilter, QueueFilter]
    list_select_related = ["applicant", "street", "assigned_to"]
    search_fields = ["reference"]  # replaced by get_search_results
    search_help_text = _("输入受理编号、申请人完整身份证号码，或申请人姓名（可只输入开头）")
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # per-option counts are COUNT queries over a large table
    show_full_result_count = False
    list_per_page = 50
    ordering = [F("due_at").asc(nulls_last=True), "id"]
    actions = ["take_selected", "approve_selected", "reassign_selected"]
    fields = [
        "reference", "type_label", "applicant", "status", "street", "assigned_to", "submitted_at", "due_at",
        "notice_sent_at", "missing_documents", "notice_note", "decided_at", "decision_reason", "created_at",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return selectors.case_list(user=request.user)

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        term = search_term.strip()
        if REFERENCE.fullmatch(term):
            return queryset.filter(reference=term.upper()), False
        return super().get_search_results(request, queryset, term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False  # read-only page; the actions below change cases through services

    def has_view_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return request.user.has_perm("cases.view_case")

    def get_actions(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        # Django only offers actions to users with change permission; ours check in their services.
        actions = {}
        for name in self.actions:
            func, action_name, description = self.get_action(name)
            if name == "reassign_selected" and not may_assign_cases_to_others(request.user):
                continue
            actions[action_name] = (func, action_name, description)
        return actions

    @admin.display(description=_("业务类型"))
    def type_label(self, case: Case) -> str:
        return str(case_type_get(case.case_type).label)

    @admin.display(description=_("申请人"))
    def applicant_name(self, case: Case) -> str:
        return f"{case.applicant.name}（{case.applicant.id_number_masked}）"

    @admin.display(description=_("办结时限"), ordering="due_at")
    def due(self, case: Case) -> str:
        return timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") if case.due_at else "—"

    @admin.display(description=_("超期"), boolean=True)
    def overdue(self, case: Case) -> bool:
        return case.is_overdue

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        return super().changelist_view(request, {**(extra_context or {}), "title": _("我的待办")})

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        case = self._case_or_404(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "case": case,
            "checklist": selectors.case_document_checklist(case=case),
            "timeline": selectors.case_timeline(case=case),
            "refuse_form": RefuseForm(),
            "documents_form": RequestDocumentsForm(case=case),
            "pending": case.status in CASE_PENDING_STATUSES,
            "own_console": self._own_console(case),
            **self._panels(request, case),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _own_console(self, case: Case) -> tuple[str, str] | None:
        link = case_type_get(case.case_type).console_link
        return (str(link.label), reverse(link.url_name, args=[case.pk])) if link is not None else None

    def _panels(self, request: HttpRequest, case: Case) -> dict[str, str]:
        """The case type's own blocks of the page (its details, the forms of its actions), as it declares."""
        declared, known = case_type_get(case.case_type), {}
        return {
            which: panel.render(request, case, known=known) if (panel := getattr(declared, which)) else ""
            for which in ("console_panel", "console_actions")
        }

    def _case_or_404(self, request: HttpRequest, pk) -> Case:  # type: ignore[no-untyped-def]
        try:
            return selectors.case_get_by_id(user=request.user, pk=int(pk))
        except (Case.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    # --- bulk actions --------------------------------------------------------------------------------

    def _each(self, request: HttpRequest, queryset: QuerySet[Case], act, done: str) -> None:  # type: ignore[no-untyped-def]
        ok = 0
        for case in queryset:
            try:
                act(case)
                ok += 1
            except DomainError as error:
                self.message_user(request, f"{case.reference}：{error.message}", messages.ERROR)
        if ok:
            self.message_user(request, done % {"n": ok}, messages.SUCCESS)

    @admin.action(description=_("由我经办"))
    def take_selected(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._each(
            request, queryset, lambda c: services.case_assign(actor=request.user, case=c, assignee=request.user),
            _("已由您经办 %(n)s 件。"),
        )  # fmt: skip

    @admin.action(description=_("批准所选申请"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._each(
            request, queryset, lambda c: services.case_approve(actor=request.user, case=c, ip=client_ip(request)),
            _("已批准 %(n)s 件。"),
        )  # fmt: skip

    @admin.action(description=_("批量分派给专管员（组长）"))
    def reassign_selected(self, request: HttpRequest, queryset: QuerySet[Case]) -> HttpResponse | None:
        cases = list(queryset)
        streets = {c.street_id for c in cases if c.street_id}
        form = ReassignForm(request.POST if "assignee" in request.POST else None, streets=streets)
        if form.is_valid():
            try:
                n = services.case_reassign_bulk(
                    actor=request.user, case_ids=[c.pk for c in cases], assignee=form.cleaned_data["assignee"],
                    ip=client_ip(request),
                )  # fmt: skip
                self.message_user(request, _("已分派 %(n)s 件。") % {"n": n}, messages.SUCCESS)
                return None
            except DomainError as error:
                form.add_error("assignee", str(error.message))
        return TemplateResponse(
            request,
            "admin/cases/case/reassign.html",
            {**self.admin_site.each_context(request), "cases": cases, "form": form, "opts": self.model._meta,
             "title": _("批量分派"), "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME},
        )  # fmt: skip

    # --- the case page's buttons ---------------------------------------------------------------------

    def get_urls(self):  # type: ignore[no-untyped-def]
        return [
            path("<int:pk>/act/<str:what>/", self.admin_site.admin_view(self.act_view), name="cases_case_act"),
            *super().get_urls(),
        ]

    def act_view(self, request: HttpRequest, pk: int, what: str) -> HttpResponse:
        if request.method != "POST":
            return redirect("admin:cases_case_change", pk)
        case = self._case_or_404(request, pk)
        ip = client_ip(request)
        declared: CaseAction | None = None
        try:
            if what == "take":
                services.case_assign(actor=request.user, case=case, assignee=request.user, ip=ip)
                done = _("已由您经办。")
            elif what == "approve":
                services.case_approve(actor=request.user, case=case, ip=ip)
                done = _("已批准，申请人会收到通知。")
            elif what == "refuse":
                services.case_refuse(actor=request.user, case=case, reason=request.POST.get("reason", ""), ip=ip)
                done = _("已不予批准，理由已通知申请人。")
            elif what == "request_documents":
                services.case_request_documents(
                    actor=request.user, case=case, missing=request.POST.getlist("missing"),
                    note=request.POST.get("note", ""), ip=ip,
                )  # fmt: skip
                done = _("补正通知已发送，申请人会收到站内消息和短信。")
            elif (declared := case_type_get(case.case_type).action(what)) is not None:
                done = hook_resolve(declared.run)(actor=request.user, case=case, data=request.POST, ip=ip)
            else:
                raise Http404
        except DomainError as error:
            messages.error(request, str(error.message))
            # A step of the type's own that was refused comes back with what was typed, so one wrong character
            # is one fix (the type's panel reads them from the query string).
            kept = declared.keep_fields if declared is not None else ()
            if kept:
                typed = {f: request.POST.get(f, "")[:40] for f in kept if request.POST.get(f)}
                if typed:
                    return HttpResponseRedirect(
                        f"{reverse('admin:cases_case_change', args=[pk])}?{urlencode(typed)}"
                    )
        else:
            messages.success(request, done)
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[pk]))
