"""Which column of an uploaded file holds what: the column mapping for observation uploads.

One data row of the file is one observation. Each field below is found in the header row by
the mapping's column name when one is given, otherwise by its default names:

=================  ====================================================  ======================
field              default column names                                  when absent or empty
=================  ====================================================  ======================
indicator          indicator, indicator_code, sdg_indicator               ``indicatorCode``
area               area, area_code, area_name, location, geo_area         required
period             period, time_period, year                             required
value              value, obs_value                                      required column
unit               unit, unit_measure                                    ""
sampleSize         sample_size, sample, n                                none
obsStatus          obs_status, observation_status                        A (normal)
comment            comment, comments, note                               ""
sex                sex                                                   _T (total)
age                age, age_group                                        _T
disabilityStatus   disability_status, disability                         _T
urbanisation       urbanisation, urbanization, urban_rural                _T
group              group, group_code, marginalised_group                 _T
dimensions         none: list the columns that hold extra dimensions     not stored
=================  ====================================================  ======================

- The indicator is a global SDG code (``1.1.1``) or a custom indicator of the dataset's
  coalition (``KE-C-0001``). ``indicatorCode`` names one indicator for every row of a file that
  has no indicator column (a form about one indicator).
- The area cell holds an area code (``KE-30``) or an area *name* (``Nairobi``), matched
  case-insensitively against the areas of the coalition's country; a name shared by several
  areas is refused as ambiguous (use the code).
- Extra dimensions are stored in the observation's ``dimensions`` under the column's name in
  upper case (``education_lev`` -> ``EDUCATION_LEV``); an empty cell leaves that key out.
- ``sheet`` picks the XLSX worksheet (default: the first one).

Header names match case-insensitively, spaces count as underscores, and group prefixes are
stripped as KoboToolbox (``group_x/value``) and ODK Central (``group_x-value``) write them: a
header matches a name when its whole text or the part after any ``/`` or ``-`` does, and a
whole-header match wins. Export metadata columns are ignored: every column whose name starts
with ``_`` (Kobo's ``_id``, ``_uuid``, ``_submission_time``, ``_index``...), ``meta/...`` and
``meta-...`` (``meta/instanceID``), ODK Central's ``KEY``, ``PARENT_KEY``, ``SubmissionDate``,
``SubmitterID``, ``SubmitterName``, ``AttachmentsPresent``, ``AttachmentsExpected``, ``Status``,
``ReviewState``, ``DeviceID``, ``Edits``, ``FormVersion``, and the form's automatic ``start``,
``end``, ``today``, ``deviceid``, ``username``... Other unrecognised columns are ignored and
listed in the upload report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Logical fields, in the order problems about missing columns are reported.
FIELDS = (
    "indicator",
    "area",
    "period",
    "value",
    "unit",
    "sample_size",
    "obs_status",
    "comment",
    "sex",
    "age",
    "disability_status",
    "urbanisation",
    "group",
)

# Names as the GraphQL input and the CLI's JSON spell them (camelCase; snake_case accepted too).
PUBLIC_NAMES = {
    "indicator": "indicator",
    "area": "area",
    "period": "period",
    "value": "value",
    "unit": "unit",
    "sample_size": "sampleSize",
    "obs_status": "obsStatus",
    "comment": "comment",
    "sex": "sex",
    "age": "age",
    "disability_status": "disabilityStatus",
    "urbanisation": "urbanisation",
    "group": "group",
}

DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator", "indicator_code", "sdg_indicator"),
    "area": ("area", "area_code", "area_name", "location", "geo_area"),
    "period": ("period", "time_period", "year"),
    "value": ("value", "obs_value"),
    "unit": ("unit", "unit_measure"),
    "sample_size": ("sample_size", "sample", "n"),
    "obs_status": ("obs_status", "observation_status"),
    "comment": ("comment", "comments", "note"),
    "sex": ("sex",),
    "age": ("age", "age_group"),
    "disability_status": ("disability_status", "disability"),
    "urbanisation": ("urbanisation", "urbanization", "urban_rural"),
    "group": ("group", "group_code", "marginalised_group"),
}

# Columns every row needs (the indicator only when no default code is given).
REQUIRED = ("area", "period", "value")

# KoboToolbox and ODK Central export metadata, compared after normalising.
METADATA = frozenset(
    {
        "key",
        "parent_key",
        "submissiondate",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "status",
        "reviewstate",
        "deviceid",
        "edits",
        "formversion",
        "instanceid",
        "instancename",
        "start",
        "end",
        "today",
        "username",
        "simserial",
        "subscriberid",
        "phonenumber",
        "audit",
        "formhub/uuid",
    }
)

_SEPARATORS = re.compile(r"[/-]")
_DIMENSION_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
_BUILT_IN_KEYS = frozenset({"SEX", "AGE", "DISABILITY_STATUS", "URBANISATION", "GROUP"})


def normalise(name: str) -> str:
    """Header text as compared: trimmed, lower case, spaces as underscores."""
    return "_".join(name.strip().lower().split())


def _candidates(header: str) -> list[str]:
    """The whole header, then the parts after each group separator (``a/b-c`` -> ``b-c``, ``c``)."""
    name = normalise(header)
    found = [name]
    for match in _SEPARATORS.finditer(name):
        rest = name[match.end() :]
        if rest and rest not in found:
            found.append(rest)
    return found


def is_metadata(header: str) -> bool:
    """True for KoboToolbox and ODK Central export metadata columns."""
    name = normalise(header)
    if not name or name.startswith("_") or name.startswith(("meta/", "meta-")):
        return True
    return name in METADATA or name.rsplit("/", 1)[-1] in ("instanceid", "rootuuid")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """What the uploader said about the file's columns; anything left out uses the defaults."""

    columns: Mapping[str, str] = field(default_factory=dict)
    indicator_code: str | None = None
    dimensions: tuple[str, ...] = ()
    sheet: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMapping:
        """From the CLI's JSON: ``{"value": "Score", "dimensions": ["EDU"], ...}``.

        Raises ``ValueError`` naming the first unknown key or wrongly typed value.
        """
        by_name = {n: n for n in FIELDS} | {v: k for k, v in PUBLIC_NAMES.items()}
        columns: dict[str, str] = {}
        indicator_code = sheet = None
        dimensions: tuple[str, ...] = ()
        for key, value in data.items():
            if key in ("indicatorCode", "indicator_code"):
                indicator_code = _text(key, value)
            elif key == "sheet":
                sheet = _text(key, value)
            elif key == "dimensions":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError("dimensions: give a list of column names")
                dimensions = tuple(value)
            elif key in by_name:
                columns[by_name[key]] = _text(key, value)
            else:
                known = ", ".join([*PUBLIC_NAMES.values(), "indicatorCode", "dimensions", "sheet"])
                raise ValueError(f"unknown mapping key {key!r}; use {known}")
        return cls(columns, indicator_code, dimensions, sheet)


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key}: give a column name")
    return value.strip()


