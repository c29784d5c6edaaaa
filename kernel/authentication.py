"""API authentication. A module of its own: DRF imports it while loading its settings."""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's app session token (X-Session-Token). Naming the header makes an unauthenticated call answer
    401 with ``WWW-Authenticate: X-Session-Token``, telling a client to sign in, rather than 403."""

    def authenticate_header(self, request) -> str:  # type: ignore[no-untyped-def]
        return "X-Session-Token"
