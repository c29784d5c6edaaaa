"""The resident-facing pages of residence permits: eligibility and applying, the electronic permit with its QR
code, endorsement, replacement, and the public verification page a QR code leads to."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


permit_overview = permit_apply = permit_application_edit = permit_detail = permit_endorse = _todo
permit_replace = permit_qr = permit_verify = _todo