@dataclass(frozen=True, slots=True)
class MappingProblem:
    column: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ResolvedColumns:
    """Column positions for each field (None: not in the file) and the extra dimensions."""

    positions: dict[str, int | None]
    dimensions: tuple[tuple[str, int], ...]
    ignored: tuple[str, ...]
    problems: tuple[MappingProblem, ...]

    def header_of(self, header: Sequence[str], name: str) -> str:
        position = self.positions.get(name)
        return header[position] if position is not None else PUBLIC_NAMES.get(name, name)


def _find(header: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Positions of the columns matching the first of ``wanted`` (in order of preference) that
    matches at all: whole-header matches first, then prefix-stripped ones. More than one
    position means the file is ambiguous about that name."""
    whole = [normalise(h) for h in header]
    stripped = [[] if is_metadata(h) else _candidates(h)[1:] for h in header]
    names = [normalise(w) for w in wanted]
    for name in names:
        found = [i for i, h in enumerate(whole) if h == name]
        if found:
            return found
    for name in names:
        found = [i for i, parts in enumerate(stripped) if name in parts]
        if found:
            return found
    return []


def resolve(header: Sequence[str], mapping: ColumnMapping) -> ResolvedColumns:
    """Place every field of ``mapping`` in ``header`` (the file's first row)."""
    positions: dict[str, int | None] = {}
    problems: list[MappingProblem] = []
    for name in FIELDS:
        explicit = mapping.columns.get(name)
        found = _find(header, [explicit] if explicit else DEFAULT_NAMES[name])
        if explicit and not found:
            problems.append(
                MappingProblem(
                    explicit,
                    "MISSING_COLUMN",
                    f"the mapping names {explicit!r} for "
                    f"{PUBLIC_NAMES[name]}, but the file has no such column",
                )
            )
        if len(found) > 1:
            listed = ", ".join(repr(header[i]) for i in found)
            problems.append(
                MappingProblem(
                    header[found[0]],
                    "AMBIGUOUS_COLUMN",
                    f"several columns could hold {PUBLIC_NAMES[name]} ({listed}); "
                    "name one in the mapping",
                )
            )
        positions[name] = found[0] if found else None
    needed = [*REQUIRED, *(() if mapping.indicator_code else ("indicator",))]
    for name in needed:
        if positions[name] is None and name not in mapping.columns:
            defaults = ", ".join(DEFAULT_NAMES[name])
            problems.append(
                MappingProblem(
                    PUBLIC_NAMES[name],
                    "MISSING_COLUMN",
                    f"no {PUBLIC_NAMES[name]} column (looked for {defaults}); "
                    "name it in the mapping",
                )
            )
    dimensions = _dimensions(header, mapping.dimensions, problems)
    used = {p for p in positions.values() if p is not None} | {p for _, p in dimensions}
    ignored = tuple(
        h for i, h in enumerate(header) if i not in used and h.strip() and not is_metadata(h)
    )
    return ResolvedColumns(positions, dimensions, ignored, tuple(problems))


def _dimensions(
    header: Sequence[str], wanted: Sequence[str], problems: list[MappingProblem]
) -> tuple[tuple[str, int], ...]:
    found: list[tuple[str, int]] = []
    for column in wanted:
        positions = _find(header, [column])
        key = normalise(_candidates(column)[-1]).upper()
        if not positions:
            problems.append(
                MappingProblem(
                    column, "MISSING_COLUMN", f"no dimension column {column!r} in the file"
                )
            )
        elif not _DIMENSION_KEY.match(key) or key in _BUILT_IN_KEYS:
            problems.append(
                MappingProblem(
                    column,
                    "INVALID_COLUMN",
                    f"{column!r} cannot name an extra dimension: use letters, digits and "
                    "underscores, and map SEX, AGE, DISABILITY_STATUS, URBANISATION and GROUP "
                    "to their own fields",
                )
            )
        elif key not in {k for k, _ in found}:
            found.append((key, positions[0]))
    return tuple(found)
