"""Demo data of school enrolment, on top of seed_demo's accounts: the example schools' catchments drawn over the
demo communities, a younger child (李小乐, six next summer) in demo_resident's family, and the 2027 primary round
opened with its application window around today, so the demo parent can apply, rank schools and submit.
Idempotent (run after seed_demo and seed_points_demo; `make run` does)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from education import services
from education.choices import RoundStatus
from education.models import EnrolmentRound, School
from residents import services as residents_services
from residents.choices import GuardianRelation, RegionKind
from residents.demo import demo_id_number
from residents.models import GuardianLink, Region, Resident

CHILD_NAME = "李小乐"
CHILD_BIRTH = datetime.date(2021, 3, 15)


class Command(BaseCommand):
    help = "Load the school-enrolment demo (after seed_demo). Idempotent."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            admin = User.objects.get(username="demo_admin")
            parent = Resident.objects.get(user__username="demo_resident")
        except (User.DoesNotExist, Resident.DoesNotExist) as exc:
            raise CommandError("Run seed_demo first.") from exc
        with transaction.atomic():
            self._catchments()
            self._child(parent)
            self._round(admin)
        self.stdout.write(self.style.SUCCESS("School-enrolment demo ready: /education/ (demo_resident can apply)."))

    def _catchments(self) -> None:
        """Each school without a catchment takes the communities of its own street."""
        for school in School.objects.filter(catchment_communities__isnull=True):
            communities = Region.objects.filter(kind=RegionKind.COMMUNITY, parent_id=school.street_id)
            school.catchment_communities.set(communities)

    def _child(self, parent: Resident) -> None:
        if GuardianLink.objects.filter(guardian=parent, child__name=CHILD_NAME).exists():
            return
        residents_services.resident_child_add(
            actor=parent.user, guardian=parent, name=CHILD_NAME, relation=GuardianRelation.PARENT,
            id_number=demo_id_number("412827", CHILD_BIRTH, 418),
        )  # fmt: skip

    def _round(self, admin: User) -> None:
        """The 2027 primary round, its days moved so that today is in the application window (demo only)."""
        round_ = EnrolmentRound.objects.filter(year=2027, grade="primary_1", previous__isnull=True).first()
        if round_ is None or round_.status != RoundStatus.DRAFT:
            return
        today = timezone.localdate()
        days = datetime.timedelta
        EnrolmentRound.objects.filter(pk=round_.pk).update(
            applications_open_on=today - days(3), applications_close_on=today + days(14),
            documents_check_end_on=today + days(21), objections_end_on=today + days(25),
            preferences_close_on=today + days(28), allocation_on=today + days(30),
            confirmation_end_on=today + days(40),
        )  # fmt: skip
        round_.refresh_from_db()
        services.enrolment_round_open(actor=admin, enrolment_round=round_)
