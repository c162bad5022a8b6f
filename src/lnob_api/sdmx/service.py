"""Use cases of the SDMX endpoints: which structures a query names, and a data query's rows.

Dataflows: one per coalition, all over DSD_LNOB; coalitions are public, so every principal
sees every dataflow, and a dataflow's data holds only what the principal may read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.auth.principal import Principal
from lnob_api.errors import InvalidInput, NotFound
from lnob_api.export.filters import dataset_key
from lnob_api.export.service import Resolved
from lnob_api.models.tables import datasets
from lnob_api.sdmx import categories, model, repository
from lnob_api.sdmx.data_generic import generic
from lnob_api.sdmx.data_json import json_data
from lnob_api.sdmx.data_xml import Contents, structure_specific
from lnob_api.sdmx.labels import labelled_csv
from lnob_api.sdmx.negotiation import Format
from lnob_api.sdmx.query import WILDCARDS, DataParams, FlowRef, ours
from lnob_api.sdmx.structure import CODELIST_NAMES, Codelist, Dataflow, Structures

CODELISTS = tuple(CODELIST_NAMES)
_CHILDREN = ("children", "descendants", "all")


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    coalition_id: int
    name: str
    description: str


async def flows(conn: AsyncConnection) -> list[Flow]:
    return [
        Flow(model.flow_id(row.code), row.id, f"{row.name}: community-driven data", row.description)
        for row in await repository.coalition_rows(conn)
    ]


async def find_flow(conn: AsyncConnection, ref: FlowRef) -> Flow:
    if ours(ref.agency, ref.version):
        for flow in await flows(conn):
            if flow.id == ref.id:
                return flow
    raise NotFound(f"unknown dataflow {ref}")


# --- structures -----------------------------------------------------------------------------


async def structures(
    conn: AsyncConnection,
    principal: Principal,
    *,
    resource: str,
    agency: str,
    id: str,
    version: str,
    references: str,
) -> Structures:
    """The artefacts a structure query names, with those its ``references`` bring along."""
    missing = NotFound(f"no {resource} {agency}:{id}({version})")
    if not ours(agency, version):
        raise missing
    every = id in WILDCARDS
    found = Structures()
    codelists: tuple[str, ...] = ()
    if resource == "dataflow":
        chosen = [f for f in await flows(conn) if every or f.id == id]
        if not chosen:
            raise missing
        found.dataflows = [Dataflow(f.id, f.name, f.description) for f in chosen]
        found.datastructure = references in (*_CHILDREN, "datastructure")
        if references in ("descendants", "all", "codelist"):
            codelists = CODELISTS
        found.concepts = references in ("descendants", "all", "conceptscheme")
        if references in ("parents", "parentsandsiblings", "all", "categorisation"):
            ids = {f.id for f in chosen}
            listed = await categories.categorisations(conn, principal)
            found.categorisations = [c for c in listed if c.flow in ids]
        if references in ("parentsandsiblings", "all", "categoryscheme"):
            found.categories = await categories.goals(conn)
    elif resource == "datastructure":
        if not (every or id == model.DSD_ID):
            raise missing
        found.datastructure = True
        if references in (*_CHILDREN, "codelist"):
            codelists = CODELISTS
        found.concepts = references in (*_CHILDREN, "conceptscheme")
        if references in ("parents", "parentsandsiblings", "all", "dataflow"):
            found.dataflows = [Dataflow(f.id, f.name, f.description) for f in await flows(conn)]
    elif resource == "codelist":
        if not (every or id in CODELISTS):
            raise missing
        codelists = CODELISTS if every or references == "parentsandsiblings" else (id,)
        found.datastructure = references in ("parents", "parentsandsiblings", "all")
        found.concepts = references == "parentsandsiblings"
    elif resource == "categoryscheme":
        if not (every or id == categories.SCHEME_ID):
            raise missing
        found.categories = await categories.goals(conn)
        if references in ("parents", "parentsandsiblings", "all", "categorisation", "dataflow"):
            found.categorisations = await categories.categorisations(conn, principal)
            if references in ("parentsandsiblings", "all", "dataflow"):
                named = {c.flow for c in found.categorisations}
                found.dataflows = [_dataflow(f) for f in await flows(conn) if f.id in named]
            if references == "dataflow":
                found.categorisations = []
    elif resource == "categorisation":
        listed = await categories.categorisations(conn, principal)
        found.categorisations = [c for c in listed if every or c.id == id]
        if not found.categorisations:
            raise missing
        if references in (*_CHILDREN, "dataflow"):
            named = {c.flow for c in found.categorisations}
            found.dataflows = [_dataflow(f) for f in await flows(conn) if f.id in named]
        if references in (*_CHILDREN, "categoryscheme"):
            found.categories = await categories.goals(conn)
    elif resource == "conceptscheme":
        if not (every or id == model.CONCEPT_SCHEME_ID):
            raise missing
        found.concepts = True
        found.datastructure = references in ("parents", "parentsandsiblings", "all")
    else:
        raise missing
    found.codelists = await build_codelists(conn, principal, codelists)
    return found


async def data_changed(conn: AsyncConnection, principal: Principal) -> datetime | None:
    """The latest change of the data the principal reads (what data-filled code lists list)."""
    return (await repository.fingerprint(conn, principal, [])).last_modified


def _dataflow(flow: Flow) -> Dataflow:
    return Dataflow(flow.id, flow.name, flow.description)


async def build_codelists(
    conn: AsyncConnection, principal: Principal, ids: tuple[str, ...]
) -> list[Codelist]:
    """The code lists ``ids``; those filled from data list the principal's readable data."""
    used = await repository.used_codes(conn, principal, ids)
    lists: list[Codelist] = []
    for cl in ids:
        codes: list[model.Item]
        if cl == "CL_INDICATOR":
            codes = [
                model.Item(model.indicator_id(r.code), f"{r.code} {r.title}")
                for r in await repository.indicator_rows(conn)
            ]
        elif cl == "CL_AREA":
            rows = await repository.area_rows(conn, sorted(used.get(cl, {})))
            codes = [model.Item(r.code, r.name, r.parent_code) for r in rows]
        elif cl == "CL_OBS_STATUS":
            codes = [model.Item(k, v) for k, v in model.OBS_STATUS_NAMES.items()]
        elif cl == "CL_CONF_STATUS":
            codes = [model.Item(k, v) for k, v in model.CONF_STATUS_NAMES.items()]
        elif cl in model.PROVENANCE_NAMES:
            codes = [model.Item(k, v) for k, v in model.PROVENANCE_NAMES[cl].items()]
        else:
            named = dict(model.BASE_NAMES.get(cl, {}))
            if cl == "CL_GROUP":
                named.update({r.code: r.name for r in await repository.group_rows(conn)})
            for code, name in sorted(used.get(cl, {}).items()):
                named.setdefault(code, model.age_name(code) if cl == "CL_AGE" else name)
            codes = [model.Item(k, v) for k, v in named.items()]
        lists.append(Codelist(cl, CODELIST_NAMES[cl], codes))
    return lists


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataQuery:
    """A checked data query: the current rows' clauses and, with ``updatedAfter``, the clauses
    for the deletions it owes (the same key and periods, without the update time)."""

    resolved: Resolved
    since: datetime | None
    removal_where: list[ColumnElement[bool]]


