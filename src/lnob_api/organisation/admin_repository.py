"""Organisation SQL for administration: unscoped lookups, the full list, and inserts.

The read API's declarations live in ``repository.py`` and go through visibility; these
functions serve the operator's own tools (the ``lnob-api`` command), which see every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api import models

_organisations = models.Organisation.__table__
_areas = models.Area.__table__
_members = models.OrganisationUser.__table__
_clients = models.OAuthClient.__table__


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


_COLUMNS = (
    _organisations.c.id,
    _organisations.c.slug,
    _organisations.c.name,
    _organisations.c.kind,
    _organisations.c.country_code,
    _organisations.c.created_at,
)


def _record(row: sa.RowMapping) -> OrganisationRecord:
    return OrganisationRecord(**row)


async def organisation_by_slug(conn: AsyncConnection, slug: str) -> OrganisationRecord | None:
    stmt = sa.select(*_COLUMNS).where(_organisations.c.slug == slug)
    row = (await conn.execute(stmt)).mappings().first()
    return _record(row) if row is not None else None


async def country_exists(conn: AsyncConnection, code: str) -> bool:
    """True when ``code`` is a country (ISO 3166-1 alpha-2) in the area reference data."""
    stmt = sa.select(sa.literal(True)).where(_areas.c.code == code, _areas.c.level == "COUNTRY")
    return (await conn.execute(stmt)).first() is not None


async def insert_organisation(
    conn: AsyncConnection, *, slug: str, name: str, kind: str, country_code: str | None
) -> OrganisationRecord:
    stmt = (
        sa.insert(_organisations)
        .values(slug=slug, name=name, kind=kind, country_code=country_code)
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
