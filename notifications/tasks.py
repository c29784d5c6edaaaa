"""Thin Celery tasks: each loads what it needs and calls a service. Safe to run twice."""

from celery import shared_task

from . import reminders, services


@shared_task(ignore_result=True)
def delivery_send(delivery_id: int) -> None:
    services.delivery_send(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Run by beat every few seconds: hand each due delivery to a worker (a dead worker's rows included)."""
    ids = services.deliveries_due()
    for delivery_id in ids:
        delivery_send.delay(delivery_id)
    return len(ids)


@shared_task(ignore_result=True)
def reminders_run() -> dict[str, int]:
    """Run by beat once a day: every registered reminder sweep."""
    return reminders.sweeps_run()
