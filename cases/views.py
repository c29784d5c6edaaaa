"""The applicant's case pages (我的申请): the list, one case with its checklist and history, uploads, submit,
resubmit and withdraw, and the permission-checked document download."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.network import client_ip
from kernel.errors import DomainError
from residents.views import CASES_PER_PAGE

from . import selectors, services
from .casetypes import case_type_get
from .choices import CASE_OPEN_STATUSES, CaseEvent, CaseStatus
from .forms import DocumentUploadForm, WithdrawForm
from .models import Case, CaseDocument


def case_draft_opened(request: HttpRequest, case: Case) -> HttpResponse:
    """After an application's own form opened its draft: what is left to do, on the case page where it is done."""
    messages.success(
        request,
        _("申请已保存（受理编号 %(ref)s），还没有提交。请在本页上传材料，核对后点击“提交申请”。")
        % {"ref": case.reference},
    )
    return redirect("cases:case_detail", case.reference)



def _case_or_404(request: HttpRequest, reference: str) -> Case:
    try:
        return selectors.case_get(user=request.user, reference=reference)
    except Case.DoesNotExist as exc:
        raise Http404 from exc



@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    text: str
    reason: str



def _timeline_entries(case: Case, viewer: User) -> list[TimelineEntry]:
    """The case's history told to the applicant: what happened, by whom (themselves or staff), and why."""
    entries = []
    for event in selectors.case_timeline(case=case):
        # No actor: a published rule decided (an endorsement while still registered).
        who = _("您") if event.actor_id == viewer.pk else _("系统") if event.actor_id is None else _("工作人员")
        if event.event_type == CaseEvent.CASE_TRANSITION:
            status = CaseStatus(event.new_values.get("status", case.status)).label
            text = _("%(who)s：状态变为“%(status)s”") % {"who": who, "status": status}
        elif event.event_type == CaseEvent.CASE_DOCUMENT_UPLOADED:
            text = _("%(who)s上传了材料《%(name)s》") % {"who": who, "name": event.new_values.get("name", "")}
        elif event.event_type == CaseEvent.CASE_OPENED:
            text = _("%(who)s创建了申请") % {"who": who}
        else:
            continue  # assignments are internal to the office
        entries.append(TimelineEntry(at=event.created_at, text=str(text), reason=event.reason))
    return entries



@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """我的申请: one's own and one's children's applications, newest first, a page at a time."""
    cases = selectors.case_list_of_family(user=request.user)
    before = request.GET.get("before", "")
    if before.isdigit():
        cases = cases.filter(id__lt=int(before))
    page = list(cases[: CASES_PER_PAGE + 1])
    more = len(page) > CASES_PER_PAGE
    page = page[:CASES_PER_PAGE]
    return render(request, "cases/case_list.html", {"cases": page, "next_before": page[-1].id if more else None})



@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The applicant's status page: status, deadline, the notice, the documents, the timeline, the actions."""
    case = _case_or_404(request, reference)
    declared = case_type_get(case.case_type)
    can_submit = case.status == CaseStatus.DRAFT
    # The case type's own details (a permit's answers, the schools ranked), as it declares them.
    panel = declared.applicant_panel
    panel_html = panel.render(request, case, can_submit=can_submit) if panel is not None else ""
    below = panel is not None and panel.draft_below and can_submit
    context = {
        "case": case,
        "case_type": declared,
        "type_panel": "" if below else panel_html,
        "type_panel_below": panel_html if below else "",
        "checklist": selectors.case_document_checklist(case=case),
        "timeline": _timeline_entries(case, request.user),
        "can_upload": case.status in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS),
        "can_submit": can_submit,
        "can_resubmit": case.status == CaseStatus.NEEDS_DOCUMENTS,
        "can_withdraw": case.status in CASE_OPEN_STATUSES,
        "upload_error": request.session.pop("upload_error", None),
        "withdraw_form": WithdrawForm(),
    }
    return render(request, "cases/case_detail.html", context)



@login_required
@require_POST
def case_document_upload(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return redirect("cases:case_detail", reference)
    try:
        services.case_document_upload(
            actor=request.user, case=case, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"],
            ip=client_ip(request),
        )  # fmt: skip
        messages.success(request, _("材料已上传。"))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("cases:case_detail", reference)



def _case_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    done = {
        "submit": (services.case_submit, _("申请已提交，受理编号 %(ref)s。我们会通过站内消息和短信告诉您进度。")),
        "resubmit": (services.case_resubmit, _("补正材料已提交，受理编号 %(ref)s。")),
        "withdraw": (services.case_withdraw, _("申请已撤回。")),
    }
    service, success = done[action]
    kwargs = {"reason": request.POST.get("reason", "")[:200]} if action == "withdraw" else {}
    try:
        service(actor=request.user, case=case, ip=client_ip(request), **kwargs)
        messages.success(request, success % {"ref": case.reference})
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("cases:case_detail", reference)



@login_required
@require_POST
def case_submit(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(request, reference, "submit")



@login_required
@require_POST
def case_resubmit(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(request, reference, "resubmit")



@login_required
@require_POST
def case_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(request, reference, "withdraw")



def case_document_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve an uploaded document to someone who may see its case (staff in the console included); 404
    for anyone else. Never cached, never rendered inline."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        document = selectors.case_document_get(user=request.user, pk=pk)
    except CaseDocument.DoesNotExist as exc:
        raise Http404 from exc
    response = FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.original_name, content_type=document.mime_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
