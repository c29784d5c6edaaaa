"""Signing up and logging in on the web pages (allauth): by mobile number with an SMS code, or by e-mail."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-pass-77"
# allauth's codes look like "LBDR-CCVK"; a numeric code would be six digits.
CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z0-9]{4}-[A-Z0-9]{4}|\d{6})(?![A-Za-z0-9])")


def code_in(text: str) -> str:
    match = CODE.search(text)
    assert match, f"no code in {text!r}"
    return match.group(1)


def signed_in_user(client: Client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def sign_up(client: Client, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("account_signup"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **fields})


def form_errors(response) -> dict:  # type: ignore[no-untyped-def]
    return response.context["form"].errors


# --- sign-up by mobile number -------------------------------------------------------------------------


def test_signing_up_by_mobile_number_sends_a_code_and_verifying_it_makes_a_resident(client, sms_outbox):
    # Given a visitor who signs up with the number as people type it
    response = sign_up(client, phone="138 0013 8000")

    # Then they are asked for the code, which went to their phone by SMS
    assert response.status_code == 302
    assert response["Location"] == reverse("account_verify_phone")
    assert [m.phone for m in sms_outbox] == ["+8613800138000"]
    user = User.objects.get()
    assert (user.phone, user.phone_verified) == ("+8613800138000", False)

    # When they type the code
    response = client.post(reverse("account_verify_phone"), {"code": code_in(sms_outbox[-1].text), "action": "verify"})

    # Then the number is verified, they are signed in, and they are a resident
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone_verified
    assert signed_in_user(client) == user
    assert list(user.groups.values_list("name", flat=True)) == ["resident"]
    assert user.check_password(NEW_PASSWORD)


def test_a_wrong_code_does_not_verify_the_number(client, sms_outbox):
    sign_up(client, phone="+8613800138000")
    right = code_in(sms_outbox[-1].text)
    wrong = "ZZZZ-ZZZZ" if right != "ZZZZ-ZZZZ" else "YYYY-YYYY"

    response = client.post(reverse("account_verify_phone"), {"code": wrong, "action": "verify"})

    assert response.status_code == 200
    assert form_errors(response)["code"]
    assert not User.objects.get().phone_verified
    assert signed_in_user(client) is None


@pytest.mark.parametrize("bad", ["12345", "1380013800", "not a number", "+1 555"])
def test_an_invalid_mobile_number_is_refused_on_its_field_and_no_user_is_created(client, sms_outbox, bad):
    response = sign_up(client, phone=bad)

    assert response.status_code == 200
    assert form_errors(response)["phone"]
    assert not User.objects.exists()
    assert sms_outbox == []


def test_a_number_already_registered_creates_no_second_account(client, sms_outbox):
    UserFactory(phone="+8613800138000")

    sign_up(client, phone="13800138000")

    assert User.objects.filter(phone="+8613800138000").count() == 1
    # The owner of the number is told by SMS; the page reveals nothing about who is registered.
    assert [m.phone for m in sms_outbox] == ["+8613800138000"]
    assert not CODE.search(sms_outbox[-1].text)


# --- sign-up by e-mail --------------------------------------------------------------------------------


def test_signing_up_by_e_mail_alone_makes_a_resident(client, sms_outbox):
    response = sign_up(client, email="li.na@example.cn")

    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "li.na@example.cn"
    assert user.phone is None
    assert signed_in_user(client) == user
    assert list(user.groups.values_list("name", flat=True)) == ["resident"]
    assert [m.to for m in mail.outbox] == [["li.na@example.cn"]]  # the confirmation message
    assert sms_outbox == []


def test_signing_up_with_neither_number_nor_e_mail_is_refused(client):
    response = sign_up(client)

    assert response.status_code == 200
    assert form_errors(response)["__all__"]
    assert not User.objects.exists()


def test_an_invalid_e_mail_address_is_refused(client):
    response = sign_up(client, email="li.na@")

    assert response.status_code == 200
    assert form_errors(response)["email"]
    assert not User.objects.exists()


def test_mismatched_passwords_are_refused(client):
    response = client.post(
        reverse("account_signup"), {"email": "li.na@example.cn", "password1": NEW_PASSWORD, "password2": "other"}
    )

    assert response.status_code == 200
    assert form_errors(response)
    assert not User.objects.exists()


# --- logging in with a password -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["+8613800138000", "13800138000", "138 0013 8000"])
def test_logging_in_by_mobile_number_and_password(client, typed):
    user = UserFactory(phone="+8613800138000")

    response = client.post(reverse("account_login"), {"login": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user(client) == user


def test_logging_in_by_e_mail_and_password(client):
    user = UserFactory(email="wang.fang@example.cn")

    response = client.post(reverse("account_login"), {"login": "wang.fang@example.cn", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user(client) == user


def test_a_wrong_password_does_not_log_in(client):
    UserFactory(phone="+8613800138000")

    response = client.post(reverse("account_login"), {"login": "+8613800138000", "password": "wrong-password"})

    assert response.status_code == 200
    assert form_errors(response)
    assert signed_in_user(client) is None


# --- logging in with a code sent by SMS ---------------------------------------------------------------


def test_logging_in_with_a_code_sent_to_the_mobile_number(client, sms_outbox):
    user = UserFactory(phone="+8613800138000")

    response = client.post(reverse("account_request_login_code"), {"phone": "13800138000"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    assert [m.phone for m in sms_outbox] == ["+8613800138000"]

    response = client.post(reverse("account_confirm_login_code"), {"code": code_in(sms_outbox[-1].text)})

    assert response.status_code == 302
    assert signed_in_user(client) == user


def test_a_wrong_login_code_does_not_log_in(client, sms_outbox):
    UserFactory(phone="+8613800138000")
    client.post(reverse("account_request_login_code"), {"phone": "+8613800138000"})
    right = code_in(sms_outbox[-1].text)

    client.post(reverse("account_confirm_login_code"), {"code": "ZZZZ-ZZZZ" if right != "ZZZZ-ZZZZ" else "YYYY-YYYY"})

    assert signed_in_user(client) is None


def test_a_login_code_for_an_unknown_number_signs_nobody_in(client, sms_outbox):
    UserFactory(phone="+8613900139000")

    client.post(reverse("account_request_login_code"), {"phone": "13800138000"})

    # The number's owner is told it has no account; no code exists that could sign anybody in.
    assert [m.phone for m in sms_outbox] == ["+8613800138000"]
    assert not CODE.search(sms_outbox[-1].text)
    assert signed_in_user(client) is None


# --- rate limits --------------------------------------------------------------------------------------


def test_repeated_failed_logins_on_a_number_are_blocked_even_with_the_right_password(client):
    UserFactory(phone="+8613800138000")
    for attempt in range(5):
        client.post(
            reverse("account_login"),
            {"login": "+8613800138000", "password": f"guess-{attempt}"},
            REMOTE_ADDR=f"10.0.0.{attempt}",  # spread over addresses: the limit is on the number
        )

    response = client.post(reverse("account_login"), {"login": "+8613800138000", "password": PASSWORD})

    assert response.status_code == 200
    assert form_errors(response)
    assert signed_in_user(client) is None


def test_failed_logins_on_one_number_do_not_block_another_number(client):
    UserFactory(phone="+8613800138000")
    other = UserFactory(phone="+8613900139000")
    for attempt in range(5):
        client.post(
            reverse("account_login"),
            {"login": "+8613800138000", "password": f"guess-{attempt}"},
            REMOTE_ADDR=f"10.0.0.{attempt}",
        )

    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    response = elsewhere.post(reverse("account_login"), {"login": "+8613900139000", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user(elsewhere) == other


def test_the_limit_cannot_be_dodged_by_typing_the_number_differently(client):
    UserFactory(phone="+8613800138000")
    spellings = ["+8613800138000", "13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000"]
    for attempt, spelling in enumerate(spellings):
        client.post(
            reverse("account_login"),
            {"login": spelling, "password": f"guess-{attempt}"},
            REMOTE_ADDR=f"10.0.1.{attempt}",
        )

    response = client.post(reverse("account_login"), {"login": "13800138000", "password": PASSWORD})

    assert signed_in_user(client) is None
    assert form_errors(response)


def test_many_failed_logins_from_one_address_are_blocked(client):
    users = [UserFactory() for _ in range(11)]
    for user in users[:10]:
        client.post(reverse("account_login"), {"login": user.phone, "password": "wrong-password"})

    response = client.post(reverse("account_login"), {"login": users[10].phone, "password": PASSWORD})

    assert response.status_code == 200
    assert signed_in_user(client) is None
