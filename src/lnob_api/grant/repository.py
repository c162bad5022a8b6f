"""Grant SQL for administration (unscoped): the lookups a grant needs, inserts, the list and
revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.db.rows import columns, first
from lnob_api.models.tables import coalitions as _coalitions
from lnob_api.models.tables import datasets as _datasets
from lnob_api.models.tables import grants as _grants
from lnob_api.models.tables import oauth_clients as _clients
from lnob_api.models.tables import organisations as _organisations


@dataclass(frozen=True, slots=True)
class Ref:
    """A row's id and the key it was found by."""

    id: int
    key: str


@dataclass(frozen=True, slots=True)
class DatasetRef:
    id: int
    slug: str
    coalition_id: int


@dataclass(frozen=True, slots=True)
class ClientRef:
    id: int
    client_id: str
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class GrantRecord:
    id: int
    coalition_code: str
    dataset_slug: str | None
    organisation_slug: str | None
    client_id: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    note: str
    created_at: datetime
    coalition_id: int | None = None
    dataset_id: int | None = None
    organisation_id: int | None = None
    client_pk: int | None = None

    @property
    def grantee(self) -> str:
        """``organisation:<slug>`` or ``client:<client id>``."""
        if self.organisation_slug is not None:
            return f"organisation:{self.organisation_slug}"
        return f"client:{self.client_id}"


async def coalition_by_code(conn: AsyncConnection, code: str) -> Ref | None:
    stmt = sa.select(_coalitions.c.id, _coalitions.c.code).where(_coalitions.c.code == code)
    row = (await conn.execute(stmt)).first()
    return Ref(int(row.id), row.code) if row is not None else None


async def dataset_by_slug(conn: AsyncConnection, slug: str) -> DatasetRef | None:
    stmt = sa.select(_datasets.c.id, _datasets.c.slug, _datasets.c.coalition_id).where(
        _datasets.c.slug == slug
    )
    return await first(conn, stmt, DatasetRef)


async def dataset_by_id(conn: AsyncConnection, dataset_id: int) -> DatasetRef | None:
    stmt = sa.select(_datasets.c.id, _datasets.c.slug, _datasets.c.coalition_id).where(
        _datasets.c.id == dataset_id
    )
    return await first(conn, stmt, DatasetRef)


async def client_by_client_id(conn: AsyncConnection, client_id: str) -> ClientRef | None:
    stmt = sa.select(_clients.c.id, _clients.c.client_id, _clients.c.revoked_at).where(
        _clients.c.client_id == client_id
    )
    return await first(conn, stmt, ClientRef)


def _select() -> sa.Select[Any]:
    return (
        sa.select(
            *columns(
                GrantRecord,
                _grants,
                coalition_code=_coalitions.c.code,
                dataset_slug=_datasets.c.slug,
                organisation_slug=_organisations.c.slug,
                client_id=_clients.c.client_id,  # the client's public id, not the grant's key
                client_pk=_grants.c.client_id,
            )
        )
        .join(_coalitions, _coalitions.c.id == _grants.c.coalition_id)
        .outerjoin(_datasets, _datasets.c.id == _grants.c.dataset_id)
        .outerjoin(_organisations, _organisations.c.id == _grants.c.organisation_id)
        .outerjoin(_clients, _clients.c.id == _grants.c.client_id)
    )


@dataclass(frozen=True, slots=True)
class Reach:
    """Who a grant opens data to (one organisation or one client) and what: one dataset, or
    ``dataset_id`` None for all the coalition's data."""

    coalition_id: int
    dataset_id: int | None
    organisation_id: int | None
    client_pk: int | None


def _same_reach(reach: Reach) -> list[sa.ColumnElement[bool]]:
    return [
        _grants.c.coalition_id == reach.coalition_id,
        _grants.c.dataset_id.is_not_distinct_from(reach.dataset_id),
        _grants.c.organisation_id.is_not_distinct_from(reach.organisation_id),
        _grants.c.client_id.is_not_distinct_from(reach.client_pk),
    ]


async def live_grant_id(conn: AsyncConnection, reach: Reach, *, now: datetime) -> int | None:
    """The id of an unrevoked, unexpired grant with exactly this reach and grantee, if any."""
    stmt = sa.select(_grants.c.id).where(
        *_same_reach(reach),
        _grants.c.revoked_at.is_(None),
        sa.or_(_grants.c.expires_at.is_(None), _grants.c.expires_at > now),
    )
    found = (await conn.execute(stmt.limit(1))).scalar()
    return int(found) if found is not None else None


async def close_expired(conn: AsyncConnection, reach: Reach, *, now: datetime) -> None:
    """Close expired, unrevoked grants of this reach at their expiry (revoked_at = expires_at),
    so that the one-unrevoked-grant index leaves room for a new grant."""
    await conn.execute(
        sa.update(_grants)
        .where(*_same_reach(reach), _grants.c.revoked_at.is_(None), _grants.c.expires_at <= now)
        .values(revoked_at=_grants.c.expires_at, updated_at=now)
    )


async def insert_grant(
    conn: AsyncConnection, reach: Reach, *, expires_at: datetime | None, note: str
) -> int | None:
    """The new grant's id; None when the grantee already holds an unrevoked grant of this reach
    (the partial unique indexes decide, so concurrent inserts cannot both succeed)."""
    stmt = (
        pg_insert(_grants)
        .values(
            coalition_id=reach.coalition_id,
            dataset_id=reach.dataset_id,
            organisation_id=reach.organisation_id,
            client_id=reach.client_pk,
            expires_at=expires_at,
            note=note,
        )
        .on_conflict_do_nothing()
        .returning(_grants.c.id)
    )
    found = (await conn.execute(stmt)).scalar()
    return int(found) if found is not None else None


async def grant_by_id(
    conn: AsyncConnection, grant_id: int, *, lock: bool = False
) -> GrantRecord | None:
    stmt = _select().where(_grants.c.id == grant_id)
    if lock:
        stmt = stmt.with_for_update(of=_grants)
    return await first(conn, stmt, GrantRecord)


async def grants(conn: AsyncConnection, *, coalition_id: int | None = None) -> list[GrantRecord]:
    """Grants by coalition code then id, of one coalition when ``coalition_id`` is given."""
    stmt = _select().order_by(_coalitions.c.code, _grants.c.id)
    if coalition_id is not None:
        stmt = stmt.where(_grants.c.coalition_id == coalition_id)
    return [GrantRecord(**row) for row in (await conn.execute(stmt)).mappings()]


async def set_revoked(conn: AsyncConnection, grant_id: int, *, now: datetime) -> None:
    await conn.execute(
        sa.update(_grants).where(_grants.c.id == grant_id).values(revoked_at=now, updated_at=now)
    )
