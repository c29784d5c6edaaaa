"""The agency's spreadsheet import (中介批量申报入住): the upload page, the job's page and the files it offers.

An upload that passes the file checks becomes a job (housing.imports.import_job_create) and the browser is
sent to the job's page, which refreshes itself (a <meta> refresh, no script) while the rows are reported and
then shows the result: how many were accepted, each refused row with its reasons, and the rejected-rows CSV
to fix and upload again. Everything here is the uploader's own: another account gets a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.network import client_ip
from kernel.errors import DomainError, form_add_domain_error

from . import imports
from .choices import PropertyStatus
from .models import ImportJob, Property

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# The uploader's latest jobs listed on the upload page.
RECENT_JOBS = 10
# While a job is queued or running its page reloads itself this often (seconds).
REFRESH_SECONDS = 3


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("入住名单（Excel 或 CSV 文件）"),
        help_text=_("最大 5 MB，最多 1 万行。"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,text/csv,{XLSX_TYPE}"}),
    )


def _attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _private(response: HttpResponse) -> HttpResponse:
    """What holds tenants' ID numbers is kept in no cache, the browser's included."""
    response["Cache-Control"] = "no-store, private"
    return response


def _upload_page(request: HttpRequest, form: ImportForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    verified = Property.objects.visible_to(request.user).filter(owner=request.user, status=PropertyStatus.VERIFIED)
    # The list needs neither the refused rows nor the header: a job's can run to megabytes.
    own_jobs = ImportJob.objects.visible_to(request.user).filter(owner=request.user)
    recent = own_jobs.defer("errors", "rejected_rows", "header").order_by("-id")[:RECENT_JOBS]
    context = {
        "form": form,
        "has_verified_property": verified.exists(),
        "jobs": list(recent),
        "max_rows": imports.MAX_ROWS,
        "columns": imports.TEMPLATE_COLUMNS,
        **extra,
    }
    return _private(render(request, "housing/import_upload.html", context, status=status))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """The upload page with the user's latest imports; a POST checks the file, queues it and goes to its page."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _upload_page(request, form)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    try:
        job = imports.import_job_create(actor=request.user, upload=form.cleaned_data["file"], ip=client_ip(request))
    except DomainError as error:
        form_add_domain_error(form, error)
        return _upload_page(request, form, status=400)
    return redirect("housing:import_job", pk=job.pk)


@login_required
@never_cache
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its progress while it runs (the page reloads itself), then its result."""
    job = get_object_or_404(_own_or_administered(request).defer("errors", "rejected_rows"), pk=pk)
    if imports.import_job_revive_if_stale(job):
        job.refresh_from_db()
    context: dict[str, Any] = {"job": job, "refresh_seconds": REFRESH_SECONDS if job.is_open else None}
    if not job.is_open:
        shown = imports.import_job_errors_shown(job)
        context.update(
            shown=shown,
            not_shown=job.rejected - len(shown),
            details_purged=bool(job.rejected) and not job.rejected_rows,
        )
    return _private(render(request, "housing/import_job.html", context))


def _own_or_administered(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The jobs this page may show: the uploader's, and any to an administrator (ImportJob.visible_to)."""
    return ImportJob.objects.visible_to(request.user)


@login_required
@require_GET
def import_job_rejected_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The refused rows of an import, with 错误原因, to fix and upload again."""
    job = get_object_or_404(_own_or_administered(request), pk=pk)
    try:
        content = imports.import_job_rejected_csv(job)
    except DomainError as error:
        return _upload_page(request, ImportForm(), status=400, download_error=error.message)
    return _private(_attachment(content, filename=gettext("未导入的行.csv"), content_type=CSV_TYPE))


@login_required
@require_GET
def import_template_csv(request: HttpRequest) -> HttpResponse:
    return _attachment(imports.template_csv(), filename=gettext("入住名单模板.csv"), content_type=CSV_TYPE)


@login_required
@require_GET
def import_template_xlsx(request: HttpRequest) -> HttpResponse:
    """The Excel template, with a second sheet listing the user's verified properties and their 房屋编号."""
    verified = Property.objects.visible_to(request.user).filter(owner=request.user, status=PropertyStatus.VERIFIED)
    properties = list(verified.order_by("address", "pk").values_list("pk", "address", "max_occupants"))
    content = imports.template_xlsx(properties)
    return _attachment(content, filename=gettext("入住名单模板.xlsx"), content_type=XLSX_TYPE)