async def resolve_data(
    conn: AsyncConnection,
    principal: Principal,
    flow: Flow,
    key: list[tuple[str, ...] | None],
    params: DataParams,
    extra: Sequence[ColumnElement[bool]] = (),
) -> DataQuery:
    """WHERE clauses of a data query (``extra``: more clauses over observations, such as the
    filters of an SDMX 3.0 query); an unknown indicator, area or dataset is NotFound."""
    where: list[ColumnElement[bool]] = [repository.in_coalition(flow.coalition_id), *extra]
    dataset_where: list[ColumnElement[bool]] = [datasets.c.coalition_id == flow.coalition_id]
    indicator_codes = None
    if key[0] is not None:
        indicator_codes = [model.indicator_code(c) for c in key[0]]
        known = await repository.known_indicator_codes(conn, indicator_codes)
        for sdmx_id, code in zip(key[0], indicator_codes, strict=True):
            if code not in known:
                raise NotFound(f"unknown code {sdmx_id} for INDICATOR")
    if key[1] is not None:
        known = await repository.known_area_codes(conn, key[1])
        for code in key[1]:
            if code not in known:
                raise NotFound(f"unknown code {code} for REF_AREA")
        where.append(repository.exact_areas(key[1]))
    if params.dataset is not None:
        lineage = await repository.dataset_lineage(
            conn, principal, flow.coalition_id, dataset_key(params.dataset)
        )
        if lineage is None:
            raise NotFound(f"unknown dataset {params.dataset}")
        where.append(repository.of_lineage(lineage))
        dataset_where.append(datasets.c.lineage_id == lineage)

    def codes(position: int) -> list[str] | None:
        found = key[position]
        return list(found) if found is not None else None

    selected = repository.observation_filters(
        indicator_codes=indicator_codes,
        period_from=params.start_period,
        period_to=params.end_period,
        **{name: codes(position) for name, position in model.KEY_FILTERS.items()},
    )
    updated = repository.observation_filters(updated_since=params.updated_after)
    current = [*where, *selected, *updated]
    if params.first_n is not None or params.last_n is not None:
        # counted among the rows that match everything else
        current.append(
            repository.first_last(principal, current, first=params.first_n, last=params.last_n)
        )
    resolved = Resolved(current, dataset_where)
    return DataQuery(resolved, params.updated_after, [*where, *selected])


