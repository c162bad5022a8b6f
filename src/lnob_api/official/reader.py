"""Reading a CSV file of official values: header mapping, then each row checked on its own.

Rows are numbered as a spreadsheet shows them (the header is row 1). Header names match
case-insensitively, spaces and hyphens counting as underscores, with a few common aliases.
Blank rows are skipped. The file is UTF-8 (a byte-order mark is fine), separated by commas,
semicolons, tabs or pipes (guessed from the header line).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass, field
from typing import IO, Any

from lnob_api.declare.observation import UPLOAD_WIDTHS, UPLOADED
from lnob_api.errors import InvalidInput
from lnob_api.models.observation import TOTAL
from lnob_api.models.units import canonical_unit
from lnob_api.observation.periods import period_bounds
from lnob_api.upload.validate import Problem

# Problems kept for the report; all are counted.
LIMIT = 1000
MAX_ROWS = 200_000

ALIASES: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator", "indicator_code", "sdg_indicator", "target", "sdg_target"),
    "area": ("area", "area_code", "geo_area", "geo_area_code"),
    "period": ("period", "time_period", "year"),
    "value": ("value", "obs_value"),
    "unit": ("unit", "unit_measure", "units"),
    "sex": ("sex",),
    "age": ("age", "age_group"),
    "disability_status": ("disability_status", "disability"),
    "urbanisation": ("urbanisation", "urbanization"),
    "group": ("group", "group_code"),
    "note": ("note", "comment", "footnote"),
}
REQUIRED = ("indicator", "area", "period", "value")


@dataclass
class ProblemLog:
    kept: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, row: int, column: str | None, code: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < LIMIT:
            self.kept.append(Problem(row, column, code, message))


@dataclass
class Parsed:
    """The file's data rows (row number, cells by field) and what the header said."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def _normalise(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def _map_header(
    header: list[str],
    log: ProblemLog,
    aliases_of: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> tuple[dict[str, int], Parsed]:
    parsed = Parsed()
    index: dict[str, int] = {}
    names = [_normalise(h) for h in header]
    used: set[int] = set()
    for wanted, aliases in aliases_of.items():
        for alias in aliases:
            if alias in names and wanted not in index:
                index[wanted] = names.index(alias)
                parsed.columns[wanted] = header[index[wanted]].strip()
                used.add(index[wanted])
    parsed.ignored = [h.strip() for i, h in enumerate(header) if i not in used and h.strip()]
    for wanted in required:
        if wanted not in index:
            log.add(
                1,
                wanted,
                "MISSING_COLUMN",
                f"no {wanted} column ({', '.join(aliases_of[wanted])})",
            )
    return index, parsed


def read(
    file: IO[bytes],
    log: ProblemLog,
    *,
    aliases: dict[str, tuple[str, ...]] = ALIASES,
    required: tuple[str, ...] = REQUIRED,
) -> Parsed:
    """The header mapping and every non-blank data row (blocking: run it in a thread).

    ``aliases`` maps each field to the header names it may have; ``required`` fields missing
    from the header are logged as MISSING_COLUMN (defaults: the official values' columns).
    """
    file.seek(0)
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        return _read(text, log, aliases, required)
    finally:
        text.detach()  # the caller owns (and closes) the file


def _read(
    text: io.TextIOWrapper,
    log: ProblemLog,
    aliases: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> Parsed:
    row_number = 0
    try:
        first = text.readline()
        if not first.strip():
            log.add(1, None, "INVALID_FILE", "the file is empty")
            return Parsed()
        delimiter = max(",;\t|", key=first.count)
        reader = csv.reader(itertools.chain([first], text), delimiter=delimiter)
        index, parsed = _map_header(next(reader), log, aliases, required)
        for row_number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(parsed.rows) >= MAX_ROWS:
                log.add(row_number, None, "TOO_MANY_ROWS", f"at most {MAX_ROWS} rows per file")
                break
            values = {k: cells[i].strip() if i < len(cells) else "" for k, i in index.items()}
            parsed.rows.append((row_number, values))
    except (UnicodeDecodeError, csv.Error) as exc:
        log.add(row_number + 1, None, "INVALID_FILE", f"not a UTF-8 CSV file ({exc})")
        return Parsed()
    return parsed


@dataclass(frozen=True, slots=True)
class Lookups:
    indicators: dict[str, int]  # global indicator code -> id
    targets: set[str]
    areas: dict[str, str]  # area code -> country code
    allowed_countries: frozenset[str] | None  # None: any


def check_row(
    row: int, cells: dict[str, str], lookups: Lookups, columns: dict[str, str], log: ProblemLog
) -> dict[str, Any] | None:
    """The row as column values for ``official_values``, or None after logging its problems."""
    before = log.count
    record: dict[str, Any] = {}
    for name in REQUIRED:
        if not cells.get(name):
            log.add(row, columns.get(name), "REQUIRED", f"{name} is empty")
    code = cells.get("indicator", "")
    if code:
        if code in lookups.indicators:
            record["indicator_id"] = lookups.indicators[code]
        elif code.lower() in lookups.targets:
            record["target_code"] = code.lower()
        else:
            log.add(
                row,
                columns["indicator"],
                "UNKNOWN_INDICATOR",
                f"{code!r} is neither an SDG indicator nor an SDG target code",
            )
    area = cells.get("area", "").upper()
    if area:
        country = lookups.areas.get(area)
        if country is None:
            log.add(row, columns["area"], "UNKNOWN_AREA", f"unknown area code {area!r}")
        elif lookups.allowed_countries is not None and country not in lookups.allowed_countries:
            log.add(
                row,
                columns["area"],
                "AREA_NOT_ALLOWED",
                f"{area} is outside the countries of your coalitions",
            )
        record["area_code"] = area
    _period(row, cells.get("period", ""), columns, record, log)
    _value(row, cells.get("value", ""), columns, record, log)
    for name, limit in UPLOAD_WIDTHS.items():
        value = cells.get(name, "")
        if name == "unit":
            value = canonical_unit(value)  # as observations store theirs (models.units)
        if len(value) > limit:
            log.add(row, columns[name], "TOO_LONG", f"at most {limit} characters")
        record[UPLOADED[name]] = value if name == "unit" else (value or TOTAL)
    record["note"] = cells.get("note", "")
    return record if log.count == before else None


def _period(
    row: int, period: str, columns: dict[str, str], record: dict[str, Any], log: ProblemLog
) -> None:
    if not period:
        return
    try:
        start, end = period_bounds(period)
    except InvalidInput:
        log.add(row, columns["period"], "INVALID_PERIOD", f"{period!r} is not an SDMX period")
        return
    record.update(period=period, period_start=start, period_end=end)


def _value(
    row: int, value: str, columns: dict[str, str], record: dict[str, Any], log: ProblemLog
) -> None:
    if not value:
        return
    number = parse_number(value)
    if number is None:
        log.add(row, columns["value"], "INVALID_VALUE", f"{value!r} is not a number")
        return
    record["value"] = number


def parse_number(value: str) -> float | None:
    """A finite number, with a decimal point or a single decimal comma; None otherwise."""
    try:
        number = float(
            value.replace(",", ".") if value.count(",") == 1 and "." not in value else value
        )
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def key_of(record: dict[str, Any]) -> tuple[Any, ...]:
    """The uniqueness key of a record within one source."""
    return (
        record.get("indicator_id"),
        record.get("target_code"),
        record["area_code"],
        record["period"],
        record["sex"],
        record["age"],
        record["disability_status"],
        record["urbanisation"],
        record["group_code"],
    )
