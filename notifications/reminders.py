"""The reminder framework: apps register sweeps; beat (or `manage.py run_reminders`) runs them daily.

A sweep is a function of the day that returns the reminders due, computed with set-wide queries (never a
query per row); notifications.services.reminders_issue records them idempotently.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from .services import ReminderDue, reminders_issue

Sweep = Callable[[datetime.date], list[ReminderDue]]

# A sweep that did not run for a day or two (beat down, a deploy) still sends what it missed: a reminder due on
# one of the last CATCH_UP_DAYS days is still due today. The reminder's (subject, kind, due date) key keeps
# it to one message.
CATCH_UP_DAYS = 2
_SWEEPS: dict[str, Sweep] = {}


def sweep_register(name: str) -> Callable[[Sweep], Sweep]:
    def decorator(func: Sweep) -> Sweep:
        _SWEEPS[name] = func
        return func

    return decorator


def sweeps() -> dict[str, Sweep]:
    return dict(_SWEEPS)


def sweeps_run(today: datetime.date | None = None, *, only: str | None = None) -> dict[str, int]:
    """Run the registered sweeps; returns how many reminders each newly recorded."""
    today = today or timezone.localdate()
    return {name: reminders_issue(sweep(today)) for name, sweep in _SWEEPS.items() if only is None or name == only}
