"""What the portal already knows about a resident, as facts of the points table (the "computed" indicators).

The calculator pre-fills these for a signed-in resident and an application counts them without a declaration:
one function, so both give the same numbers. An indicator marked "computed" whose key is not here cannot be
published (points.services.rule_set_publish), because the portal would have nothing to count.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from decimal import ROUND_FLOOR, Decimal
from types import MappingProxyType

from dateutil.relativedelta import relativedelta

from permits import selectors as permits_selectors
from residents.models import Resident

from . import scoring

Computation = Callable[[Resident, datetime.date], scoring.Fact]


def _residence_years(resident: Resident, on: datetime.date) -> scoring.Fact:
    """Continuous residence in whole months, as years (3 years 6 months is 3.5): registration decides, a late
    endorsement restarts the count (permits.selectors.residence_counted_from)."""
    since = permits_selectors.residence_counted_from(resident=resident)
    if since is None or since > on:
        return Decimal(0)
    span = relativedelta(on, since)
    months = span.years * 12 + span.months
    return (Decimal(months) / 12).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)


def _age(resident: Resident, on: datetime.date) -> scoring.Fact:
    if resident.birth_date is None:
        return None
    return Decimal(relativedelta(on, resident.birth_date).years)


def _education(resident: Resident, on: datetime.date) -> scoring.Fact:
    return resident.education or None


def _no_finding(resident: Resident, on: datetime.date) -> scoring.Fact:
    """A finding a caseworker records in review (a false declaration): none until one is recorded."""
    return False


COMPUTED_FACTS: Mapping[str, Computation] = MappingProxyType(
    {
        scoring.RESIDENCE_YEARS: _residence_years,
        scoring.AGE: _age,
        scoring.EDUCATION: _education,
        scoring.FALSE_DECLARATION: _no_finding,
    }
)


def facts_known(resident: Resident, rule_set: scoring.RuleSet, on: datetime.date) -> dict[str, scoring.Fact]:
    """The computed indicators of ``rule_set`` for ``resident`` on the day ``on``."""
    return {
        indicator.key: COMPUTED_FACTS[indicator.key](resident, on)
        for indicator in rule_set.indicators
        if indicator.source == scoring.Source.COMPUTED and indicator.key in COMPUTED_FACTS
    }
