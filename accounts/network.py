"""Who is calling, as far as the network says: the one place that reads a request's client address."""

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for the audit trail, read as allauth reads it for rate limits: behind
    YUEAN_TRUSTED_PROXY_COUNT reverse proxies it comes from X-Forwarded-For, not from the proxy itself."""
    try:
        return get_adapter(request).get_client_ip(getattr(request, "_request", request))
    except PermissionDenied:
        return None
