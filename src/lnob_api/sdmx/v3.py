"""SDMX 3.0 REST (SDMX-REST 2.x) data queries under ``/sdmx/3.0``:

    /sdmx/3.0/data/dataflow/{agency}/{id}/{version}[/{key}]
        ?c[DIM]=[op:]value[,value...][+[op:]value...]   (op: eq ne lt le gt ge co nc sw ew)
        &updatedAfter=&firstNObservations=&lastNObservations=&dimensionAtObservation=
        &attributes=dsd|all|none|msd|dataset|series|obs&measures=all|none
        &asOf=<xs:dateTime>&includeHistory=true|false

The key is dot-separated with ``*`` for any code and ``,`` between alternatives. Filters of
the key and of ``c[...]`` all hold (AND); the values of one ``c[...]`` are alternatives (OR)
and its ``+``-joined parts all hold. Answers: SDMX-ML 3.0 structure-specific data (default),
SDMX-JSON 2.0 and SDMX-CSV 2.0, all with Delete data sets (ACTION D) after ``updatedAfter``,
as in 2.1. Rows, visibility and suppression are those of the 2.1 data queries.

``asOf`` (SDMX-REST 2.x: "the data as they were at the specified point in time") reads the
versions current at that instant under today's permissions and withdrawals
(``access.history``; docs/point-in-time.md): the instant travels with the query's clauses as
a ``history.AsOf`` clause. ``includeHistory=true`` (SDMX-REST 2.x: "previous versions of
the data, as they were disseminated in the past") returns every version the caller may read
today, one data set each, with its validity window (SDMX-ML 3.0 ``validFromDate`` /
``validToDate``, SDMX-JSON 2.0 ``validFrom`` / ``validTo``, SDMX-CSV 2.0 custom columns
``VALID_FROM`` / ``VALID_TO``); with ``asOf``, the history up to that instant; with
``updatedAfter`` it is refused (``repository.IncludeHistory``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import history
from lnob_api.errors import InvalidInput
from lnob_api.export.filters import Params, boolean, instant, single
from lnob_api.models.tables import indicators, observations
from lnob_api.observation.periods import period_bounds
from lnob_api.sdmx import model, query, repository
from lnob_api.sdmx.negotiation import NotAcceptable, _ranges

PARAMETERS = (
    "updatedAfter",
    "firstNObservations",
    "lastNObservations",
    "dimensionAtObservation",
    "attributes",
    "measures",
    "asOf",
    "includeHistory",
)
# Handled here, not by the 2.1 machinery.
_OWN = ("attributes", "measures", "asOf", "includeHistory")
OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "co", "nc", "sw", "ew")
ATTRIBUTES = ("dsd", "all", "none", "msd", "dataset", "series", "obs")
MEASURES = ("all", "none")
_FILTER = re.compile(r"^c\[([A-Za-z0-9_@$\-]+)\]$")

ML30 = "ml30"
CSV2 = "csv2"
JSON2 = "json2"
MEDIA_TYPES = {
    ML30: "application/vnd.sdmx.structurespecificdata+xml; version=3.0.0",
    JSON2: "application/vnd.sdmx.data+json; version=2.0.0",
    CSV2: "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8",
}
_ACCEPT: dict[str, dict[str | None, str]] = {
    "application/vnd.sdmx.structurespecificdata+xml": {None: ML30, "3.0.0": ML30, "3.0": ML30},
    "application/vnd.sdmx.data+csv": {None: CSV2, "2.0.0": CSV2, "2.0": CSV2},
    "application/vnd.sdmx.data+json": {None: JSON2, "2.0.0": JSON2, "2.0": JSON2},
    "application/json": {None: JSON2},
    "application/xml": {None: ML30},
    "text/xml": {None: ML30},
    "text/csv": {None: CSV2},
    "application/*": {None: ML30},
    "text/*": {None: CSV2},
    "*/*": {None: ML30},
}


def negotiate(accept: str | None) -> str:
    """SDMX-ML 3.0 structure-specific data unless SDMX-CSV 2.0 is preferred."""
    if not accept or not accept.strip():
        return ML30
    for item in _ranges(accept):
        versions = _ACCEPT.get(item.media)
        if item.q <= 0 or versions is None:
            continue
        versioned = item.version is not None and len(versions) > 1
        found = versions.get(item.version) if versioned else versions.get(None)
        if found is not None:
            return found
    raise NotAcceptable(list(MEDIA_TYPES.values()))


@dataclass(frozen=True, slots=True)
class Query:
    flow: query.FlowRef
    key: list[tuple[str, ...] | None]
    params: query.DataParams
    where: list[ColumnElement[bool]]


def data_query(path: dict[str, Any], params: Params) -> Query:
    """Check a 3.0 data query and translate it to the 2.1 machinery's terms."""
    if path["context"] not in ("dataflow", "*"):
        raise InvalidInput("context", f"{path['context']!r}: only dataflow data are offered")
    version = path["version"]
    version = {"*": "all", "~": "latest", "+": "latest"}.get(version, version)
    ref = query.FlowRef(path["agency"].replace("*", "all"), path["id"], version)
    key = query.key(_key(path.get("key")))
    where: list[ColumnElement[bool]] = []
    plain: dict[str, Sequence[str]] = {}
    for name, values in params.items():
        match = _FILTER.fullmatch(name)
        if match is None:
            if name not in PARAMETERS:
                raise InvalidInput(
                    name,
                    f"unknown parameter; use c[DIMENSION] or {', '.join(PARAMETERS)}",
                    code="UNKNOWN_PARAMETER",
                )
            plain[name] = values
            continue
        component = match[1]
        if component not in (*(d.id for d in model.DIMENSIONS), model.TIME_DIMENSION):
            raise InvalidInput(name, f"{component} is not a dimension of {model.DSD_ID}")
        for value in values:
            where.append(_filter(name, component, value))
    attributes = single(plain, "attributes") or "dsd"
    measures = single(plain, "measures") or "all"
    if attributes not in ATTRIBUTES:
        raise InvalidInput("attributes", f"{attributes!r} is not one of {', '.join(ATTRIBUTES)}")
    if measures not in MEASURES:
        raise InvalidInput("measures", f"{measures!r} is not one of {', '.join(MEASURES)}")
    detail = {
        (True, True): "full",
        (False, True): "dataonly",
        (True, False): "nodata",
        (False, False): "serieskeysonly",
    }[(attributes != "none", measures == "all")]
    v21 = {k: v for k, v in plain.items() if k not in _OWN}
    v21["detail"] = [detail]
    params_21 = query.data_params(v21)
    where.extend(_as_of(plain, params_21.updated_after))
    return Query(ref, key, params_21, where)


