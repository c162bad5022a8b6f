"""Organisation SQL for administration: unscoped lookups, the full list, inserts, locks.

The read API's declarations live in ``repository.py`` and go through visibility; these
functions serve the operator's own tools (the ``lnob-api`` command), which see every row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api import models
from lnob_api.db.rows import columns, first, lock_by_id
from lnob_api.domain_kit import sql
from lnob_api.models.tables import areas as _areas
from lnob_api.models.tables import coalition_members as memberships
from lnob_api.models.tables import coalitions, grants
from lnob_api.models.tables import oauth_clients as _clients
from lnob_api.models.tables import organisation_users as _members
from lnob_api.models.tables import organisations as _organisations


@dataclass(frozen=True, slots=True)
class OrganisationRecord:
    id: int
    slug: str
    name: str
    kind: str
    country_code: str | None
    created_at: datetime
    users: int = 0
    clients: int = 0


_COLUMNS = columns(OrganisationRecord, _organisations)


def _record(row: sa.RowMapping) -> OrganisationRecord:
    return OrganisationRecord(**row)


async def organisation_by_slug(conn: AsyncConnection, slug: str) -> OrganisationRecord | None:
    stmt = sa.select(*_COLUMNS).where(_organisations.c.slug == slug)
    return await first(conn, stmt, OrganisationRecord)


async def country_exists(conn: AsyncConnection, code: str) -> bool:
    """True when ``code`` is a country (ISO 3166-1 alpha-2) in the area reference data."""
    stmt = sa.select(sa.literal(True)).where(_areas.c.code == code, _areas.c.level == "COUNTRY")
    return (await conn.execute(stmt)).first() is not None


async def organisation_by_id(
    conn: AsyncConnection, organisation_id: int
) -> OrganisationRecord | None:
    stmt = sa.select(*_COLUMNS).where(_organisations.c.id == organisation_id)
    return await first(conn, stmt, OrganisationRecord)


async def insert_organisation(
    conn: AsyncConnection,
    *,
    slug: str,
    name: str,
    kind: str,
    country_code: str | None,
    website: str | None = None,
    description: str = "",
    more: Mapping[str, Any] | None = None,
) -> OrganisationRecord:
    """Insert an organisation (``more``: other columns, by name) and read it back."""
    stmt = (
        sa.insert(_organisations)
        .values(
            slug=slug,
            name=name,
            kind=kind,
            country_code=country_code,
            website=website,
            description=description,
            **(more or {}),
        )
        .returning(*_COLUMNS)
    )
    return _record((await conn.execute(stmt)).mappings().one())


async def all_organisations(conn: AsyncConnection) -> list[OrganisationRecord]:
    """Every organisation by slug, with how many users and OAuth clients it has."""
    users = (
        sa.select(sa.func.count())
        .where(_members.c.organisation_id == _organisations.c.id)
        .scalar_subquery()
    )
    clients = (
        sa.select(sa.func.count())
        .where(_clients.c.organisation_id == _organisations.c.id)
        .scalar_subquery()
    )
    stmt = sa.select(*_COLUMNS, users.label("users"), clients.label("clients")).order_by(
        _organisations.c.slug
    )
    return [_record(row) for row in (await conn.execute(stmt)).mappings()]


async def lock(session: AsyncSession, organisation_id: int) -> models.Organisation | None:
    """The organisation as an ORM object, its row locked for the rest of the transaction."""
    return await lock_by_id(session, models.Organisation, organisation_id)


@dataclass(frozen=True, slots=True)
class Dependants:
    """What still hangs on an organisation (each blocks its deletion)."""

    users: int
    clients: int
    coalitions: tuple[str, ...]
    active_grants: int

    def __bool__(self) -> bool:
        return bool(self.users or self.clients or self.coalitions or self.active_grants)


async def dependants(conn: AsyncConnection, organisation_id: int) -> Dependants:
    """Users, OAuth clients (revoked ones too), coalition memberships and live grants."""

    def count(table: sa.Table, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery()

    codes = sa.func.array(
        sa.select(coalitions.c.code)
        .join(memberships, memberships.c.coalition_id == coalitions.c.id)
        .where(memberships.c.organisation_id == organisation_id)
        .order_by(coalitions.c.code)
        .scalar_subquery()
    )
    live = sa.or_(grants.c.expires_at.is_(None), grants.c.expires_at > sa.func.now())
    stmt = sa.select(
        count(_members, _members.c.organisation_id == organisation_id).label("users"),
        count(_clients, _clients.c.organisation_id == organisation_id).label("clients"),
        codes.label("coalitions"),
        count(
            grants, grants.c.organisation_id == organisation_id, grants.c.revoked_at.is_(None), live
        ).label("active_grants"),
    )
    row = (await conn.execute(stmt)).mappings().one()
    return Dependants(
        users=int(row["users"]),
        clients=int(row["clients"]),
        coalitions=tuple(row["coalitions"]),
        active_grants=int(row["active_grants"]),
    )


async def exists(session: AsyncSession, organisation_id: int) -> bool:
    return await sql.exists(session, models.Organisation.id == organisation_id)
