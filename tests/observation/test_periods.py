"""SDMX periods and the dates they cover."""

from __future__ import annotations

import re
from datetime import date

import pytest

from lnob_api.errors import InvalidInput
from lnob_api.models.observation import PERIOD_PATTERN
from lnob_api.observation.periods import period_bounds


class TestPeriodBounds:
    @pytest.mark.parametrize(
        ("period", "start", "end"),
        [
            ("2019", date(2019, 1, 1), date(2019, 12, 31)),
            ("2019-S1", date(2019, 1, 1), date(2019, 6, 30)),
            ("2019-S2", date(2019, 7, 1), date(2019, 12, 31)),
            ("2019-Q1", date(2019, 1, 1), date(2019, 3, 31)),
            ("2019-Q2", date(2019, 4, 1), date(2019, 6, 30)),
            ("2019-Q3", date(2019, 7, 1), date(2019, 9, 30)),
            ("2019-Q4", date(2019, 10, 1), date(2019, 12, 31)),
            ("2019-03", date(2019, 3, 1), date(2019, 3, 31)),
            ("2019-04", date(2019, 4, 1), date(2019, 4, 30)),
            ("2019-12", date(2019, 12, 1), date(2019, 12, 31)),
            ("2019-03-15", date(2019, 3, 15), date(2019, 3, 15)),
        ],
    )
    def test_covers_the_whole_period(self, period: str, start: date, end: date) -> None:
        assert period_bounds(period) == (start, end)

    def test_knows_february_in_leap_years(self) -> None:
        assert period_bounds("2020-02") == (date(2020, 2, 1), date(2020, 2, 29))
        assert period_bounds("2019-02") == (date(2019, 2, 1), date(2019, 2, 28))
        assert period_bounds("2000-02")[1] == date(2000, 2, 29)
        assert period_bounds("1900-02")[1] == date(1900, 2, 28)

    def test_accepts_a_leap_day(self) -> None:
        assert period_bounds("2020-02-29") == (date(2020, 2, 29), date(2020, 2, 29))

    def test_rejects_a_leap_day_in_a_common_year(self) -> None:
        with pytest.raises(InvalidInput):
            period_bounds("2019-02-29")

    def test_runs_iso_weeks_from_monday_to_sunday(self) -> None:
        # given: ISO week 1 of 2019 starts on Monday 31 December 2018
        # when
        start, end = period_bounds("2019-W01")
        # then
        assert (start, end) == (date(2018, 12, 31), date(2019, 1, 6))
        assert start.weekday() == 0
        assert end.weekday() == 6
        assert period_bounds("2019-W07") == (date(2019, 2, 11), date(2019, 2, 17))

    def test_accepts_week_53_where_the_year_has_one(self) -> None:
        # 2020 and 2015 have 53 ISO weeks; week 53 of 2020 ends on 3 January 2021
        assert period_bounds("2020-W53") == (date(2020, 12, 28), date(2021, 1, 3))
        assert period_bounds("2015-W53") == (date(2015, 12, 28), date(2016, 1, 3))

    @pytest.mark.parametrize("period", ["2019-W53", "2021-W53", "2019-W00", "2019-W54"])
    def test_rejects_weeks_that_do_not_exist(self, period: str) -> None:
        with pytest.raises(InvalidInput):
            period_bounds(period)

    @pytest.mark.parametrize(
        "period",
        [
            "2019-13",
            "2019-00",
            "2019-Q5",
            "2019-Q0",
            "2019-S3",
            "2019-04-31",
            "2019-02-30",
            "2019-1",
            "19",
            "2019-3-15",
            "2019Q1",
            "2019-q1",
            "2019-W7",
            "0000",
            "2019-01-01T00:00",
            " 2019",
            "",
            "twenty",
        ],
    )
    def test_rejects_anything_else(self, period: str) -> None:
        # when
        with pytest.raises(InvalidInput) as caught:
            period_bounds(period)
        # then
        error = caught.value
        assert error.field == "period"
        assert error.reason == "INVALID_PERIOD"
        assert repr(period) in error.message
        assert "2019-Q" in error.message  # names the accepted forms

    @pytest.mark.parametrize(
        "period",
        ["2019", "2019-S2", "2019-Q4", "2019-W52", "2020-W53", "2019-12", "2019-12-31"],
    )
    def test_accepts_only_what_the_database_accepts(self, period: str) -> None:
        # The observations table's CHECK uses PERIOD_PATTERN: nothing valid here may fail there.
        period_bounds(period)
        assert re.fullmatch(PERIOD_PATTERN, period)
