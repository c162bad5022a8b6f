"""SDMX time periods ("2019", "2019-Q2", "2019-W07", ...) and the dates they cover."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from lnob_api.errors import InvalidInput
from lnob_api.models.observation import PERIOD_PATTERN

ACCEPTED_FORMS = (
    "a year (2019), half-year (2019-S1, 2019-S2), quarter (2019-Q1 .. 2019-Q4), "
    "month (2019-03), day (2019-03-15) or ISO week (2019-W07)"
)

# The database's CHECK (PERIOD_PATTERN) is the outer gate; this one names the parts.
_PARTS = re.compile(
    r"^(?P<year>[0-9]{4})"
    r"(?:-(?:S(?P<half>[12])|Q(?P<quarter>[1-4])|W(?P<week>[0-9]{2})"
    r"|(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?))?$"
)
_PERIOD = re.compile(PERIOD_PATTERN)


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day (both inclusive) of an SDMX period.

    Raises ``InvalidInput`` (code ``INVALID_PERIOD``) for anything that is not one of the
    accepted forms or that names a day, week or month that does not exist.
    """
    match = _PARTS.fullmatch(period) if _PERIOD.fullmatch(period) else None
    if match is None:
        raise _invalid(period)
    year = int(match["year"])
    if year < 1:
        raise _invalid(period)
    try:
        if match["half"]:
            first_month = 1 + 6 * (int(match["half"]) - 1)
            return _months(year, first_month, 6)
        if match["quarter"]:
            first_month = 1 + 3 * (int(match["quarter"]) - 1)
            return _months(year, first_month, 3)
        if match["week"]:
            monday = date.fromisocalendar(year, int(match["week"]), 1)
            return monday, monday + timedelta(days=6)
        if match["day"]:
            day = date(year, int(match["month"]), int(match["day"]))
            return day, day
        if match["month"]:
            return _months(year, int(match["month"]), 1)
    except ValueError as exc:  # month 13, February 30, week 53 of a 52-week year
        raise _invalid(period) from exc
    return date(year, 1, 1), date(year, 12, 31)


def _months(year: int, first_month: int, count: int) -> tuple[date, date]:
    last_month = first_month + count - 1
    last_day = calendar.monthrange(year, last_month)[1]
    return date(year, first_month, 1), date(year, last_month, last_day)


def _invalid(period: str) -> InvalidInput:
    return InvalidInput(
        "period",
        f"{period!r} is not a valid period; use {ACCEPTED_FORMS}",
        code="INVALID_PERIOD",
    )
