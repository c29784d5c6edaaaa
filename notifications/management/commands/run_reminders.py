"""Run the reminder sweeps now (what Celery beat runs daily). Safe to run again the same day."""

import datetime

from django.core.management.base import BaseCommand

from notifications.reminders import sweeps_run


class Command(BaseCommand):
    help = "Run the daily reminder sweeps (idempotent)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="the day to sweep for (YYYY-MM-DD)")
        parser.add_argument("--only", help="run one sweep by name")

    def handle(self, *args, date: datetime.date | None, only: str | None, **options) -> None:  # type: ignore[no-untyped-def]
        for name, count in sweeps_run(date, only=only).items():
            self.stdout.write(f"{name}: {count} new reminder(s)")
