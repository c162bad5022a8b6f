"""SQL for bulk reads: exports, their fingerprints for conditional requests, and series.

Every statement starts from the OBSERVATIONS source's scoped SELECT (``observation_visible``
and small-cell suppression in SQL), narrowed by ``observation.repository.filters``: a bulk
read sees exactly the rows, and the masked values, that GraphQL shows the same principal.

Rows leave PostgreSQL without being collected: CSV layouts go out through ``COPY (...) TO
STDOUT`` in chunks, other formats through a server-side cursor (``yield_per``). Both hold a
bounded amount in memory whatever the number of rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import typing
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.sqltypes import NullType

from lnob_api.access import history, visibility
from lnob_api.auth.principal import Principal
from lnob_api.declare import Entity, Field
from lnob_api.declare.entities import DATASET
from lnob_api.declare.observation import OBSERVATION
from lnob_api.models.tables import areas, datasets, indicators, observations, sdg_targets
from lnob_api.observation import repository as observation_repo
from lnob_api.sync import repository as sync_repo

# The observation filter vocabulary and the sync stamp that the export composes: the export's
# service and the SDMX repository reach them here (services use only their own domain's
# repository: the layering contract in pyproject.toml).
observation_filters = observation_repo.filters
latest_sync_event = sync_repo.latest_sync_event

# Rows fetched per round trip of a server-side cursor.
CURSOR_BATCH = 2000
# COPY chunks waiting for the client; when full, PostgreSQL's output waits (back pressure).
COPY_QUEUE = 4
_PENDING_COPY = "lnob_pending_copy"

SERIES_KEY = ("area_code", "sex", "age", "disability_status", "urbanisation", "group_code")


@dataclass(frozen=True, slots=True)
class Scoped:
    """The principal's filtered observations (``rows``) joined to their dataset and indicator."""

    rows: sa.Subquery
    dataset: sa.FromClause
    indicator: sa.FromClause
    source: sa.FromClause
    # The indicator's code, or the SDG target's for a target-level observation.
    code: ColumnElement[str]


def scoped_rows(principal: Principal, where: Sequence[ColumnElement[bool]]) -> sa.Select[Any]:
    """The OBSERVATIONS source's scoped select narrowed by ``where``; as of an instant when
    ``where`` carries a ``history.AsOf`` clause (point-in-time reads)."""
    return observation_repo.scoped_at(principal, history.as_of_in(where)).where(*where)


def scoped(principal: Principal, where: Sequence[ColumnElement[bool]]) -> Scoped:
    """The readable observations matching ``where`` (clauses over the observations table)."""
    return joined(scoped_rows(principal, where).subquery("o"))


def joined(rows: sa.Subquery, per_dataset: sa.Subquery | None = None) -> Scoped:
    """Observation ``rows`` joined to their dataset (``d``), and, where they have one, their
    indicator (``i``) and SDG target (``t``); ``per_dataset`` (a subquery with one row per
    dataset ``id``, such as a version's validity window) is joined beside the dataset."""
    dataset = datasets.alias("d")
    indicator = indicators.alias("i")
    target = sdg_targets.alias("t")
    source = rows.join(dataset, dataset.c.id == rows.c.dataset_id)
    if per_dataset is not None:
        source = source.join(per_dataset, per_dataset.c.id == rows.c.dataset_id)
    source = source.outerjoin(indicator, indicator.c.id == rows.c.indicator_id).outerjoin(
        target, target.c.code == rows.c.target_code
    )
    code = sa.func.coalesce(indicator.c.code, target.c.code)
    return Scoped(rows, dataset, indicator, source, code)


def declared_filters(values: Mapping[str, Sequence[str]]) -> list[ColumnElement[bool]]:
    """Observations of the datasets the declared dataset filters keep (by export parameter)."""
    clauses = DATASET.where(values, export=True)
    if not clauses:
        return []
    return [observations.c.dataset_id.in_(sa.select(datasets.c.id).where(*clauses))]


def in_coalition(coalition_id: int) -> ColumnElement[bool]:
    """Observations of one coalition's datasets (a clause for ``scoped``'s ``where``)."""
    return observations.c.dataset_id.in_(
        sa.select(datasets.c.id).where(datasets.c.coalition_id == coalition_id)
    )


def conf_status(rows: sa.Subquery) -> ColumnElement[str]:
    """SDMX CONF_STATUS as the principal may know it (``visibility.conf_status``): C for
    every withheld cell outside the owning coalition; inside it C, D (secondary) or F."""
    return rows.c.conf_status


def perturbed_text(rows: sa.Subquery) -> ColumnElement[str]:
    """``true`` when the value the principal reads is perturbed (``visibility.perturbed``),
    else ``false``: spelled as Table Schema booleans are."""
    return sa.case((rows.c.perturbed, "true"), else_="false")


