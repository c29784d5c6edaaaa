import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.network import client_ip
from accounts.phones import phone_display
from yuean.errors import DomainError, form_add_domain_error

from . import selectors, services
from .casetypes import case_type_get
from .catalogue import SERVICES, services_open_to
from .choices import CASE_OPEN_STATUSES, AuditEventType, CaseStatus
from .forms import (
    ChildForm,
    DocumentUploadForm,
    ProfileForm,
    ResidenceEndForm,
    ResidenceRegistrationForm,
    WithdrawForm,
)
from .models import Case, CaseDocument, ResidenceRegistration


def home(request: HttpRequest) -> HttpResponse:
    """The public service list (公共服务清单)."""
    resident = selectors.resident_of_user(user=request.user)
    open_keys = {s.key for s in services_open_to(resident)} if request.user.is_authenticated else set()
    return render(request, "residents/home.html", {"services": SERVICES, "open_keys": open_keys})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的: the profile, what it still lacks, the children and the services open now."""
    resident = selectors.resident_of_user(user=request.user)
    context = {
        "resident": resident,
        "missing": selectors.resident_profile_missing(resident),
        "children": selectors.resident_children(guardian=resident) if resident else [],
        "current_registration": selectors.residence_current(resident=resident) if resident else None,
        "open_services": services_open_to(resident),
    }
    return render(request, "residents/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Create or edit one's own profile; the same page for both."""
    resident = selectors.resident_of_user(user=request.user)
    editing = resident is not None
    if request.method == "POST":
        form = ProfileForm(request.POST, editing=editing)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if resident is None:
                    services.resident_profile_create(
                        actor=request.user, user=request.user, ip=client_ip(request), **data
                    )
                    messages.success(request, _("居民档案已建立。"))
                else:
                    services.resident_update(actor=request.user, resident=resident, ip=client_ip(request), **data)
                    messages.success(request, _("居民档案已保存。"))
                # Back where the person was going (a QR declaration that needed a profile first), if on this site.
                after = request.POST.get("next") or request.GET.get("next", "")
                if url_has_allowed_host_and_scheme(after, {request.get_host()}, require_https=request.is_secure()):
                    return redirect(after)
                return redirect("residents:mine")
            except DomainError as error:
                form_add_domain_error(form, error)
    elif resident is not None:
        form = ProfileForm(
            editing=True,
            initial={
                "name": resident.name,
                "phone": phone_display(resident.phone),
                "hukou_address": resident.hukou_address,
                "education": resident.education,
                "community": resident.community_id,
                "address": resident.address,
                "arrival_date": resident.arrival_date,
            },
        )
    else:
        form = ProfileForm(initial={"phone": phone_display(request.user.phone or "")})
    return render(request, "residents/profile_form.html", {"form": form, "resident": resident})


@login_required
@require_http_methods(["GET", "POST"])
def child_add(request: HttpRequest) -> HttpResponse:
    guardian = selectors.resident_of_user(user=request.user)
    if guardian is None:
        messages.info(request, _("请先建立您本人的居民档案，再添加子女。"))
        return redirect("residents:profile")
    form = ChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_child_add(
                actor=request.user, guardian=guardian, ip=client_ip(request), **form.cleaned_data
            )
            messages.success(request, _("已添加子女。"))
            return redirect("residents:mine")
        except DomainError as error:
            form_add_domain_error(form, error)
    return render(request, "residents/child_form.html", {"form": form})


# --- cases -------------------------------------------------------------------------------------------


