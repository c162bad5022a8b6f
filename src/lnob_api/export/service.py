"""Use cases of bulk reads: check an export filter, compute its validators, stream its rows;
and group observations into series for ``indicatorSeries``.

Validators (conditional requests): the entity tag hashes what decides the bytes a principal
gets: the export variant and its canonical filter, the principal's identity and memberships,
and the fingerprint of the visible rows (count, count of withheld cells, latest
``updated_at`` of the rows and of the datasets in scope, and the latest sync event owed to the
principal: a removal it gets a tombstone for, or a dataset's sync time). A change to a row, a
retraction, a revoked grant, a withdrawn consent or a new threshold changes one of those.
``Last-Modified`` is the latest of those times, so it moves when rows disappear too; the tag
is the exact validator and takes precedence (RFC 9110, 13.2.2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import history
from lnob_api.auth.principal import Principal
from lnob_api.db.request import RequestDb
from lnob_api.errors import InvalidInput
from lnob_api.export import repository
from lnob_api.export.filters import LISTS, ExportFilter, dataset_key, period
from lnob_api.models.tables import datasets

MAX_SERIES = 200
MAX_POINTS = 500


@dataclass(frozen=True, slots=True)
class Resolved:
    """A checked filter: WHERE clauses over observations, and over datasets in scope."""

    where: list[ColumnElement[bool]]
    dataset_where: list[ColumnElement[bool]]


async def resolve(conn: AsyncConnection, principal: Principal, f: ExportFilter) -> Resolved:
    """Check the filter's codes (400 naming the parameter for an unknown one) and build SQL."""
    if f.indicators is not None:
        known = await repository.known_indicator_codes(conn, f.indicators)
        for code in f.indicators:
            if code not in known:
                raise InvalidInput("indicator", f"unknown indicator code {code}", code="UNKNOWN")
    if f.areas is not None:
        known = await repository.known_area_codes(conn, f.areas)
        for code in f.areas:
            if code not in known:
                raise InvalidInput("area", f"unknown area code {code}", code="UNKNOWN")
    dataset_ids = None
    dataset_where: list[ColumnElement[bool]] = []
    if f.datasets is not None:
        dataset_ids = await _dataset_ids(conn, principal, f.datasets)
        dataset_where.append(datasets.c.id.in_(dataset_ids))
    # By query parameter: each is the condition of the observations' filter spec it names
    # (observation.repository.filters), the one GraphQL's ObservationFilter reads too.
    lists = {parameter: _listed(getattr(f, field)) for parameter, field in LISTS.items()}
    where = repository.observation_filters.exported(
        {
            **lists,
            **dict(f.observed),
            "dataset": dataset_ids,  # ids or slugs resolved to keys
            "periodFrom": f.period_from,
            "periodTo": f.period_to,
            "updatedSince": f.updated_since,
            "washingtonGroup": f.washington_group,
        }
    ) + repository.declared_filters(dict(f.declared))
    where += as_of_clauses(f.as_of, updated_since=f.updated_since, field="asOf")
    return Resolved(where, dataset_where)


def as_of_clauses(
    as_of: datetime | None, *, updated_since: datetime | None = None, field: str
) -> list[ColumnElement[bool]]:
    """The point-in-time clause of a bulk read (none without ``as_of``), checked: an instant
    in the future, or one combined with an incremental pull, is an ``InvalidInput``."""
    if as_of is None:
        return []
    at = history.check_as_of(as_of, field)
    if updated_since is not None:
        raise InvalidInput(
            field,
            f"{field} cannot be combined with updatedSince: an incremental pull follows today's "
            "data; read the instant in full",
            code="INCOMPATIBLE",
        )
    return [history.AsOf(at)]


