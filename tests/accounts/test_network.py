"""The client address recorded in the audit trail."""

from django.test import RequestFactory

from accounts.network import client_ip


def test_without_proxies_the_peer_is_the_client(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert client_ip(request) == "203.0.113.7"  # a forwarded header from nobody trusted is ignored


def test_behind_one_proxy_the_client_is_the_address_it_forwarded(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.99, 198.51.100.1")

    assert client_ip(request) == "198.51.100.1"  # the left part could be forged by the client