def case_draft_opened(request: HttpRequest, case: Case) -> HttpResponse:
    """After an application's own form opened its draft: what is left to do, on the case page where it is done."""
    messages.success(
        request,
        _("申请已保存（受理编号 %(ref)s），还没有提交。请在本页上传材料，核对后点击“提交申请”。")
        % {"ref": case.reference},
    )
    return redirect("residents:case_detail", case.reference)


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
        if event.event_type == AuditEventType.CASE_TRANSITION:
            status = CaseStatus(event.new_values.get("status", case.status)).label
            text = _("%(who)s：状态变为“%(status)s”") % {"who": who, "status": status}
        elif event.event_type == AuditEventType.CASE_DOCUMENT_UPLOADED:
            text = _("%(who)s上传了材料《%(name)s》") % {"who": who, "name": event.new_values.get("name", "")}
        elif event.event_type == AuditEventType.CASE_OPENED:
            text = _("%(who)s创建了申请") % {"who": who}
        else:
            continue  # assignments are internal to the office
        entries.append(TimelineEntry(at=event.created_at, text=str(text), reason=event.reason))
    return entries


CASES_PER_PAGE = 30


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
    return render(request, "residents/case_list.html", {"cases": page, "next_before": page[-1].id if more else None})


@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The applicant's status page: status, deadline, the notice, the documents, the timeline, the actions."""
    case = _case_or_404(request, reference)
    declared = case_type_get(case.case_type)
    # A permit application adds its type and how the card arrives (residents/permit_case_panel.html).
    permit_application = None
    if case.case_type in selectors.PERMIT_APPLICATION_CASE_TYPES:
        permit_application = selectors.permit_application_get(user=request.user, pk=case.pk).permit_application
    context = {
        "case": case,
        "case_type": declared,
        "type_panel": declared.applicant_panel(request, case) if declared.applicant_panel else "",
        "permit_application": permit_application,
        "can_edit_permit_application": case.status in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS),
        "checklist": selectors.case_document_checklist(case=case),
        "timeline": _timeline_entries(case, request.user),
        "can_upload": case.status in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS),
        "can_submit": case.status == CaseStatus.DRAFT,
        "can_resubmit": case.status == CaseStatus.NEEDS_DOCUMENTS,
        "can_withdraw": case.status in CASE_OPEN_STATUSES,
        "upload_error": request.session.pop("upload_error", None),
        "withdraw_form": WithdrawForm(),
    }
    return render(request, "residents/case_detail.html", context)


@login_required
@require_POST
def case_document_upload(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return redirect("residents:case_detail", reference)
    try:
        services.case_document_upload(
            actor=request.user, case=case, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"],
            ip=client_ip(request),
        )  # fmt: skip
        messages.success(request, _("材料已上传。"))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("residents:case_detail", reference)


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
    return redirect("residents:case_detail", reference)


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


# --- residence registration ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def residence(request: HttpRequest) -> HttpResponse:
    """居住登记: the current registration, its history, when a permit can be applied for, and the form to
    register or change address."""
    resident = selectors.resident_of_user(user=request.user)
    if resident is None:
        messages.info(request, _("请先建立您本人的居民档案，再办理居住登记。"))
        return redirect("residents:profile")
    form = ResidenceRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.residence_register(
                actor=request.user, resident=resident, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, _("居住登记已办理：%(address)s。") % {"address": registration.address})
            if selectors.residence_change_reported_late(registration):
                messages.warning(request, _("按规定，搬家后应在 10 日内变更居住登记。这次已为您登记，以后请及时申报。"))
            return redirect("residents:residence")
    history = selectors.residence_history(resident=resident)
    context = {
        "resident": resident,
        "history": history,
        "current": history[0] if history and history[0].is_current else None,
        "continuous_since": selectors.residence_continuous_since(history),
        "eligible_from": selectors.permit_eligible_from(history),
        "today": timezone.localdate(),
        "form": form,
        "end_form": ResidenceEndForm(initial={"ended_on": timezone.localdate()}),
        "permit_types": selectors.permit_types_offered(),
    }
    return render(request, "residents/residence.html", context)


@login_required
@require_POST
def residence_end(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        registration = selectors.residence_registrations(user=request.user).get(pk=pk)
    except ResidenceRegistration.DoesNotExist as exc:
        raise Http404 from exc
    form = ResidenceEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写离开日期。"))
        return redirect("residents:residence")
    try:
        services.residence_end(
            actor=request.user, registration=registration, ip=client_ip(request), **form.cleaned_data
        )
        messages.success(request, _("居住登记已注销。"))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("residents:residence")
