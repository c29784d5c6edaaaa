"""Working days as the State Council's yearly schedule defines them: weekends off, official holidays off, and
the adjusted weekends (调休) worked. A year whose schedule has not been entered counts weekends only, and every
deadline computed over such a year says so (``Deadline.estimated``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .models import OfficialCalendarYear

# 浙江省流动人口居住登记条例 arts. 9–11: landlords report a tenant arriving or leaving within three working days.
REPORT_WORKING_DAYS = 3
# Never look further than this for the next working day (the longest official break is nine days).
_HORIZON = 60


@dataclass(frozen=True)
class WorkingCalendar:
    """The schedules of some years, read once; ask it about any day."""

    holidays: frozenset[datetime.date]
    workdays: frozenset[datetime.date]
    years: frozenset[int]

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def knows(self, day: datetime.date) -> bool:
        return day.year in self.years


@dataclass(frozen=True)
class Deadline:
    due_on: datetime.date
    # A year on the way has no official schedule yet: weekends only were counted.
    estimated: bool


def calendar_for(years: set[int] | range) -> WorkingCalendar:
    rows = OfficialCalendarYear.objects.filter(year__in=list(years))
    holidays: set[datetime.date] = set()
    workdays: set[datetime.date] = set()
    known: set[int] = set()
    for row in rows:
        known.add(row.year)
        holidays.update(datetime.date.fromisoformat(d) for d in row.holidays)
        workdays.update(datetime.date.fromisoformat(d) for d in row.adjusted_workdays)
    return WorkingCalendar(frozenset(holidays), frozenset(workdays), frozenset(known))


def working_days_after(
    start: datetime.date, count: int = REPORT_WORKING_DAYS, *, calendar: WorkingCalendar | None = None
) -> Deadline:
    """The ``count``-th working day after ``start`` (the day of the event itself does not count)."""
    calendar = calendar or calendar_for({start.year, start.year + 1})
    day, found, estimated = start, 0, False
    for _ in range(_HORIZON):
        day += datetime.timedelta(days=1)
        if not calendar.knows(day):
            estimated = True
        if calendar.is_working_day(day):
            found += 1
            if found == count:
                return Deadline(day, estimated)
    raise ValueError(f"no {count} working days within {_HORIZON} days of {start}")