def _listed(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


async def _dataset_ids(
    conn: AsyncConnection, principal: Principal, values: Sequence[str]
) -> list[int]:
    """Primary keys of datasets named by global id or slug; a hidden one is unknown."""
    keys = {value: dataset_key(value) for value in values}
    rows = await repository.visible_datasets(
        conn,
        principal,
        ids=[k for k in keys.values() if isinstance(k, int)],
        slugs=[k for k in keys.values() if isinstance(k, str)],
    )
    by_key: dict[int | str, int] = {}
    for row in rows:
        by_key[row.id] = row.id
        by_key[row.slug] = row.id
    for value, key in keys.items():
        if key not in by_key:
            raise InvalidInput("dataset", f"unknown dataset {value}", code="UNKNOWN")
    return sorted({by_key[k] for k in keys.values()})


# --- validators -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str
    last_modified: datetime | None
    rows: int

    @property
    def http_date(self) -> str | None:
        if self.last_modified is None:
            return None
        return format_datetime(self.last_modified.replace(microsecond=0), usegmt=True)


def principal_key(principal: Principal) -> list[Any]:
    """Who is asking, as far as visibility and suppression are concerned."""
    return [
        principal.kind.value,
        principal.user_id,
        principal.client_pk,
        sorted(principal.scopes),
        sorted(principal.organisation_ids),
        sorted(principal.member_coalition_ids),
        sorted((k, v.value) for k, v in principal.coalition_roles.items()),
        principal.is_partner,
        principal.is_partnership_admin,
    ]


async def validators(
    conn: AsyncConnection,
    principal: Principal,
    resolved: Resolved,
    *,
    variant: str,
    query: str,
) -> Validators:
    """Entity tag and last modification of an export (one aggregate over the visible rows)."""
    fp = await repository.fingerprint(conn, principal, resolved.where, resolved.dataset_where)
    # Rows that left (or entered) the caller's view without changing: removal events owed to
    # the caller, sync times of the datasets it sees (sync.repository, through ours).
    synced = await conn.scalar(
        sa.select(repository.latest_sync_event(principal, resolved.dataset_where))
    )
    facts = [
        variant,
        query,
        principal_key(principal),
        fp.rows,
        fp.suppressed,
        fp.rows_updated.isoformat() if fp.rows_updated else None,
        fp.datasets_updated.isoformat() if fp.datasets_updated else None,
        synced.isoformat() if synced else None,
    ]
    digest = hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest()[:32]
    stamps = [s for s in (fp.last_modified, synced) if s is not None]
    return Validators(f'"{digest}"', max(stamps) if stamps else None, fp.rows)


def not_modified(
    found: Validators, *, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """True when the client's copy is current (If-None-Match first, as RFC 9110 says)."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or found.etag in tags
    if if_modified_since is None or found.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return found.last_modified.replace(microsecond=0) <= since


# --- streams --------------------------------------------------------------------------------


def csv_chunks(
    conn: AsyncConnection,
    principal: Principal,
    resolved: Resolved,
    *,
    progress: repository.CopyProgress | None = None,
) -> AsyncIterator[bytes]:
    """The CSV export (header row first) as it leaves PostgreSQL."""
    stmt = repository.csv_select(principal, resolved.where)
    return repository.copy_csv(conn, stmt, progress=progress)


async def settle(conn: AsyncConnection) -> None:
    """Let an abandoned stream finish before the connection's next statement."""
    await repository.settle(conn)


# --- series ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesRows:
    """One series: its key and its points (rows from ``repository.series_points``)."""

    key: tuple[str, ...]
    points: list[Any]


async def indicator_series(
    db: RequestDb,
    principal: Principal,
    *,
    indicator: str,
    areas: Sequence[str] | None,
    period_from: str | None,
    period_to: str | None,
    dimensions: dict[str, list[str] | None],
    as_of: datetime | None = None,
) -> list[SeriesRows]:
    """Observations of one indicator grouped per (area, SEX, AGE, DISABILITY_STATUS,
    URBANISATION, GROUP), ordered by area then period (as of ``as_of`` when given);
    BAD_USER_INPUT past the bounds."""
    for name, value in (("periodFrom", period_from), ("periodTo", period_to)):
        if value is not None:
            period({name: [value]}, name)  # BAD_USER_INPUT naming the argument
    where = repository.observation_filters(
        indicator_codes=[indicator],
        area_codes=list(areas) if areas is not None else None,
        period_from=period_from,
        period_to=period_to,
        **dimensions,  # the declared dimension filters, by name (sex ... group)
    ) + as_of_clauses(as_of, field="asOf")
    shape = await db.first(repository.series_shape(principal, where))
    count, longest = (int(shape["series"]), int(shape["longest"])) if shape else (0, 0)
    if count > MAX_SERIES:
        raise InvalidInput(
            "areas",
            f"{count} series match, at most {MAX_SERIES}: narrow areas or dimensions",
            code="TOO_LARGE",
        )
    if longest > MAX_POINTS:
        raise InvalidInput(
            "periodFrom",
            f"a series has {longest} points, at most {MAX_POINTS}: narrow the period",
            code="TOO_LARGE",
        )
    series: list[SeriesRows] = []
    for row in await db.all(repository.series_points(principal, where)):
        key = tuple(row[c] for c in repository.SERIES_KEY)
        if not series or series[-1].key != key:
            series.append(SeriesRows(key, []))
        series[-1].points.append(row)
    return series
