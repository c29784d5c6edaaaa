"""The agency's spreadsheet import (中介批量申报入住): the upload page, its result and the files it offers.

The result renders in the response to the upload itself. The rejected rows go back to the browser inside
that page as a signed, compressed token and come back (a POST) as a CSV when the agency asks for it: nothing
personal is stored on the server for the download, and it works the same on a phone and on a desktop (a
plain form post answered with an attachment, no script, no data: link).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.network import client_ip
from yuean.errors import DomainError, form_add_domain_error

from . import imports
from .choices import PropertyStatus
from .models import Property

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("入住名单（Excel 或 CSV 文件）"),
        help_text=_("最大 5 MB，最多 1 万行。"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,text/csv,{XLSX_TYPE}"}),
    )


class RejectedForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


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
    context = {
        "form": form,
        "has_verified_property": verified.exists(),
        "max_rows": imports.MAX_ROWS,
        "columns": imports.TEMPLATE_COLUMNS,
        **extra,
    }
    return _private(render(request, "housing/import_upload.html", context, status=status))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """The upload page; a POST imports the file and answers with the result page."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _upload_page(request, form)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    try:
        result = imports.tenancies_import(actor=request.user, upload=form.cleaned_data["file"], ip=client_ip(request))
    except DomainError as error:
        form_add_domain_error(form, error)
        return _upload_page(request, form, status=400)
    shown = result.errors_by_row()
    token = imports.rejected_token(actor=request.user, result=result) if result.rejected else ""
    context = {
        "result": result,
        "shown": [(row, result.row_labels.get(row, ""), errors) for row, errors in shown],
        "not_shown": result.rejected_count - len(shown),
        "rejected_form": RejectedForm(initial={"token": token}) if token else None,
    }
    return _private(render(request, "housing/import_result.html", context))


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


@login_required
@require_POST
def import_rejected_csv(request: HttpRequest) -> HttpResponse:
    """The rejected rows of an upload this user made within the hour, with 错误原因, to fix and upload again."""
    form = RejectedForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("token_invalid", _("下载链接无效，请重新上传文件。"))
        content = imports.rejected_from_token(actor=request.user, token=form.cleaned_data["token"])
    except DomainError as error:
        return _upload_page(request, ImportForm(), status=400, download_error=error.message)
    return _private(_attachment(content, filename=gettext("未导入的行.csv"), content_type=CSV_TYPE))
