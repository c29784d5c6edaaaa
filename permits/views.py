"""The resident-facing pages of residence permits: eligibility and applying, the electronic permit with its QR
code, endorsement, replacement, and the public verification page a QR code leads to.

Every permit page finds its permit through selectors.permit_get_by_number (the holder, their guardian, a
caseworker of the holder's street, an administrator); anybody else gets a 404. The verification page is the
one public page: it says whether the permit is valid today and whose it is, masked, and nothing else.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.network import client_ip
from accounts.phones import phone_display
from cases import selectors as cases_selectors
from cases.choices import CASE_OPEN_STATUSES, CaseStatus
from cases.models import Case
from cases.views import case_draft_opened
from kernel.errors import DomainError, form_add_domain_error
from kernel.http import secret_link_headers
from permits.models import PermitApplication
from residents import selectors as residents_selectors
from residents.models import Resident
from residents.pii import name_mask

from . import selectors, services
from .choices import DeliveryMethod
from .forms import PermitApplicationEditForm, PermitApplyForm, PermitReplaceForm
from .models import Permit

# --- the overview -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyMemberPermit:
    """Where one member of the family stands with the residence permit."""

    person: Resident
    is_self: bool
    eligibility: selectors.PermitEligibility
    endorsement: selectors.EndorsementStanding | None

    @property
    def permit(self) -> Permit | None:
        return self.eligibility.permit

    @property
    def application(self) -> Case | None:
        return self.eligibility.open_application


def _family_permits(
    user: User, people: list[Resident], *, today: datetime.date, self_pk: int
) -> list[FamilyMemberPermit]:
    """Each person's standing, read once for the whole family (the query count does not grow with children)."""
    facts = selectors.permit_eligibility_of(residents=people, today=today)
    permit_ids = [f.permit.pk for f in facts.values() if f.permit is not None]
    pending: dict[int, Case] = {}
    endorsement_cases = cases_selectors.case_list(user=user).filter(
        case_type=selectors.PERMIT_ENDORSEMENT_CASE_TYPE, status__in=CASE_OPEN_STATUSES,
        endorsement__permit_id__in=permit_ids,
    )  # fmt: skip
    for case in endorsement_cases.select_related("endorsement"):
        pending[case.endorsement.permit_id] = case

    members = []
    for person in people:
        eligibility = facts[person.pk]
        permit = eligibility.permit
        endorsement = (
            selectors.endorsement_standing(permit, today=today, pending=pending.get(permit.pk)) if permit else None
        )
        members.append(FamilyMemberPermit(person, person.pk == self_pk, eligibility, endorsement))
    return members


@login_required
def permit_overview(request: HttpRequest) -> HttpResponse:
    """居住证: for oneself and each child, the permit held, the application in progress, or when one may apply;
    then the permit types with their documents."""
    resident = residents_selectors.resident_of_user(user=request.user)
    if resident is None:
        messages.info(request, _("请先建立您本人的居民档案，再申领居住证。"))
        return redirect("residents:profile")
    today = timezone.localdate()
    people = [resident, *residents_selectors.resident_children(guardian=resident)]
    permit_types = list(selectors.permit_types_offered())
    context = {
        "members": _family_permits(request.user, people, today=today, self_pk=resident.pk),
        "permit_types": permit_types,
        "exempt_types": [t for t in permit_types if t.exempt_from_residence_rule],
        "today": today,
    }
    return render(request, "permits/permit_overview.html", context)


# --- applying -----------------------------------------------------------------------------------------


def _applicant_choices(resident: Resident, children: list[Resident]) -> list[tuple[int, str]]:
    own = _("本人（%(name)s）") % {"name": resident.name}
    return [(resident.pk, own), *((child.pk, _("子女：%(name)s") % {"name": child.name}) for child in children)]


