"""Per-row checks of an uploaded file: each good row becomes one record for COPY.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row row 2.
A row with any problem yields no record; every problem is counted, the first ``LIMIT`` kept.
Checks that need the whole file or the database (a key repeated within the file, a key already
in the dataset) run in SQL afterwards (``repository``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Generic, Protocol, TypeVar

from lnob_api.declare.observation import UPLOAD_WIDTHS, UPLOADED
from lnob_api.errors import InvalidInput
from lnob_api.models.enums import ObsStatus
from lnob_api.models.observation import DIMENSION_COLUMNS, ESCAPED, TOTAL
from lnob_api.models.units import canonical_unit, looks_like_count
from lnob_api.observation.periods import period_bounds
from lnob_api.upload.mapping import PUBLIC_NAMES, ResolvedColumns

LIMIT = 1000
OBS_STATUSES = frozenset(s.value for s in ObsStatus)
MISSING_STATUSES = frozenset({ObsStatus.M.value, ObsStatus.O.value})
DIMENSION_WIDTH = 200
# problem(field name, code, message), inside RowChecker.check.
Report = Callable[[str, str, str], None]
MAX_SAMPLE_SIZE = 2**31 - 1
# A disaggregation code refuses what JSON escapes (the table's ck_observations_*_plain).
_ESCAPED = re.compile(ESCAPED)

# What COPY receives, in the staging table's column order (see repository.STAGING_COLUMNS).
Record = tuple[
    int,
    int,
    str,
    str,
    date,
    date,
    float | None,
    str,
    str,
    int | None,
    str,
    str,
    str,
    str,
    str,
    str,
    str,
]


@dataclass(frozen=True, slots=True)
class Problem:
    row: int
    column: str | None
    code: str
    message: str


@dataclass(slots=True)
class ProblemLog:
    """Every problem counted; the first ``limit`` (by row) kept."""

    limit: int = LIMIT
    kept: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, problem: Problem) -> None:
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(problem)

    def merge(self, others: Sequence[Problem], total: int) -> None:
        """Add problems found later (in row order) and the count they were cut from."""
        self.count += total
        merged = sorted([*self.kept, *others], key=lambda p: p.row)
        self.kept = merged[: self.limit]


class ProblemReport(Protocol):
    """What the report on a file tells: the first problems, and how many there were."""

    @property
    def problems(self) -> tuple[Problem, ...]: ...

    @property
    def problem_count(self) -> int: ...


ReportT = TypeVar("ReportT", bound=ProblemReport)


class FileRejected(InvalidInput, Generic[ReportT]):
    """The file has problems; nothing of it is written. ``report`` lists them."""

    def __init__(self, report: ReportT) -> None:
        shown = len(report.problems)
        more = f" (the first {shown} are listed)" if shown < report.problem_count else ""
        super().__init__(
            "file",
            f"the file has {report.problem_count} problem(s){more}; nothing was written",
            code="INVALID_FILE",
        )
        self.report = report


@dataclass(frozen=True, slots=True)
class Lookups:
    """Reference data the checks need, loaded once per upload."""

    indicators: dict[str, int]  # lower-case code -> id (global and the coalition's own)
    area_codes: frozenset[str]  # upper-case codes in the coalition's country
    area_names: dict[str, tuple[str, ...]]  # lower-case name -> codes
    country: str


def _number(text: str) -> float:
    """The number written in ``text``, NaN when it is none (Python's own "1_000" included)."""
    if "_" in text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


@lru_cache(maxsize=4096)
def _bounds(period: str) -> tuple[date, date] | None:
    try:
        return period_bounds(period)
    except InvalidInput:
        return None


class RowChecker:
    """Turns one row of cells into a record, or into problems."""

    def __init__(
        self,
        header: Sequence[str],
        columns: ResolvedColumns,
        lookups: Lookups,
        *,
        default_indicator: int | None,
    ) -> None:
        self.lookups = lookups
        self.default_indicator = default_indicator
        self.pos = columns.positions
        self.dimensions = columns.dimensions
        self.names = {name: columns.header_of(header, name) for name in PUBLIC_NAMES}
        self.dimension_names = {key: header[i] for key, i in columns.dimensions}

    def check(self, row: int, cells: Sequence[str], log: ProblemLog) -> Record | None:
        """The row's record, or None after logging why it cannot be loaded."""
        before = log.count

        def cell(name: str) -> str:
            i = self.pos[name]
            return cells[i] if i is not None and i < len(cells) else ""

        def problem(name: str, code: str, message: str) -> None:
            log.add(Problem(row, self.names[name], code, message))

        indicator_id = self._indicator(cell("indicator"), problem)
        area = self._area(cell("area"), problem)
        period = cell("period")
        bounds = _bounds(period) if period else None
        if not period:
            problem("period", "REQUIRED", "no period")
        elif bounds is None:
            problem(
                "period",
                "INVALID_PERIOD",
                f"{period!r} is not a period: use 2019, 2019-S1, 2019-Q2, 2019-03, "
                "2019-03-15 or 2019-W07",
            )
        status = cell("obs_status").upper() or ObsStatus.A.value
        if status not in OBS_STATUSES:
            problem(
                "obs_status",
                "INVALID_OBS_STATUS",
                f"unknown observation status {status!r}; use one of "
                f"{', '.join(sorted(OBS_STATUSES))}",
            )
        value = self._value(cell("value"), status, problem)
        sample_size = self._sample_size(cell("sample_size"), problem)
        texts: dict[str, str] = {}
        for name, width in UPLOAD_WIDTHS.items():
            text = cell(name)
            if name == "unit":
                text = self._unit(text, problem)
            if len(text) > width:
                problem(name, "TOO_LONG", f"at most {width} characters")
            elif UPLOADED[name] in DIMENSION_COLUMNS and _ESCAPED.search(text):
                problem(
                    name, "INVALID_CODE", "a code holds no quote, backslash or control character"
                )
            texts[name] = text
        dimensions = self._dimensions(cells, row, log)
        if log.count != before or indicator_id is None or area is None or bounds is None:
            return None
        return (
            row,
            indicator_id,
            area,
            period,
            bounds[0],
            bounds[1],
            value,
            texts["unit"],
            status,
            sample_size,
            texts["sex"] or TOTAL,
            texts["age"] or TOTAL,
            texts["disability_status"] or TOTAL,
            texts["urbanisation"] or TOTAL,
            texts["group"] or TOTAL,
            dimensions,
            cell("comment"),
        )

    @staticmethod
    def _unit(text: str, problem: Report) -> str:
        """The unit as stored (``units.canonical_unit``); one that reads as a count unit only
        through non-ASCII letters is refused, so that a count is never taken for a rate."""
        unit = canonical_unit(text)
        count = looks_like_count(unit)
        if count is not None:
            problem(
                "unit",
                "INVALID_UNIT",
                f"{unit!r} reads as the count unit {count}: write it in ASCII letters",
            )
        return unit

    def _indicator(self, code: str, problem: Report) -> int | None:
        if not code:
            if self.default_indicator is None:
                problem("indicator", "REQUIRED", "no indicator code")
            return self.default_indicator
        found = self.lookups.indicators.get(code.lower())
        if found is None:
            problem(
                "indicator",
                "UNKNOWN_INDICATOR",
                f"unknown indicator {code!r}: use an SDG indicator code (1.1.1) or one of "
                "this coalition's custom indicators",
            )
        return found

    def _area(self, text: str, problem: Report) -> str | None:
        if not text:
            problem("area", "REQUIRED", "no area")
            return None
        code = text.upper()
        if code in self.lookups.area_codes:
            return code
        codes = self.lookups.area_names.get(text.lower())
        if codes is None:
            problem(
                "area",
                "UNKNOWN_AREA",
                f"no area {text!r} in {self.lookups.country} (by code or name)",
            )
            return None
        if len(codes) > 1:
            problem(
                "area",
                "AMBIGUOUS_AREA",
                f"several areas are named {text!r} ({', '.join(codes)}): use the code",
            )
            return None
        return codes[0]

    def _value(self, text: str, status: str, problem: Report) -> float | None:
        if not text:
            if status not in MISSING_STATUSES:
                problem(
                    "value",
                    "MISSING_VALUE",
                    "no value: leave it empty only with observation status M or O",
                )
            return None
        value = _number(text)
        if not math.isfinite(value):
            problem("value", "INVALID_VALUE", f"{text!r} is not a number")
            return None
        return value

    def _sample_size(self, text: str, problem: Report) -> int | None:
        if not text:
            return None
        number = _number(text)
        if not number.is_integer() or not 0 <= number <= MAX_SAMPLE_SIZE:
            problem(
                "sample_size",
                "INVALID_SAMPLE_SIZE",
                f"{text!r} is not a sample size: use a whole number, 0 or more",
            )
            return None
        return int(number)

    def _dimensions(self, cells: Sequence[str], row: int, log: ProblemLog) -> str:
        found: dict[str, str] = {}
        for key, i in self.dimensions:
            text = cells[i] if i < len(cells) else ""
            if len(text) > DIMENSION_WIDTH:
                log.add(
                    Problem(
                        row,
                        self.dimension_names[key],
                        "TOO_LONG",
                        f"at most {DIMENSION_WIDTH} characters",
                    )
                )
            elif text:
                found[key] = text
        return json.dumps(found, sort_keys=True, ensure_ascii=False) if found else "{}"
