"""The mobile app's way in: allauth's headless "app" endpoints hand out a session token, which the REST API
accepts in the X-Session-Token header."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from accounts.models import User

from ..factories import PASSWORD, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

AUTH = "/_allauth/app/v1/auth"
DENIED = (401, 403)
CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z0-9]{4}-[A-Z0-9]{4}|\d{6})(?![A-Za-z0-9])")


def app_post(path: str, payload: dict, token: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_X_SESSION_TOKEN": token} if token else {}
    return APIClient().post(f"{AUTH}/{path}", payload, format="json", **headers)


def me(token: str | None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_X_SESSION_TOKEN": token} if token is not None else {}
    return APIClient().get("/api/v1/me/", **headers)


def test_logging_in_by_mobile_number_gives_a_session_token_that_the_api_accepts(tashan_community):
    # Given a resident with a profile
    user = UserFactory(phone="+8613800138000")
    resident = ResidentFactory(user=user, name="王芳", community=tashan_community)

    # When the app logs in with the number and password
    response = app_post("login", {"phone": "+8613800138000", "password": PASSWORD})

    # Then it gets a session token, and the API knows who it is
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["is_authenticated"] is True
    token = body["meta"]["session_token"]
    assert token
    answer = me(token)
    assert answer.status_code == 200
    assert answer.json()["id"] == user.pk
    assert answer.json()["resident"]["id_number"] == resident.id_number_masked


def test_logging_in_by_e_mail_gives_a_working_token():
    user = UserFactory(email="wang.fang@example.cn")

    response = app_post("login", {"email": "wang.fang@example.cn", "password": PASSWORD})

    assert response.status_code == 200
    assert me(response.json()["meta"]["session_token"]).json()["id"] == user.pk


def test_a_wrong_password_gives_no_token():
    UserFactory(phone="+8613800138000")

    response = app_post("login", {"phone": "+8613800138000", "password": "wrong-password"})

    assert response.status_code == 400
    assert "session_token" not in response.json().get("meta", {})


def test_the_api_refuses_a_request_without_a_token_or_with_a_made_up_one():
    UserFactory(phone="+8613800138000")

    assert me(None).status_code in DENIED
    assert me("made-up-token-0123456789").status_code in DENIED


def test_logging_out_ends_the_token():
    UserFactory(phone="+8613800138000")
    token = app_post("login", {"phone": "+8613800138000", "password": PASSWORD}).json()["meta"]["session_token"]
    assert me(token).status_code == 200

    APIClient().delete(f"{AUTH}/session", HTTP_X_SESSION_TOKEN=token)

    assert me(token).status_code in DENIED


def test_signing_up_in_the_app_by_mobile_number_with_the_sms_code(sms_outbox):
    # When the app signs up with a number, the account waits for the code sent by SMS
    response = app_post("signup", {"phone": "+8613800138000", "password": "a-long-and-unusual-pass-77"})
    assert response.status_code == 401
    pending = [flow["id"] for flow in response.json()["data"]["flows"] if flow.get("is_pending")]
    assert pending == ["verify_phone"]
    token = response.json()["meta"]["session_token"]
    assert me(token).status_code in DENIED  # not yet signed in

    # And when the code comes back, the user is signed in as a resident with a verified number
    code = CODE.search(sms_outbox[-1].text).group(1)  # type: ignore[union-attr]
    response = app_post("phone/verify", {"code": code}, token=token)

    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]
    answer = me(token)
    assert answer.status_code == 200
    assert answer.json()["roles"] == ["resident"]
    user = User.objects.get(phone="+8613800138000")
    assert user.phone_verified


def test_signing_up_in_the_app_by_e_mail():
    response = app_post("signup", {"email": "li.na@example.cn", "password": "a-long-and-unusual-pass-77"})

    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]
    assert me(token).json()["username"] == User.objects.get(email="li.na@example.cn").username


def test_signing_up_in_the_app_with_a_bad_number_is_refused(sms_outbox):
    response = app_post("signup", {"phone": "12345", "password": "a-long-and-unusual-pass-77"})

    assert response.status_code == 400
    assert any(error.get("param") == "phone" for error in response.json()["errors"])
    assert not User.objects.exists()
    assert sms_outbox == []


def test_logging_in_in_the_app_with_a_code_sent_by_sms(sms_outbox):
    user = UserFactory(phone="+8613800138000")

    response = app_post("code/request", {"phone": "+8613800138000"})
    assert response.status_code == 401
    token = response.json()["meta"]["session_token"]
    code = CODE.search(sms_outbox[-1].text).group(1)  # type: ignore[union-attr]

    response = app_post("code/confirm", {"code": code}, token=token)

    assert response.status_code == 200
    assert me(response.json()["meta"]["session_token"]).json()["id"] == user.pk