@login_required
@require_http_methods(["GET", "POST"])
def permit_apply(request: HttpRequest) -> HttpResponse:
    """申领居住证: the form that opens a draft application; documents are uploaded on the case page."""
    resident = residents_selectors.resident_of_user(user=request.user)
    if resident is None:
        messages.info(request, _("请先建立您本人的居民档案，再申领居住证。"))
        return redirect("residents:profile")
    people = {person.pk: person for person in [resident, *residents_selectors.resident_children(guardian=resident)]}
    choices = _applicant_choices(resident, [p for pk, p in people.items() if pk != resident.pk])
    if request.method == "POST":
        form = PermitApplyForm(request.POST, people=choices)
        if form.is_valid():
            try:
                case = services.permit_application_start(
                    actor=request.user, applicant=people[form.cleaned_data["applicant"]],
                    permit_type=form.cleaned_data["permit_type"], ip=client_ip(request), **form.delivery(),
                )  # fmt: skip
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                return case_draft_opened(request, case)
    else:
        requested = request.GET.get("applicant", "")
        applicant_pk = int(requested) if requested.isdigit() and int(requested) in people else resident.pk
        form = PermitApplyForm(
            people=choices,
            initial={
                "applicant": applicant_pk,
                # The card usually goes to whoever fills in the form: the parent, for a child.
                "recipient_name": resident.name,
                "recipient_phone": phone_display(resident.phone),
                "delivery_address": resident.address,
            },
        )
    return render(request, "permits/permit_apply.html", {"form": form})


def _permit_application_or_404(request: HttpRequest, reference: str) -> Case:
    try:
        return selectors.permit_applications(user=request.user).get(reference=reference)
    except Case.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET", "POST"])
def permit_application_edit(request: HttpRequest, reference: str) -> HttpResponse:
    """Change the type (while a draft) and the delivery details (until it is decided) of an application."""
    case = _permit_application_or_404(request, reference)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS):
        messages.info(request, _("这件申请现在是“%(status)s”，不能再修改。") % {"status": case.get_status_display()})
        return redirect("cases:case_detail", reference)
    detail = case.permit_application
    type_editable = case.case_type == selectors.PERMIT_CASE_TYPE and case.status == CaseStatus.DRAFT
    if request.method == "POST":
        form = PermitApplicationEditForm(request.POST, type_editable=type_editable)
        if form.is_valid():
            try:
                services.permit_application_update(
                    actor=request.user, case=case, permit_type=form.cleaned_data.get("permit_type"),
                    ip=client_ip(request), **form.delivery(),
                )  # fmt: skip
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("申请信息已修改。"))
                return redirect("cases:case_detail", reference)
    else:
        form = PermitApplicationEditForm(
            type_editable=type_editable,
            initial={
                "permit_type": detail.permit_type_id,
                "delivery_method": detail.delivery_method,
                "recipient_name": detail.recipient_name,
                "recipient_phone": phone_display(detail.recipient_phone),
                "delivery_address": detail.delivery_address,
            },
        )
    context = {"form": form, "case": case, "type_editable": type_editable}
    return render(request, "permits/permit_application_form.html", context)


# --- the electronic permit -----------------------------------------------------------------------------


def _permit_or_404(request: HttpRequest, number: str) -> Permit:
    try:
        return selectors.permit_get_by_number(user=request.user, number=number)
    except Permit.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def permit_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The electronic permit: the card, its QR code, this year's endorsement, the history and replacement."""
    permit = _permit_or_404(request, number)
    today = timezone.localdate()
    pending = selectors.permit_endorsement_pending(permit=permit)
    context = {
        "permit": permit,
        "holder": permit.holder,
        "today": today,
        "is_valid": permit.is_valid_on(today),
        "endorsement": selectors.endorsement_standing(permit, today=today, pending=pending.case if pending else None),
        "endorsements": selectors.permit_endorsements(permit=permit),
        "open_replacement": selectors.permit_application_open(
            applicant=permit.holder, case_types=(selectors.PERMIT_REPLACEMENT_CASE_TYPE,)
        ),
    }
    return render(request, "permits/permit_detail.html", context)


def _verify_url(request: HttpRequest, permit: Permit) -> str:
    return request.build_absolute_uri(reverse("permit_verify", args=[permit.verify_token]))


