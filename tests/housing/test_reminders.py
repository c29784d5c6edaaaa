"""The housing reminder sweeps: the landlord's unconfirmed declaration before its deadline, the caseworkers'
daily count of overdue declarations and group-rental flags, and the lease that ended with the tenant still
registered. Each is recorded once however often the sweep runs, catches up a missed day or two, and costs
the same number of queries for one row as for twenty."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from housing.choices import PropertyStatus, TenancySource, TenancyStatus
from housing.models import OccupancyFlag, Property, Tenancy
from notifications.models import Delivery, Notification, Reminder
from notifications.reminders import sweeps, sweeps_run
from notifications.services import notification_render
from residents.models import Region
from tests.factories import CommunityFactory, ResidentFactory, UserFactory, caseworker_for, guardian_link, street

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)  # a Tuesday
DAY = datetime.timedelta(days=1)
_door = itertools.count(1)


def a_property(owner, community: Region, **fields) -> Property:  # type: ignore[no-untyped-def]
    """A verified property written straight to the table (its registration has its own tests)."""
    return Property.objects.create(
        owner=owner, owner_name="李房东", address=f"环城西路 18 号 {next(_door)} 室", community=community,
        street=community.parent, rooms=2, floor_area="58.50", max_occupants=4, ownership_proof="p.pdf",
        ownership_proof_name="产权证.pdf", status=PropertyStatus.VERIFIED, **fields,
    )  # fmt: skip


def a_tenancy(prop: Property, *, status: str, due_on: datetime.date = TODAY, **fields) -> Tenancy:  # type: ignore[no-untyped-def]
    fields.setdefault("tenant", ResidentFactory(community=prop.community))
    return Tenancy.objects.create(
        property=prop, status=status, move_in_date=due_on - 5 * DAY, move_in_due_on=due_on, reported_by=prop.owner,
        source=TenancySource.TENANT if status == TenancyStatus.DECLARED else TenancySource.LANDLORD, **fields,
    )  # fmt: skip


def a_flag(prop: Property, *, raised: datetime.date) -> OccupancyFlag:
    flag = OccupancyFlag.objects.create(
        property=prop, street_id=prop.street_id, attempted_by=prop.owner, occupants=4, capacity=4
    )
    moment = timezone.make_aware(datetime.datetime.combine(raised, datetime.time(15, 30)))
    OccupancyFlag.objects.filter(pk=flag.pk).update(created_at=moment)
    return flag


def messages(kind: str) -> list[Notification]:
    keys = Reminder.objects.filter(kind=kind).values_list("kind", "subject", "due_date")
    dedupe = [f"reminder:{k}:{s}:{d.isoformat()}" for k, s, d in keys]
    return list(Notification.objects.filter(dedupe_key__in=dedupe).order_by("id"))


def body(message: Notification) -> str:
    return notification_render(message, language="zh-hans").body


def queries_of(sweep: str, today: datetime.date) -> int:
    with CaptureQueriesContext(connection) as captured:
        sweeps()[sweep](today)
    return len(captured)


@pytest.fixture
def flat(landlord, tashan_community) -> Property:  # type: ignore[no-untyped-def]
    return a_property(landlord, tashan_community)


def test_the_housing_sweeps_are_registered():
    assert {"housing_report_due", "housing_overdue_digest", "housing_lease_ended"} <= set(sweeps())


# --- the landlord's declaration to confirm ---------------------------------------------------------------


def test_the_landlord_is_reminded_the_day_before_an_unconfirmed_declaration_is_due(flat, landlord):
    tenant = ResidentFactory(name="张伟", community=flat.community)
    declared = a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY + DAY, tenant=tenant)
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY + 2 * DAY)  # not yet
    a_tenancy(flat, status=TenancyStatus.ACTIVE, due_on=TODAY + DAY)  # already confirmed
    a_tenancy(flat, status=TenancyStatus.DECLINED, due_on=TODAY + DAY)  # declined: nothing to confirm

    assert sweeps_run(TODAY, only="housing_report_due") == {"housing_report_due": 1}

    [reminder] = Reminder.objects.all()
    assert (reminder.subject, reminder.due_date, reminder.recipient) == (
        f"tenancy:{declared.pk}",
        TODAY + DAY,
        landlord,
    )
    [message] = messages("housing_report_due")
    assert message.recipient == landlord
    assert message.template == "housing.report_due"
    assert message.context == {"tenant": "张伟", "address": flat.address, "due_on": "2026-03-11"}
    assert message.link == f"/housing/properties/{flat.pk}/"
    assert body(message) == f"张伟 入住 {flat.address} 的申报还没有确认，申报期限是 2026-03-11。"
    # housing.report_due goes by SMS and e-mail besides the inbox
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["email", "sms"]


def test_the_declaration_reminder_is_sent_once_rerun_the_same_day_or_the_next(flat):
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY + DAY)

    assert sweeps_run(TODAY, only="housing_report_due")["housing_report_due"] == 1
    assert sweeps_run(TODAY, only="housing_report_due")["housing_report_due"] == 0
    assert sweeps_run(TODAY + DAY, only="housing_report_due")["housing_report_due"] == 0  # due today: told already
    assert (Reminder.objects.count(), Notification.objects.count(), Delivery.objects.count()) == (1, 1, 2)


def test_a_declaration_made_on_the_last_day_is_still_reminded_on_the_day(flat):
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY)

    assert sweeps_run(TODAY, only="housing_report_due")["housing_report_due"] == 1


def test_missed_days_are_caught_up_but_not_older_ones(flat):
    caught = a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY - 2 * DAY)  # the sweep was down
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY - 3 * DAY)  # the caseworkers' digest has it

    sweeps_run(TODAY, only="housing_report_due")

    assert list(Reminder.objects.values_list("subject", flat=True)) == [f"tenancy:{caught.pk}"]


def test_a_deactivated_landlord_account_is_not_reminded(flat, landlord):
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY + DAY)
    landlord.is_active = False
    landlord.save()

    assert sweeps_run(TODAY, only="housing_report_due")["housing_report_due"] == 0


def test_the_declaration_sweep_costs_the_same_for_one_declaration_as_for_twenty(tashan_community):
    a_tenancy(a_property(UserFactory(), tashan_community), status=TenancyStatus.DECLARED, due_on=TODAY + DAY)
    one = queries_of("housing_report_due", TODAY)
    for _ in range(19):
        a_tenancy(a_property(UserFactory(), tashan_community), status=TenancyStatus.DECLARED, due_on=TODAY + DAY)

    assert queries_of("housing_report_due", TODAY) == one == 1
    with CaptureQueriesContext(connection) as captured:
        assert sweeps_run(TODAY, only="housing_report_due")["housing_report_due"] == 20
    assert len(captured) <= 10  # the sweep and reminders_issue's few set-wide statements


# --- the caseworkers' daily digest ------------------------------------------------------------------------


def test_each_caseworker_gets_the_overdue_declarations_and_yesterdays_flags_of_their_streets(
    flat, caseworker, caseworker_elsewhere, fushan_community
):
    for days_late in (1, 4):
        a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY - days_late * DAY)
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY)  # due today: not overdue yet
    a_tenancy(flat, status=TenancyStatus.ACTIVE, due_on=TODAY - 4 * DAY)  # confirmed (late, but confirmed)
    a_flag(flat, raised=TODAY - DAY)
    a_flag(flat, raised=TODAY - 2 * DAY)  # in the day before's digest
    a_flag(flat, raised=TODAY)  # in tomorrow's
    both = caseworker_for(street("塔山街道"), street("府山街道"), username="caseworker_both")
    a_tenancy(a_property(UserFactory(), fushan_community), status=TenancyStatus.DECLARED, due_on=TODAY - DAY)

    assert sweeps_run(TODAY, only="housing_overdue_digest") == {"housing_overdue_digest": 3}

    contexts = {m.recipient: m.context for m in messages("housing_overdue_digest")}
    assert contexts == {
        caseworker: {"overdue": 2, "flags": 1},
        caseworker_elsewhere: {"overdue": 1, "flags": 0},
        both: {"overdue": 3, "flags": 1},
    }
    message = next(m for m in messages("housing_overdue_digest") if m.recipient == caseworker)
    assert message.link == "/admin/housing/tenancy/?report=overdue"
    assert body(message) == (
        "您负责的街道有 2 条租客申报已超过 3 个工作日未确认，1 处房屋新出现超员申报（疑似群租）。请在工作台查看。"
    )
    assert list(Delivery.objects.values_list("channel", flat=True).distinct()) == ["email"]


def test_no_digest_when_there_is_nothing_to_tell(flat, caseworker):
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY)
    a_flag(flat, raised=TODAY - 3 * DAY)

    assert sweeps_run(TODAY, only="housing_overdue_digest")["housing_overdue_digest"] == 0
    assert not Notification.objects.exists()


def test_a_flag_alone_is_worth_a_digest(flat, caseworker):
    a_flag(flat, raised=TODAY - DAY)

    sweeps_run(TODAY, only="housing_overdue_digest")

    [message] = messages("housing_overdue_digest")
    assert (message.recipient, message.context) == (caseworker, {"overdue": 0, "flags": 1})


def test_the_digest_is_sent_once_a_day(flat, caseworker):
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY - DAY)
    a_flag(flat, raised=TODAY - DAY)

    assert sweeps_run(TODAY, only="housing_overdue_digest")["housing_overdue_digest"] == 1
    assert sweeps_run(TODAY, only="housing_overdue_digest")["housing_overdue_digest"] == 0
    # The next day is a new digest: the declaration is still overdue, yesterday's flag is not new any more.
    assert sweeps_run(TODAY + DAY, only="housing_overdue_digest")["housing_overdue_digest"] == 1
    assert [m.context for m in messages("housing_overdue_digest")] == [
        {"overdue": 1, "flags": 1},
        {"overdue": 1, "flags": 0},
    ]


def test_a_deactivated_caseworker_gets_no_digest(flat, caseworker):
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY - DAY)
    caseworker.is_active = False
    caseworker.save()

    assert sweeps_run(TODAY, only="housing_overdue_digest")["housing_overdue_digest"] == 0


def test_the_digest_costs_the_same_for_one_overdue_declaration_as_for_twenty(flat, caseworker):
    a_tenancy(flat, status=TenancyStatus.DECLARED, due_on=TODAY - DAY)
    a_flag(flat, raised=TODAY - DAY)
    one = queries_of("housing_overdue_digest", TODAY)
    for _ in range(19):
        prop = a_property(UserFactory(), CommunityFactory(parent=street("塔山街道")))
        a_tenancy(prop, status=TenancyStatus.DECLARED, due_on=TODAY - 2 * DAY)
        a_flag(prop, raised=TODAY - DAY)

    assert queries_of("housing_overdue_digest", TODAY) == one == 1
    sweeps_run(TODAY, only="housing_overdue_digest")
    [message] = messages("housing_overdue_digest")
    assert message.context == {"overdue": 20, "flags": 20}


# --- the lease that ended ---------------------------------------------------------------------------------


def test_the_day_after_the_lease_ended_the_landlord_and_the_tenant_are_asked_to_confirm(flat, landlord, resident):
    living = a_tenancy(flat, status=TenancyStatus.ACTIVE, lease_end_date=TODAY - DAY, tenant=resident)
    a_tenancy(flat, status=TenancyStatus.ACTIVE, lease_end_date=TODAY)  # its last day: not ended yet
    a_tenancy(flat, status=TenancyStatus.ENDED, lease_end_date=TODAY - DAY, moved_out_on=TODAY - DAY)  # reported
    a_tenancy(flat, status=TenancyStatus.ACTIVE)  # no end date given

    assert sweeps_run(TODAY, only="housing_lease_ended") == {"housing_lease_ended": 2}

    assert sorted(Reminder.objects.values_list("subject", flat=True)) == sorted(
        [f"tenancy:{living.pk}:user:{landlord.pk}", f"tenancy:{living.pk}:user:{resident.user.pk}"]
    )
    links = {m.recipient: m.link for m in messages("housing_lease_ended")}
    assert links == {landlord: f"/housing/properties/{flat.pk}/", resident.user: "/housing/tenancies/"}
    message = messages("housing_lease_ended")[0]
    assert message.context == {"address": flat.address, "lease_end_date": "2026-03-09"}
    assert body(message).startswith(f"{flat.address} 的租约已于 2026-03-09 到期。如租客已搬离，请房东办理人走注销")


def test_a_child_tenant_without_a_login_is_represented_by_the_guardians(flat, landlord, resident, tashan_community):
    child = ResidentFactory(name="王小明", community=tashan_community, birth_date=datetime.date(2016, 5, 1))
    guardian_link(resident, child)
    tenancy = a_tenancy(flat, status=TenancyStatus.ACTIVE, lease_end_date=TODAY - DAY, tenant=child)

    sweeps_run(TODAY, only="housing_lease_ended")

    assert {m.recipient for m in messages("housing_lease_ended")} == {landlord, resident.user}
    assert Reminder.objects.filter(subject=f"tenancy:{tenancy.pk}:user:{resident.user.pk}").exists()


def test_a_landlord_renting_to_themself_is_told_once(flat, landlord, tashan_community):
    own = ResidentFactory(user=landlord, community=tashan_community)
    a_tenancy(flat, status=TenancyStatus.ACTIVE, lease_end_date=TODAY - DAY, tenant=own)

    assert sweeps_run(TODAY, only="housing_lease_ended")["housing_lease_ended"] == 1


def test_the_lease_reminder_is_sent_once_however_often_the_sweep_runs(flat):
    a_tenancy(flat, status=TenancyStatus.ACTIVE, lease_end_date=TODAY - DAY)

    issued = [
        sweeps_run(day, only="housing_lease_ended")["housing_lease_ended"]
        for day in (TODAY, TODAY, TODAY + DAY, TODAY + 2 * DAY)
    ]
    assert issued == [1, 0, 0, 0]
    assert (Reminder.objects.count(), Notification.objects.count()) == (1, 1)


def test_missed_lease_days_are_caught_up_but_not_older_ones(flat, landlord):
    caught = a_tenancy(flat, status=TenancyStatus.ACTIVE, lease_end_date=TODAY - 3 * DAY)
    a_tenancy(flat, status=TenancyStatus.ACTIVE, lease_end_date=TODAY - 4 * DAY)  # older than the catch-up

    assert sweeps_run(TODAY, only="housing_lease_ended")["housing_lease_ended"] == 1
    assert list(Reminder.objects.values_list("subject", flat=True)) == [f"tenancy:{caught.pk}:user:{landlord.pk}"]


def test_the_lease_sweep_costs_the_same_for_one_tenancy_as_for_twenty(flat, resident, tashan_community):
    guardian_link(resident, child := ResidentFactory(community=tashan_community))
    a_tenancy(flat, status=TenancyStatus.ACTIVE, lease_end_date=TODAY - DAY, tenant=child)
    one = queries_of("housing_lease_ended", TODAY)
    for n in range(19):
        tenant = ResidentFactory(community=tashan_community, user=UserFactory() if n % 2 else None)
        if tenant.user is None:
            guardian_link(resident, tenant)
        a_tenancy(a_property(UserFactory(), tashan_community), status=TenancyStatus.ACTIVE,
                  lease_end_date=TODAY - DAY, tenant=tenant)  # fmt: skip

    assert queries_of("housing_lease_ended", TODAY) == one == 2
