"""Thin Celery tasks of school enrolment: each calls a service. Safe to run twice."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def enrolment_offers_lapse() -> int:
    """Run by beat once a day: offers still unanswered after their round's confirmation window lapse (the seat
    goes to the further round). Offers already answered or lapsed are left alone."""
    return services.enrolment_offers_lapse()
