"""``availableconstraint``: which codes of each dimension the caller's readable data use.

    /sdmx/availableconstraint/{flow}[/{key}[/{providerRef}[/{componentID}]]]?mode=exact|available

The answer is a structure message holding one ContentConstraint of type Actual attached to the
dataflow, with a cube region listing, per dimension, the codes present and, for TIME_PERIOD, the
time range covered. As the .Stat Suite does, the number of observations matching the query is
the annotation ``obs_count`` (type ``sdmx_metrics``); the Data Explorer builds its filters from
it. ``mode=exact`` (the default) lists the codes of the observations matching the whole key;
``mode=available`` lists for each dimension the codes that can still be chosen given the
selection on the other dimensions (its own selection left out). Every count and code comes from
the rows the caller can read (``export.repository.scoped``), so hidden data leaves no trace.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.auth.principal import Principal
from lnob_api.errors import NotFound
from lnob_api.sdmx import model, repository, service
from lnob_api.sdmx.query import WILDCARDS, AvailabilityParams, DataParams, ours
from lnob_api.sdmx.structure import Availability, Codelist, Dataflow, Structures

COMPONENTS = (*(d.id for d in model.DIMENSIONS), model.TIME_DIMENSION)


def _column(s: repository.Scoped, component: model.Component) -> ColumnElement[Any]:
    if component.id == "INDICATOR":
        return repository.sdmx_indicator(s.code)
    return s.rows.c[model.KEY_COLUMNS[component.id]]


Filters = dict[str, list[ColumnElement[bool]]]


async def available(
    conn: AsyncConnection,
    principal: Principal,
    flow: service.Flow,
    key: list[tuple[str, ...] | None],
    params: AvailabilityParams,
    component: str | None,
    filters: Filters | None = None,
) -> Availability:
    """The availability of ``flow`` for the caller; NotFound when nothing matches.

    ``filters``: more conditions per component (the ``c[...]`` of SDMX 3.0), held like the
    key's: in ``available`` mode a dimension's own conditions are left out of its codes."""
    if component is not None and component not in COMPONENTS:
        raise NotFound(f"unknown component {component}; use one of {', '.join(COMPONENTS)}")
    filters = filters or {}

    def extra(leaving_out: str | None = None) -> list[ColumnElement[bool]]:
        return [c for id, found in filters.items() if id != leaving_out for c in found]

    exact = await service.resolve_data(conn, principal, flow, key, params.data, extra())
    wanted = [d for d in model.DIMENSIONS if component in (None, d.id)]
    # one scan for the count, the time range and the codes of every dimension whose own
    # selection does not matter (all of them in exact mode): GROUPING SETS
    shared = [
        d
        for position, d in enumerate(model.DIMENSIONS)
        if d in wanted
        and (params.mode == "exact" or (key[position] is None and d.id not in filters))
    ]
    count, first, last, values = await _cube(conn, principal, exact.resolved.where, shared)
    for position, dimension in enumerate(model.DIMENSIONS):
        if dimension not in wanted or dimension in shared:
            continue
        others = [None if i == position else k for i, k in enumerate(key)]
        where = await service.resolve_data(
            conn, principal, flow, others, params.data, extra(dimension.id)
        )
        values |= (await _cube(conn, principal, where.resolved.where, [dimension]))[3]
    values = {d.id: values.get(d.id, []) for d in wanted}
    if int(count) == 0 and not any(values.values()):
        raise NotFound("No results found")
    time = None
    if first is not None and last is not None and component in (None, model.TIME_DIMENSION):
        time = (first, last)
    return Availability(flow.id, values, time, int(count))


def whole(flow: service.Flow) -> tuple[list[tuple[str, ...] | None], AvailabilityParams]:
    """The key and parameters of a flow's whole availability (exact, no filter)."""
    params = AvailabilityParams(
        "exact", "none", DataParams(None, None, None, model.TIME_DIMENSION, "full", None, None)
    )
    return [None] * model.KEY_LENGTH, params


