"""Send every due delivery now, in this process (the embedded default's stand-in for the Celery sweep)."""

from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    help = "Send due SMS and e-mail deliveries from the outbox."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        sent = sum(services.delivery_send(delivery_id=i) for i in services.deliveries_due())
        self.stdout.write(f"sent {sent}")
