"""Response headers shared by the apps' views."""

from django.http import HttpResponse


def secret_link_headers(response: HttpResponse) -> HttpResponse:
    """For a page whose address carries a secret (a permit's verification token, a property's QR token):
    never cached, never indexed, and the address never sent to another site.

    ``same-origin`` rather than ``no-referrer``: with no referrer policy at all, browsers send ``Origin: null``
    on the page's own forms (language, sign-out, the declaration), which CSRF protection rightly refuses.
    """
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"
    return response
