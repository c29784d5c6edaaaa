"""The API description: an OpenAPI 3 schema, and documentation pages that load their assets locally."""

from __future__ import annotations

import re

import pytest
import yaml

pytestmark = pytest.mark.django_db

CDN_HOSTS = ("cdn.jsdelivr", "unpkg.com", "cdnjs", "googleapis", "fonts.gstatic", "bootcdn", "staticfile.org")


def test_the_schema_is_openapi_3_and_describes_the_residents_api(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/residents/" in schema["paths"]
    assert "/api/v1/residents/{id}/reveal-id-number/" in schema["paths"]
    assert "/api/v1/me/" in schema["paths"]
    assert "/api/v1/regions/" in schema["paths"]


def test_the_schema_is_also_served_as_json(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_the_schema_tells_app_developers_to_send_the_session_token(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)

    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("in") == "header" and s.get("name") == "X-Session-Token" for s in schemes.values())


@pytest.mark.parametrize(
    "page",
    ["/api/docs/", "/api/redoc/"],
)
def test_the_documentation_pages_load_their_assets_from_this_site(client, page):
    response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    for host in CDN_HOSTS:
        assert host not in html
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
    assert external == []