async def deletions(
    conn: AsyncConnection, principal: Principal, data: DataQuery
) -> tuple[int, datetime | None]:
    """How many deletions the query owes (none without ``updatedAfter``), and the latest."""
    if data.since is None:
        return 0, None
    return await repository.deletions_summary(conn, principal, data.since, data.removal_where)


async def history(
    conn: AsyncConnection, principal: Principal, data: DataQuery
) -> tuple[int, str] | None:
    """With ``includeHistory=true``: the observations of every version the message holds, and
    what its entity tag must say of them (each version and its window); None otherwise."""
    if repository.history_in(data.resolved.where) is None:
        return None
    rows, windows = await repository.history_summary(conn, principal, data.resolved.where)
    return rows, ";".join(f"{i}:{start.isoformat()}:{end}" for i, start, end in windows)


def data_stream(
    conn: AsyncConnection,
    principal: Principal,
    data: DataQuery,
    *,
    flow: Flow,
    format: Format,
    params: DataParams,
    deleted: int = 0,
) -> AsyncIterator[bytes]:
    """The data message in ``format``, as it is read from the database: the data sets of
    deletions (when ``deleted``) first, then those of the current rows."""
    resolved = data.resolved
    gone = None
    if deleted and data.since is not None:
        gone = repository.deletions_select(
            principal, data.since, data.removal_where, params.dimension_at_observation
        )
    if format in (Format.CSV, Format.CSV2):
        if not params.observations:
            raise InvalidInput(
                "detail", f"{params.detail} is available in SDMX-ML and SDMX-JSON only"
            )
        version = 1 if format is Format.CSV else 2
        stmt = repository.csv_select(
            principal, resolved.where, flow=flow.id, version=version, attributes=params.attributes
        )
        statements = [stmt]
        if gone is not None:
            removed = repository.csv_deletions(gone, flow=flow.id, attributes=params.attributes)
            statements.insert(0, removed)
        if params.labels == "both":
            return labelled_csv(conn, statements)
        if len(statements) == 1:
            return repository.copy_csv(conn, stmt)
        return _chained(conn, *statements)
    if params.labels != "id":
        raise InvalidInput("labels", "labels=both is for SDMX-CSV; SDMX-JSON names every code")
    current = repository.data_select(principal, resolved.where, params.dimension_at_observation)
    rows = repository.stream_rows(conn, current)
    contents = Contents(
        deleted=repository.stream_rows(conn, gone) if gone is not None else None,
        dimension_at_observation=params.dimension_at_observation,
        attributes=params.attributes,
        observations=params.observations,
    )
    if format in (Format.JSON, Format.JSON_20):

        async def labels(wanted: dict[str, list[str]]) -> dict[str, dict[str, str]]:
            return await repository.names(
                conn, indicator_ids=wanted["INDICATOR"], area_codes=wanted["REF_AREA"]
            )

        json_version = "2.0" if format is Format.JSON_20 else "1.0"
        return json_data(rows, contents, labels=labels, version=json_version)
    if format is Format.GENERIC:
        return generic(rows, contents)
    ml_version = "3.0" if format is Format.STRUCTURE_SPECIFIC_30 else "2.1"
    return structure_specific(rows, contents, version=ml_version)


async def _chained(
    conn: AsyncConnection, first: sa.Select[Any], second: sa.Select[Any]
) -> AsyncIterator[bytes]:
    """Two COPY streams as one CSV: the first with its header row, the second without."""
    async for chunk in repository.copy_csv(conn, first):
        yield chunk
    await repository.settle(conn)
    async for chunk in repository.copy_csv(conn, second, header=False):
        yield chunk
