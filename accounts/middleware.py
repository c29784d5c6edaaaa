from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

_SESSION_FLAG = "yuean_staff_totp_ok"


class StaffTwoFactorMiddleware:
    """When STAFF_MFA_REQUIRED, staff cannot open the console until they have set up a TOTP authenticator.

    allauth then asks for the code at every login; this only makes sure no staff account skips enrolment.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.STAFF_MFA_REQUIRED
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and request.path.startswith("/admin/")
            and not request.session.get(_SESSION_FLAG)
        ):
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                return redirect("mfa_activate_totp")
            request.session[_SESSION_FLAG] = True
        return self.get_response(request)