async def restrict_to_flows(
    conn: AsyncConnection, principal: Principal, found: Structures, flows: list[service.Flow]
) -> None:
    """``detail=referencepartial``: the code lists of the dimensions keep only the codes the
    caller's data of ``flows`` uses (``isPartial``); the others stay whole."""
    used: dict[str, set[str]] = {}
    for flow in flows:
        try:
            availability = await available(conn, principal, flow, *whole(flow), None)
        except NotFound:
            continue
        for dimension, codes in availability.values.items():
            used.setdefault(dimension, set()).update(codes)
    by_codelist = {d.codelist: used.get(d.id, set()) for d in model.DIMENSIONS}
    found.codelists = [
        Codelist(c.id, c.name, [code for code in c.codes if code.id in by_codelist[c.id]], True)
        if c.id in by_codelist
        else c
        for c in found.codelists
    ]


async def _cube(
    conn: AsyncConnection,
    principal: Principal,
    where: list[ColumnElement[bool]],
    dimensions: list[model.Component],
) -> tuple[int, date | None, date | None, dict[str, list[str]]]:
    """(count, first day, last day, codes per dimension) of the readable rows matching
    ``where``, in one statement."""
    s = repository.scoped(principal, where)
    columns = {d.id: _column(s, d) for d in dimensions}
    sets = [sa.tuple_(c) for c in columns.values()]
    stmt = (
        sa.select(
            *(c.label(k) for k, c in columns.items()),
            sa.func.count().label("n"),
            sa.func.min(s.rows.c.period_start).label("first"),
            sa.func.max(s.rows.c.period_end).label("last"),
            *(sa.func.grouping(c).label(f"g_{k}") for k, c in columns.items()),
        )
        .select_from(s.source)
        .group_by(sa.func.grouping_sets(*sets, sa.tuple_()))
    )
    values: dict[str, list[str]] = {k: [] for k in columns}
    count, first, last = 0, None, None
    for row in (await conn.execute(stmt)).mappings():
        aggregated = [k for k in columns if row[f"g_{k}"] == 0]
        if not aggregated:
            count, first, last = int(row["n"]), row["first"], row["last"]
        else:
            (k,) = aggregated
            values[k].append(str(row[k]))
    for codes in values.values():
        codes.sort()
    return count, first, last, values


async def referenced(
    conn: AsyncConnection, principal: Principal, flow: service.Flow, references: str
) -> Structures:
    """What ``references`` brings along with the constraint (no data provider scheme here)."""
    found = Structures()
    every = references == "all"
    if every or references == "dataflow":
        found.dataflows = [Dataflow(flow.id, flow.name, flow.description)]
    found.datastructure = every or references == "datastructure"
    found.concepts = every or references == "conceptscheme"
    if every or references == "codelist":
        found.codelists = await service.build_codelists(conn, principal, service.CODELISTS)
    return found


async def content_constraints(
    conn: AsyncConnection,
    principal: Principal,
    *,
    agency: str,
    id: str,
    version: str,
    references: str,
) -> Structures:
    """``/contentconstraint``: the Actual constraint (the whole availability) of every dataflow
    with data the caller reads, ``CC_<flow>``; a flow without such data has none."""
    missing = NotFound(f"no contentconstraint {agency}:{id}({version})")
    if not ours(agency, version):
        raise missing
    chosen = [f for f in await service.flows(conn) if id in WILDCARDS or id == f"CC_{f.id}"]
    found = Structures()
    for flow in chosen:
        try:
            availability = await available(conn, principal, flow, *whole(flow), None)
        except NotFound:
            continue
        found.constraints.append(availability)
        if references in ("children", "descendants", "all", "dataflow"):
            found.dataflows.append(Dataflow(flow.id, flow.name, flow.description))
    if not found.constraints:
        raise missing
    return found
