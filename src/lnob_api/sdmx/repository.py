"""SQL of the SDMX endpoints: dataflows (coalitions), code lists, and data rows.

Data rows start from ``export.repository.scoped`` (visibility and suppression in SQL). Code
lists that depend on the data (areas, units, codes of the disaggregations) list only what the
principal's readable observations use, so a code list reveals nothing about hidden data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import history, visibility
from lnob_api.auth.principal import Principal
from lnob_api.declare.entities import DATASET
from lnob_api.declare.observation import OBSERVATION
from lnob_api.export import repository as export_repo
from lnob_api.export.repository import Scoped as Scoped
from lnob_api.export.repository import copy_csv as copy_csv
from lnob_api.export.repository import fingerprint as fingerprint
from lnob_api.export.repository import in_coalition as in_coalition
from lnob_api.export.repository import known_area_codes as known_area_codes
from lnob_api.export.repository import known_indicator_codes as known_indicator_codes
from lnob_api.export.repository import scoped as scoped
from lnob_api.export.repository import settle as settle
from lnob_api.export.repository import stream_rows as stream_rows
from lnob_api.models.enums import PRE_RELEASE, DatasetStatus
from lnob_api.models.tables import (
    areas,
    coalitions,
    datasets,
    indicators,
    observations,
    sdg_targets,
)
from lnob_api.models.tables import marginalised_groups as groups
from lnob_api.observation import repository as observation_repo
from lnob_api.sdmx import model
from lnob_api.sync import repository as sync_repo

# SDMX data is the export's data in other formats: the SDMX modules reach the export's SQL
# (visible rows, code checks, COPY and cursor streams, the observation filter vocabulary)
# through the names above and this one, never export.repository itself (the layering contract
# in pyproject.toml keeps each domain's repository to that domain's service).
observation_filters = export_repo.observation_filters


def sdmx_indicator(code: ColumnElement[str]) -> ColumnElement[str]:
    """``model.indicator_id`` in SQL."""
    return sa.func.replace(code, ".", "_")


def sdmx_unit(unit: ColumnElement[str]) -> ColumnElement[str]:
    """A free-text unit as an SDMX identifier: upper case, other characters as ``_``."""
    cleaned = sa.func.regexp_replace(sa.func.upper(unit), "[^A-Z0-9_@$-]", "_", "g")
    return sa.case((unit == "", sa.literal(model.NOT_APPLICABLE)), else_=cleaned)


async def coalition_rows(conn: AsyncConnection) -> list[Any]:
    """Every coalition (public reference data): one dataflow each."""
    stmt = sa.select(
        coalitions.c.id, coalitions.c.code, coalitions.c.name, coalitions.c.description
    ).order_by(coalitions.c.code)
    return list((await conn.execute(stmt)).all())


async def indicator_rows(conn: AsyncConnection) -> list[Any]:
    """CL_INDICATOR: every indicator, and every SDG target (for target-level observations)."""
    both = sa.union_all(
        sa.select(indicators.c.code, indicators.c.title, indicators.c.sort_key),
        sa.select(sdg_targets.c.code, sdg_targets.c.title, sdg_targets.c.sort_key),
    ).subquery("codes")
    stmt = sa.select(both.c.code, both.c.title).order_by(both.c.sort_key)
    return list((await conn.execute(stmt)).all())


async def group_rows(conn: AsyncConnection) -> list[Any]:
    stmt = sa.select(groups.c.code, groups.c.name).order_by(groups.c.code)
    return list((await conn.execute(stmt)).all())


# Code lists filled from the data: the label of each grouping set and its expression.
USED = {
    "CL_AREA": observations.c.area_code,
    "CL_SEX": observations.c.sex,
    "CL_AGE": observations.c.age,
    "CL_DISABILITY_STATUS": observations.c.disability_status,
    "CL_URBANISATION": observations.c.urbanisation,
    "CL_GROUP": observations.c.group_code,
    "CL_UNIT": sdmx_unit(observations.c.unit),
}


async def used_codes(
    conn: AsyncConnection, principal: Principal, wanted: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Codes of the ``wanted`` data-filled code lists used by the principal's readable
    observations, in one scan (GROUPING SETS), each with a name (the unit's own text)."""
    wanted = [w for w in wanted if w in USED]
    found: dict[str, dict[str, str]] = {w: {} for w in wanted}
    if not wanted:
        return found
    labelled = [USED[w].label(w) for w in wanted]
    unit_name = sa.func.min(observations.c.unit).label("unit_name")
    stmt = (
        sa.select(*labelled, unit_name)
        .where(visibility.observation_visible(principal))
        .group_by(sa.func.grouping_sets(*(sa.tuple_(USED[w]) for w in wanted)))
    )
    for row in (await conn.execute(stmt)).mappings():
        for w in wanted:
            if row[w] is not None:
                found[w][row[w]] = row["unit_name"] if w == "CL_UNIT" else row[w]
    return found