def _as_of(plain: Params, updated_after: Any) -> list[ColumnElement[bool]]:
    """The ``asOf`` clause (none without it) and, with ``includeHistory=true``, the
    ``repository.IncludeHistory`` one (every version up to the instant, or now)."""
    include_history = boolean(plain, "includeHistory")
    if include_history and updated_after is not None:
        # The changes after updatedAfter are today's rows and their deletions; a history is
        # every version with its window: one message cannot say both.
        raise InvalidInput(
            "includeHistory",
            "includeHistory=true cannot be combined with updatedAfter: "
            "read the history in full (each data set says when it was valid), "
            "or pull today's changes",
            code="INCOMPATIBLE",
        )
    given = instant(plain, "asOf")
    at = None if given is None else history.check_as_of(given)
    clauses: list[ColumnElement[bool]] = []
    if at is not None:
        if updated_after is not None:
            # SDMX-REST: an updatedAfter more recent than asOf is a validation error; the
            # deletions owed after updatedAfter are today's, not those of the instant, so
            # none are combined.
            later = " (and it is more recent than asOf)" if updated_after > at else ""
            raise InvalidInput(
                "asOf",
                f"asOf cannot be combined with updatedAfter{later}: "
                "read the instant in full, or pull today's changes",
                code="INCOMPATIBLE",
            )
        clauses.append(history.AsOf(at))
    if include_history:
        clauses.append(repository.IncludeHistory(at))
    return clauses


def _key(raw: str | None) -> str | None:
    if raw is None or raw.strip() in ("", "*"):
        return None
    return ".".join("" if part == "*" else part.replace(",", "+") for part in raw.split("."))


def _column(component: str) -> ColumnElement[Any]:
    if component == "INDICATOR":
        code = (
            sa.select(indicators.c.code)
            .where(indicators.c.id == observations.c.indicator_id)
            .scalar_subquery()
        )
        return sa.func.replace(sa.func.coalesce(code, observations.c.target_code), ".", "_")
    return observations.c[model.KEY_COLUMNS[component]]


def _filter(name: str, component: str, raw: str) -> ColumnElement[bool]:
    """One ``c[...]`` value: alternatives (``,``) of conjunctions (``+``) of conditions."""
    alternatives = []
    for alternative in raw.split(","):
        parts = [_condition(name, component, p) for p in alternative.split("+") if p]
        if not parts:
            raise InvalidInput(name, f"no value in {raw!r}")
        alternatives.append(sa.and_(*parts))
    return sa.or_(*alternatives)


def _condition(name: str, component: str, part: str) -> ColumnElement[bool]:
    op, sep, value = part.partition(":")
    if not sep:
        op, value = "eq", part
    if op not in OPERATORS:
        raise InvalidInput(name, f"{op!r} is not an operator; use {', '.join(OPERATORS)}")
    if not value:
        raise InvalidInput(name, f"no value after {op}:")
    if component == model.TIME_DIMENSION:
        return _period(name, op, value)
    column = _column(component)
    like = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if op == "eq":
        return column == value
    if op == "ne":
        return column != value
    if op == "lt":
        return column < value
    if op == "le":
        return column <= value
    if op == "gt":
        return column > value
    if op == "ge":
        return column >= value
    pattern = {"co": f"%{like}%", "nc": f"%{like}%", "sw": f"{like}%", "ew": f"%{like}"}[op]
    found = column.like(pattern, escape="\\")
    return ~found if op == "nc" else found


def _period(name: str, op: str, value: str) -> ColumnElement[bool]:
    """Periods compare by their dates: ge:2020 keeps what starts in 2020 or later, etc."""
    if op in ("co", "nc", "sw", "ew"):
        raise InvalidInput(name, f"{op} does not apply to {model.TIME_DIMENSION}")
    try:
        start, end = period_bounds(value)
    except InvalidInput:
        raise InvalidInput(name, f"{value!r} is not a valid period") from None
    o = observations.c
    if op == "eq":
        return o.period == value
    if op == "ne":
        return o.period != value
    if op == "ge":
        return o.period_start >= start
    if op == "gt":
        return o.period_start > end
    if op == "le":
        return o.period_end <= end
    return o.period_end < start