def iso_utc(column: ColumnElement[Any]) -> ColumnElement[str]:
    """A timestamp as ISO 8601 in UTC (``2024-05-01T12:00:00.000000Z``), whatever the session."""
    return sa.func.to_char(
        sa.func.timezone("UTC", column), sa.literal('YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    )


# --- conditional requests -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What an export's validators are computed from."""

    rows: int
    suppressed: int
    rows_updated: datetime | None
    datasets_updated: datetime | None

    @property
    def last_modified(self) -> datetime | None:
        stamps = [s for s in (self.rows_updated, self.datasets_updated) if s is not None]
        return max(stamps) if stamps else None


async def fingerprint(
    conn: AsyncConnection,
    principal: Principal,
    where: Sequence[ColumnElement[bool]],
    dataset_where: Sequence[ColumnElement[bool]] = (),
) -> Fingerprint:
    """Count, suppressed count and latest change of the readable rows, and the latest change
    of the datasets in scope (retracted ones included, so that a retraction moves it)."""
    rows = scoped_rows(principal, where).subquery("o")
    datasets_updated = (
        sa.select(sa.func.max(datasets.c.updated_at))
        .where(visibility.dataset_visible(principal), *dataset_where)
        .scalar_subquery()
    )
    stmt = sa.select(
        sa.func.count().label("rows"),
        sa.func.count().filter(rows.c.suppressed).label("suppressed"),
        sa.func.max(rows.c.updated_at).label("rows_updated"),
        datasets_updated.label("datasets_updated"),
    ).select_from(rows)
    found = (await conn.execute(stmt)).one()
    return Fingerprint(int(found.rows), int(found.suppressed), found[2], found[3])


# --- the CSV export -------------------------------------------------------------------------

# The CSV export's computed columns (not columns of a scoped row), each placed after the
# declared observation field it follows (None: first): the rest are the declared fields with
# ``csv`` (declare.observation), in their order, then the dataset's (declare.entities).
CSV_COMPUTED: dict[str | None, tuple[str, ...]] = {
    None: ("dataset", "indicator"),
    "obs_status": ("conf_status",),
    "updated_at": ("perturbed",),
}


def csv_columns(entity: Entity = OBSERVATION) -> tuple[str, ...]:
    """The CSV export's header: computed columns where they stand among the declared ones."""
    names = list(CSV_COMPUTED[None])
    for f in entity.csv:
        assert f.csv is not None
        names += [f.csv, *CSV_COMPUTED.get(f.name, ())]
    names += [f.csv for f in DATASET.csv if f.csv is not None]
    return tuple(names)


CSV_COLUMNS = csv_columns()


def csv_select(
    principal: Principal,
    where: Sequence[ColumnElement[bool]],
    entity: Entity = OBSERVATION,
) -> sa.Select[Any]:
    """The CSV export's rows in a stable order (the observation id); NULL value when withheld.
    ``entity``: the observation declaration whose ``csv`` fields it writes."""
    s = scoped(principal, where)
    o, d = s.rows, s.dataset
    cells: dict[str, ColumnElement[Any]] = {
        "dataset": d.c.slug,
        "indicator": s.code,
        "conf_status": conf_status(o),
        "perturbed": perturbed_text(o),
    }
    for f in entity.csv:
        assert f.csv is not None
        column: ColumnElement[Any] = o.c[f.name]
        cells[f.csv] = iso_utc(column) if _is_timestamp(entity, f) else column
    cells.update({f.csv: d.c[f.name] for f in DATASET.csv if f.csv is not None})
    labelled = [csv_cell(cells[name]).label(name) for name in csv_columns(entity)]
    return sa.select(*labelled).select_from(s.source).order_by(o.c.id)


def _is_timestamp(entity: Entity, field: Field) -> bool:
    """Whether a declared field is a timestamp (written as ISO 8601 in UTC)."""
    kind = entity.types[field.name]
    return datetime in (kind, *typing.get_args(kind))


# Cells a spreadsheet would evaluate as a formula start with = + - @, a tab or a carriage
# return (OWASP, "CSV Injection"): such a text cell gets a leading single quote, which
# spreadsheets read as "this is text". Numbers are never text columns, so -3 stays -3.
FORMULA_STARTS = tuple(ord(c) for c in "=+-@\t\r")


def csv_cell(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` as a CSV cell: text escaped against formulas (in SQL, so COPY streams it),
    anything else as it is."""
    # Untyped expressions here are text functions (replace, to_char); enums are our codes.
    if not isinstance(column.type, (sa.String, NullType)) or isinstance(column.type, sa.Enum):
        return column
    # ascii() reads only the first character: one integer test per cell on the common path.
    starts: list[ColumnElement[int]] = [sa.literal_column(str(c)) for c in FORMULA_STARTS]
    quoted = sa.literal_column("''''", sa.Text) + column
    return sa.case((sa.func.ascii(column).in_(starts), quoted), else_=column)


# --- lookups for clear failures -------------------------------------------------------------


async def known_indicator_codes(conn: AsyncConnection, codes: Sequence[str]) -> set[str]:
    found = await conn.execute(sa.select(indicators.c.code).where(indicators.c.code.in_(codes)))
    return set(found.scalars())


async def known_area_codes(conn: AsyncConnection, codes: Sequence[str]) -> set[str]:
    found = await conn.execute(sa.select(areas.c.code).where(areas.c.code.in_(codes)))
    return set(found.scalars())


async def visible_datasets(
    conn: AsyncConnection, principal: Principal, *, ids: Sequence[int], slugs: Sequence[str]
) -> list[Any]:
    """(id, slug) of the datasets among ``ids`` or ``slugs`` whose metadata the principal sees."""
    stmt = sa.select(datasets.c.id, datasets.c.slug).where(
        visibility.dataset_visible(principal),
        sa.or_(datasets.c.id.in_(ids), datasets.c.slug.in_(slugs)),
    )
    return list((await conn.execute(stmt)).all())


# --- streaming ------------------------------------------------------------------------------


@dataclass
class CopyProgress:
    """How much PostgreSQL has handed over so far (lets tests see the back pressure)."""

    chunks: int = 0
    bytes: int = 0


async def copy_csv(
    conn: AsyncConnection,
    stmt: sa.Select[Any],
    *,
    header: bool = True,
    progress: CopyProgress | None = None,
) -> AsyncIterator[bytes]:
    """``COPY (stmt) TO STDOUT (FORMAT csv)`` in the connection's transaction, chunk by chunk.

    asyncpg hands each chunk to a callback and reads no further until the callback returns;
    the callback waits on a small queue that the caller drains, so at most ``COPY_QUEUE``
    chunks are held, however many rows the statement returns. A stream left unfinished runs
    out in the background, discarding its chunks: call ``settle`` before the connection's next
    statement.
    """
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(COPY_QUEUE)
    stopped = False

    async def sink(chunk: bytes) -> None:
        if stopped:
            return
        if progress is not None:
            progress.chunks += 1
            progress.bytes += len(chunk)
        await queue.put(bytes(chunk))

    async def produce() -> None:
        outcome: BaseException | None = None
        try:
            await driver.copy_from_query(
                compiled.string, *params, output=sink, format="csv", header=header
            )
        except Exception as exc:
            outcome = exc
        if not stopped:
            await queue.put(outcome)

    task = asyncio.create_task(produce())
    conn.info[_PENDING_COPY] = task
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # Whatever ended the stream, let the COPY run out without a reader: asyncpg cannot
        # cancel a COPY whose output it has paused without leaving the connection unusable.
        stopped = True
        while not queue.empty():
            queue.get_nowait()


async def settle(conn: AsyncConnection) -> None:
    """Wait for a COPY left unfinished on this connection (see ``copy_csv``) to run out."""
    task = conn.info.pop(_PENDING_COPY, None)
    if task is not None:
        with contextlib.suppress(Exception):
            await task


async def stream_rows(conn: AsyncConnection, stmt: sa.Select[Any]) -> AsyncIterator[RowMapping]:
    """The statement's rows (as mappings) through a server-side cursor, ``CURSOR_BATCH`` at a
    time."""
    result = await conn.stream(stmt, execution_options={"yield_per": CURSOR_BATCH})
    try:
        async for batch in result.mappings().partitions():
            for row in batch:
                yield row
    finally:
        await result.close()


# --- series (GraphQL indicatorSeries) -------------------------------------------------------


def series_shape(principal: Principal, where: Sequence[ColumnElement[bool]]) -> sa.Select[Any]:
    """How many series match, and the length of the longest."""
    rows = scoped_rows(principal, where).subquery("o")
    per_series = (
        sa.select(sa.func.count().label("points"))
        .select_from(rows)
        .group_by(*(rows.c[c] for c in SERIES_KEY))
        .subquery("s")
    )
    return sa.select(
        sa.func.count().label("series"),
        sa.func.coalesce(sa.func.max(per_series.c.points), 0).label("longest"),
    ).select_from(per_series)


def series_points(principal: Principal, where: Sequence[ColumnElement[bool]]) -> sa.Select[Any]:
    """Points ordered by series key (area first) and then period."""
    rows = scoped_rows(principal, where).subquery("o")
    return (
        sa.select(
            *(rows.c[c] for c in SERIES_KEY),
            rows.c.period,
            rows.c.value,
            rows.c.suppressed,
            rows.c.perturbed,
            rows.c.obs_status,
            rows.c.sample_size,
            rows.c.dataset_id,
        )
        .select_from(rows)
        .order_by(
            *(rows.c[c] for c in SERIES_KEY),
            rows.c.period_start,
            rows.c.period_end,
            rows.c.dataset_id,
            rows.c.id,
        )
    )