async def area_rows(conn: AsyncConnection, codes: Sequence[str]) -> list[Any]:
    """The areas with ``codes`` and all their ancestors (so the hierarchy is complete)."""
    wanted = sa.or_(
        areas.c.code.in_(codes),
        areas.c.code.in_(
            sa.select(sa.func.unnest(areas.c.ancestors)).where(areas.c.code.in_(codes))
        ),
        areas.c.code.in_(sa.select(coalitions.c.code)),
    )
    stmt = (
        sa.select(areas.c.code, areas.c.name, areas.c.parent_code)
        .where(wanted)
        .order_by(sa.func.cardinality(areas.c.ancestors), areas.c.code)
    )
    return list((await conn.execute(stmt)).all())


async def names(
    conn: AsyncConnection, *, indicator_ids: Sequence[str], area_codes: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Names of INDICATOR and REF_AREA codes (for SDMX-JSON's structure block)."""
    found: dict[str, dict[str, str]] = {"INDICATOR": {}, "REF_AREA": {}}
    if indicator_ids:
        for table in (indicators, sdg_targets):
            ids = sdmx_indicator(table.c.code)
            stmt = sa.select(ids, table.c.title).where(ids.in_(indicator_ids))
            found["INDICATOR"] |= {row[0]: row[1] for row in await conn.execute(stmt)}
    if area_codes:
        stmt = sa.select(areas.c.code, areas.c.name).where(areas.c.code.in_(area_codes))
        found["REF_AREA"] = {row[0]: row[1] for row in await conn.execute(stmt)}
    return found


# --- data -----------------------------------------------------------------------------------


def _provenance(own: ColumnElement[Any], dataset: ColumnElement[Any]) -> ColumnElement[str]:
    """The observation's provenance value, else its dataset's, else _U (not recorded)."""
    return sa.func.coalesce(
        sa.cast(own, sa.String), sa.cast(dataset, sa.String), model.UNKNOWN, type_=sa.String
    )


def _observation_key(o: sa.FromClause, code: ColumnElement[str]) -> dict[str, ColumnElement[Any]]:
    """An observation's SDMX key (the dimensions and the period), labelled as in ``model``;
    ``code``: its indicator's (or target's) code."""
    declared = model.DIMENSIONS[1:]  # after INDICATOR: the observation's own (KEY_COLUMNS)
    return {
        "indicator": sdmx_indicator(code),
        **{d.column: o.c[model.KEY_COLUMNS[d.id]] for d in declared},
        "period": o.c.period,
    }


def _columns(s: export_repo.Scoped) -> dict[str, ColumnElement[Any]]:
    o, d = s.rows, s.dataset
    return {
        **_observation_key(o, s.code),
        "value": o.c.value,
        "unit": sdmx_unit(o.c.unit),
        "obs_status": o.c.obs_status,
        "conf_status": export_repo.conf_status(o),
        "producer_type": _provenance(o.c.producer_type, d.c.producer_type),
        "method": _provenance(o.c.method, d.c.method),
        "sampling": _provenance(o.c.sampling, d.c.sampling),
        "dataset": d.c.slug,
        # declared attributes (model.declared_attributes): the observation's, its dataset's
        **{f.name: o.c[f.name] for f in OBSERVATION.sdmx},
        **{f.name: d.c[f.name] for f in DATASET.sdmx},
    }


# --- includeHistory (SDMX-REST 2.x) ---------------------------------------------------------


class IncludeHistory(ColumnElement[bool]):
    """A WHERE clause that says "every version, each with its validity window" and compiles
    to TRUE (as ``history.AsOf`` does): the data selects of this module see it and read the
    versions' rows (``history_scoped``) instead of the current ones. ``at``: the instant the
    history runs up to (``asOf``), else now."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, at: datetime | None) -> None:
        self.at = at


@compiles(IncludeHistory)
def _compile_include_history(element: IncludeHistory, compiler: SQLCompiler, **kw: Any) -> str:
    return "true"


def history_in(where: Sequence[Any]) -> IncludeHistory | None:
    for clause in where:
        if isinstance(clause, IncludeHistory):
            return clause
    return None


_RELEASED = (DatasetStatus.PUBLISHED.value, DatasetStatus.RETRACTED.value)


def _effective(table: Any) -> ColumnElement[Any]:
    """When a version took effect for everyone: its publication, or its embargo's end."""
    return sa.func.greatest(table.c.published_at, table.c.release_at)


def version_windows(principal: Principal, at: datetime | None) -> sa.Subquery:
    """The versions whose data the principal may read today (today's rules: consent,
    retraction, embargo, grants, any version) that were their lineage's current published one
    for a while up to ``at`` (else now), each with its window: ``valid_from``, its
    publication, or its embargo's end (the owning coalition: its publication, as
    ``history.version_at`` counts it); ``valid_to``, when a later version of the lineage had
    been published and released (NULL: still current at ``at``). A version is what
    ``asOf=T`` returns exactly when ``valid_from <= T < valid_to``. Versions superseded
    before they took effect (an embargoed version corrected before its release) have no
    window and are left out."""
    d = datasets
    until: ColumnElement[Any] = sa.func.now() if at is None else sa.literal(at, sa.DateTime(True))
    insider = visibility._insider(principal)
    valid_from: ColumnElement[Any] = _effective(d)
    if insider:
        valid_from = sa.case((d.c.coalition_id.in_(insider), d.c.published_at), else_=valid_from)
    later = datasets.alias("successor")
    valid_to = (
        sa.select(sa.func.min(_effective(later)))
        .where(
            later.c.lineage_id == d.c.lineage_id,
            later.c.version > d.c.version,
            later.c.status.in_(_RELEASED),
            later.c.published_at.is_not(None),
            _effective(later) <= until,
        )
        .scalar_subquery()
    )
    windows = (
        sa.select(
            d.c.id.label("id"),
            valid_from.label("valid_from"),
            valid_to.label("valid_to"),
        )
        .where(
            visibility.dataset_data_visible(principal, current_only=False),
            d.c.status.in_(_RELEASED),
            d.c.published_at.is_not(None),
        )
        .subquery("windows")
    )
    return (
        sa.select(windows)
        .where(
            windows.c.valid_from <= until,
            sa.or_(windows.c.valid_to.is_(None), windows.c.valid_from < windows.c.valid_to),
        )
        .subquery("history")
    )


@dataclass(frozen=True, slots=True)
class HistoryScoped:
    scoped: export_repo.Scoped
    windows: sa.Subquery


def history_scoped(
    principal: Principal, where: Sequence[ColumnElement[bool]], at: datetime | None
) -> HistoryScoped:
    """The readable observations of every version with a window (``version_windows``)
    matching ``where``, joined to their dataset, indicator and window."""
    windows = version_windows(principal, at)
    any_version = observation_repo.OBSERVATIONS_ANY_VERSION.scoped(principal)
    rows = any_version.where(
        observations.c.dataset_id.in_(sa.select(windows.c.id)), *where
    ).subquery("o")
    return HistoryScoped(export_repo.joined(rows, windows), windows)


def _scoped(
    principal: Principal, where: Sequence[ColumnElement[bool]]
) -> tuple[export_repo.Scoped, dict[str, ColumnElement[Any]], list[ColumnElement[Any]]]:
    """The rows a data select reads: today's (or as of an instant), or with
    ``IncludeHistory`` every version's; the extra columns (the version's data set and its
    window) and the leading sort keys (each version's rows contiguous, oldest first)."""
    wanted = history_in(where)
    if wanted is None:
        return export_repo.scoped(principal, where), {}, []
    found = history_scoped(principal, where, wanted.at)
    s, w = found.scoped, found.windows
    extra: dict[str, ColumnElement[Any]] = {
        "data_set": s.dataset.c.id,
        "valid_from": w.c.valid_from,
        "valid_to": w.c.valid_to,
    }
    return s, extra, [s.dataset.c.lineage_id, w.c.valid_from, s.dataset.c.id]


def data_select(
    principal: Principal,
    where: Sequence[ColumnElement[bool]],
    dimension_at_observation: str = model.TIME_DIMENSION,
) -> sa.Select[Any]:
    """Observation rows grouped by dataset, then by series key (each series contiguous), then
    ordered by the observation dimensions (the period, by default)."""
    s, extra, versions = _scoped(principal, where)
    columns = _columns(s) | extra
    o = s.rows
    order = [s.dataset.c.slug, *versions, *_order(o, s.code, dimension_at_observation), o.c.id]
    return (
        sa.select(*(c.label(n) for n, c in columns.items())).select_from(s.source).order_by(*order)
    )


def _order(
    rows: Any, code: ColumnElement[Any], dimension_at_observation: str
) -> list[ColumnElement[Any]]:
    """Sort keys of the series dimensions, then of the observation dimensions."""
    series, at_observation = model.layout(dimension_at_observation)
    found: list[ColumnElement[Any]] = []
    for component in (*series, *at_observation):
        if component.id == "INDICATOR":
            found.append(code)
        elif component is model.TIME:
            found += [rows.c.period_start, rows.c.period_end, rows.c.period]
        else:
            found.append(rows.c[model.KEY_COLUMNS[component.id]])
    return found


def csv_select(
    principal: Principal,
    where: Sequence[ColumnElement[bool]],
    *,
    flow: str,
    version: int,
    attributes: bool,
) -> sa.Select[Any]:
    """SDMX-CSV rows (1.0: DATAFLOW first; 2.0: STRUCTURE, STRUCTURE_ID, ACTION), labelled
    with the header's column names, in the observation order."""
    s, extra, versions = _scoped(principal, where)
    columns = _columns(s)
    lead: list[ColumnElement[Any]]
    if version == 1:
        lead = [sa.literal(model.flow_ref(flow)).label("DATAFLOW")]
    else:
        lead = [
            sa.literal("dataflow").label("STRUCTURE"),
            sa.literal(model.flow_ref(flow)).label("STRUCTURE_ID"),
            sa.literal("I").label("ACTION"),
        ]
    cell = export_repo.csv_cell  # text escaped against spreadsheet formulas, as in the export
    body = [cell(columns[d.column]).label(d.id) for d in (*model.DIMENSIONS, model.TIME)]
    body.append(columns["value"].label(model.MEASURE))
    if attributes:
        body.extend(cell(columns[a.column]).label(a.id) for a in model.ATTRIBUTES)
    if extra:  # custom columns (SDMX-CSV 2.0 allows them): each version's validity window
        body.append(export_repo.iso_utc(extra["valid_from"]).label(model.VALID_FROM))
        body.append(export_repo.iso_utc(extra["valid_to"]).label(model.VALID_TO))
    return sa.select(*lead, *body).select_from(s.source).order_by(*versions, s.rows.c.id)


def exact_areas(codes: Sequence[str]) -> ColumnElement[bool]:
    """REF_AREA in a key selects those areas exactly (not the areas below them)."""
    return observations.c.area_code.in_(list(codes))


# --- deletions (updatedAfter) ---------------------------------------------------------------


def deletions_select(
    principal: Principal,
    since: datetime,
    where: Sequence[ColumnElement[bool]],
    dimension_at_observation: str = model.TIME_DIMENSION,
) -> sa.Select[Any]:
    """Keys of the observations removed from the principal's view after ``since`` (SDMX 2.1:
    a data set with ``action="Delete"``), labelled as in ``data_select`` and in its order.

    They come from the tombstones (``sync.repository.removed_observations_source``): only for
    data the principal could read when it was removed, so a hidden row never appears. The
    removed row is joined back for its key (series key, period and dataset slug) only, never
    for its value or attributes. ``where`` are clauses over the observations table (the
    query's key and periods). A key that the dataset still holds a readable row for (a
    correction) is not a deletion. Rows of several versions at one key come out once."""
    tombstones = sync_repo.removed_observations_source(since).scoped(principal).subquery("gone")
    o, d = observations, datasets
    indicator, target = indicators.alias("i"), sdg_targets.alias("t")
    code = sa.func.coalesce(indicator.c.code, target.c.code)
    current = observations.alias("cur")
    current_dataset = datasets.alias("cur_d")
    same_key = [current.c[c].is_not_distinct_from(o.c[c]) for c in _KEY_COLUMNS]
    still_held = sa.exists(
        sa.select(sa.literal(1))
        .select_from(current.join(current_dataset, current_dataset.c.id == current.c.dataset_id))
        .where(
            visibility.observation_visible(principal, cast(sa.Table, current)),
            current_dataset.c.slug == d.c.slug,
            *same_key,
        )
    )
    columns = {"dataset": d.c.slug, **_observation_key(o, code)}
    grouped = list(columns.values())
    # grouped: the period's sort keys come as aggregates
    order = [
        sa.func.min(c) if c is o.c.period_start else sa.func.max(c) if c is o.c.period_end else c
        for c in _order(o, columns["indicator"], dimension_at_observation)
    ]
    return (
        sa.select(
            *(c.label(n) for n, c in columns.items()),
            sa.func.max(tombstones.c.removed_at).label("removed_at"),
        )
        .select_from(
            tombstones.join(o, o.c.id == tombstones.c.id)
            .join(d, d.c.id == o.c.dataset_id)
            .outerjoin(indicator, indicator.c.id == o.c.indicator_id)
            .outerjoin(target, target.c.code == o.c.target_code)
        )
        .where(*where, ~still_held)
        .group_by(*grouped)
        .order_by(d.c.slug, *order)
    )


_KEY_COLUMNS = (
    "indicator_id",
    "target_code",
    "area_code",
    "sex",
    "age",
    "disability_status",
    "urbanisation",
    "group_code",
    "period",
)


async def deletions_summary(
    conn: AsyncConnection,
    principal: Principal,
    since: datetime,
    where: Sequence[ColumnElement[bool]],
) -> tuple[int, datetime | None]:
    """How many deletions a query owes, and when the latest happened (for the validators)."""
    found = deletions_select(principal, since, where).order_by(None).subquery("deleted")
    stmt = sa.select(sa.func.count(), sa.func.max(found.c.removed_at))
    count, latest = (await conn.execute(stmt)).one()
    return int(count), latest


def csv_deletions(deleted: sa.Select[Any], *, flow: str, attributes: bool) -> sa.Select[Any]:
    """SDMX-CSV 2.0 rows of ``deletions_select``: ACTION D, the key, no value; of the
    attributes only DATASET (which says whose observation it was)."""
    gone = deleted.subquery("deleted")
    cell = export_repo.csv_cell
    body = [
        sa.literal("dataflow").label("STRUCTURE"),
        sa.literal(model.flow_ref(flow)).label("STRUCTURE_ID"),
        sa.literal("D").label("ACTION"),
        *(cell(gone.c[d.column]).label(d.id) for d in (*model.DIMENSIONS, model.TIME)),
        sa.null().label(model.MEASURE),
    ]
    if attributes:
        for a in model.ATTRIBUTES:
            value = cell(gone.c.dataset) if a is model.DATASET else sa.null()
            body.append(value.label(a.id))
    return sa.select(*body).select_from(gone)


async def dataset_lineage(
    conn: AsyncConnection, principal: Principal, coalition_id: int, key: int | str
) -> int | None:
    """The lineage of the dataset named by ``key`` (a slug, or the primary key of any of its
    versions) among the coalition's datasets whose metadata the principal sees."""
    named = datasets.c.id == key if isinstance(key, int) else datasets.c.slug == key
    stmt = (
        sa.select(datasets.c.lineage_id)
        .where(
            named, datasets.c.coalition_id == coalition_id, visibility.dataset_visible(principal)
        )
        .limit(1)
    )
    found = (await conn.execute(stmt)).scalar_one_or_none()
    return int(found) if found is not None else None


def released_of_lineage(lineage_id: int) -> sa.Select[Any]:
    """Ids of a lineage's released versions: the caller's readable rows among them are those of
    the current published version (data paths read current versions only); removals of any."""
    return sa.select(datasets.c.id).where(
        datasets.c.lineage_id == lineage_id,
        datasets.c.status.not_in([s.value for s in PRE_RELEASE]),
    )


def of_lineage(lineage_id: int) -> ColumnElement[bool]:
    return observations.c.dataset_id.in_(released_of_lineage(lineage_id))


def first_last(
    principal: Principal,
    where: Sequence[ColumnElement[bool]],
    *,
    first: int | None,
    last: int | None,
) -> ColumnElement[bool]:
    """The first ``first`` and the last ``last`` readable observations (by period) of each
    series matching ``where``; a series is one dataset's observations of one key."""
    o = observations
    partition = [o.c.dataset_id, *(o.c[c] for c in _KEY_COLUMNS if c != "period")]
    columns: list[Any] = [o.c.id]
    kept = []
    if first is not None:
        rank = sa.func.row_number().over(
            partition_by=partition, order_by=(o.c.period_start, o.c.period_end, o.c.id)
        )
        columns.append(rank.label("first_rank"))
    if last is not None:
        rank = sa.func.row_number().over(
            partition_by=partition,
            order_by=(o.c.period_start.desc(), o.c.period_end.desc(), o.c.id.desc()),
        )
        columns.append(rank.label("last_rank"))
    at = history.as_of_in(where)  # as of an instant: ranked among that instant's rows
    wanted = history_in(where)  # with history: among each version's own rows
    readable = (
        o.c.dataset_id.in_(sa.select(version_windows(principal, wanted.at).c.id))
        if wanted is not None
        else visibility.observation_visible(principal)
        if at is None
        else history.observation_visible_at(principal, at)
    )
    ranked = sa.select(*columns).where(readable, *where)
    sub = ranked.subquery("ranked")
    if first is not None:
        kept.append(sub.c.first_rank <= first)
    if last is not None:
        kept.append(sub.c.last_rank <= last)
    return o.c.id.in_(sa.select(sub.c.id).where(sa.or_(*kept)))


async def history_summary(
    conn: AsyncConnection, principal: Principal, where: Sequence[ColumnElement[bool]]
) -> tuple[int, list[tuple[int, datetime, datetime | None]]]:
    """With ``IncludeHistory`` among ``where``: how many observations the versions hold, and
    the data sets (version id and window) they fall in, for the row count and entity tag."""
    wanted = history_in(where)
    assert wanted is not None
    found = history_scoped(principal, where, wanted.at)
    w = found.windows
    stmt = (
        sa.select(w.c.id, w.c.valid_from, w.c.valid_to, sa.func.count())
        .select_from(found.scoped.rows.join(w, w.c.id == found.scoped.rows.c.dataset_id))
        .group_by(w.c.id, w.c.valid_from, w.c.valid_to)
        .order_by(w.c.id)
    )
    rows = (await conn.execute(stmt)).all()
    return sum(int(r[3]) for r in rows), [(int(r[0]), r[1], r[2]) for r in rows]