@login_required
def permit_qr(request: HttpRequest, number: str) -> HttpResponse:
    """The permit's QR code: the address of its public verification page. It is as good as the card, so it is
    served only to those who may see the permit and never stored by a cache."""
    permit = _permit_or_404(request, number)
    image = qrcode.make(
        _verify_url(request, permit),
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    response = HttpResponse(image.to_string(encoding="unicode"), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _back_to(request: HttpRequest, default: str) -> str:
    """The page the form was sent from (the overview or the permit), when it is one of ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
@require_POST
def permit_endorse(request: HttpRequest, number: str) -> HttpResponse:
    """签注: approved at once while the holder is registered here, otherwise sent to a caseworker."""
    permit = _permit_or_404(request, number)
    try:
        case = services.permit_endorse(actor=request.user, permit=permit, ip=client_ip(request))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        if case.status == CaseStatus.APPROVED:
            permit.refresh_from_db(fields=["valid_until"])
            messages.success(request, _("签注成功，有效期至 %(date)s。") % {"date": permit.valid_until.isoformat()})
        else:
            messages.success(
                request,
                _("已提交，受理编号 %(ref)s，工作人员会在 15 日内办理。") % {"ref": case.reference},
            )
    return redirect(_back_to(request, reverse("permits:permit_detail", args=[number])))


@login_required
@require_http_methods(["GET", "POST"])
def permit_replace(request: HttpRequest, number: str) -> HttpResponse:
    """补领、换领: a lost or damaged card. The new card keeps the number and gets a new QR code."""
    permit = _permit_or_404(request, number)
    open_replacement = selectors.permit_application_open(
        applicant=permit.holder, case_types=(selectors.PERMIT_REPLACEMENT_CASE_TYPE,)
    )
    if request.method == "POST":
        form = PermitReplaceForm(request.POST)
        if form.is_valid():
            try:
                case = services.permit_replacement_start(
                    actor=request.user, permit=permit, reason=form.cleaned_data["reason"], ip=client_ip(request),
                    **form.delivery(),
                )  # fmt: skip
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    _("补领申请已保存（受理编号 %(ref)s），还没有提交。请在本页上传近期免冠照片，再点击“提交申请”。")
                    % {"ref": case.reference},
                )
                return redirect("cases:case_detail", case.reference)
    else:
        resident = residents_selectors.resident_of_user(user=request.user)
        sender = resident or permit.holder
        form = PermitReplaceForm(
            initial={
                "delivery_method": DeliveryMethod.EXPRESS,
                "recipient_name": sender.name,
                "recipient_phone": phone_display(sender.phone),
                "delivery_address": sender.address,
            }
        )
    context = {"permit": permit, "form": form, "open_replacement": open_replacement}
    return render(request, "permits/permit_replace.html", context)


# --- public verification -------------------------------------------------------------------------------


def permit_verify(request: HttpRequest, token: str) -> HttpResponse:
    """What anybody who scans a permit's QR code learns: valid today or not, and the holder's masked name.

    Nothing else: no number, type, dates or ID number, since the code is printed on a card that is shown to
    landlords, employers and schools. A replaced card's old code is unknown (404), like a mistyped one.
    """
    permit = selectors.permit_by_token(token)
    context = {
        "found": permit is not None,
        "valid": permit is not None and permit.is_valid,
        "holder_masked": name_mask(permit.holder.name) if permit else "",
    }
    return secret_link_headers(render(request, "permits/permit_verify.html", context, status=200 if permit else 404))


def permit_case_panel_context(request: HttpRequest, case: Case) -> dict[str, object] | None:
    """The permit application's answers on the applicant's case page (its CasePanel), for a visible case."""
    try:
        detail = selectors.permit_application_get(user=request.user, pk=case.pk).permit_application
    except (Case.DoesNotExist, PermitApplication.DoesNotExist):
        return None  # a case opened but never given its details
    return {
        "permit_application": detail,
        "can_edit_permit_application": case.status in (CaseStatus.DRAFT, CaseStatus.NEEDS_DOCUMENTS),
    }
