"""Shared by the browser tests."""

from __future__ import annotations

import re

import pytest

from notifications.channels import SmsMessage

# Every browser test: the `browser` marker and a transactional database that is restored afterwards
# (see conftest.py for why serialized_rollback).
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # The live server runs without collectstatic (CSS comes from the finders); WhiteNoise notes the absence.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def sms_code(outbox: list[SmsMessage], phone: str) -> str:
    """The verification code in the last SMS sent to ``phone``."""
    texts = [m.text for m in outbox if m.phone == phone]
    assert texts, f"no SMS was sent to {phone}; outbox: {outbox!r}"
    match = re.search(r"验证码是\s*([0-9A-Za-z-]+)", texts[-1])
    assert match, f"no code in the SMS {texts[-1]!r}"
    return match.group(1)
