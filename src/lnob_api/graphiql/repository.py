"""SQL of the GraphiQL client: its organisation and its OAuth client row (SQLAlchemy Core).

Inserts use ``ON CONFLICT DO NOTHING`` so that several workers starting together cannot fail
on each other's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.models.enums import OrganisationKind
from lnob_api.models.tables import oauth_clients as _clients
from lnob_api.models.tables import organisations as _organisations


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """The registration fields that start-up keeps in line with the configuration."""

    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    auth_method: str


@dataclass(frozen=True, slots=True)
class StoredClient:
    settings: ClientSettings
    has_secret: bool
    revoked_at: datetime | None


async def ensure_organisation(
    conn: AsyncConnection, *, slug: str, name: str, kind: OrganisationKind, description: str
) -> int:
    """The id of the organisation with ``slug``, inserted first when missing. An existing
    organisation is left as it is (an administrator may have edited it)."""
    inserted = await conn.execute(
        pg.insert(_organisations)
        .values(slug=slug, name=name, kind=kind.value, description=description)
        .on_conflict_do_nothing(index_elements=[_organisations.c.slug])
        .returning(_organisations.c.id)
    )
    pk = inserted.scalar()
    if pk is None:
        pk = (
            await conn.execute(sa.select(_organisations.c.id).where(_organisations.c.slug == slug))
        ).scalar_one()
    return int(pk)


async def client_by_client_id(conn: AsyncConnection, client_id: str) -> StoredClient | None:
    stmt = sa.select(
        _clients.c.scopes,
        _clients.c.redirect_uris,
        _clients.c.grant_types,
        _clients.c.token_endpoint_auth_method,
        _clients.c.secret_hash,
        _clients.c.revoked_at,
    ).where(_clients.c.client_id == client_id)
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        return None
    return StoredClient(
        settings=ClientSettings(
            scopes=tuple(row["scopes"] or ()),
            redirect_uris=tuple(row["redirect_uris"] or ()),
            grant_types=tuple(row["grant_types"] or ()),
            auth_method=row["token_endpoint_auth_method"],
        ),
        has_secret=row["secret_hash"] is not None,
        revoked_at=row["revoked_at"],
    )


async def insert_client(
    conn: AsyncConnection,
    *,
    client_id: str,
    name: str,
    organisation_id: int,
    settings: ClientSettings,
) -> bool:
    """Insert a public client (no secret); False when ``client_id`` exists already."""
    result = await conn.execute(
        pg.insert(_clients)
        .values(
            client_id=client_id, name=name, organisation_id=organisation_id, **_values(settings)
        )
        .on_conflict_do_nothing(index_elements=[_clients.c.client_id])
        .returning(_clients.c.id)
    )
    return result.scalar() is not None


async def update_client(conn: AsyncConnection, client_id: str, settings: ClientSettings) -> None:
    """Set the registration fields and drop any secret; name, organisation and revocation stay."""
    await conn.execute(
        sa.update(_clients)
        .where(_clients.c.client_id == client_id)
        .values(**_values(settings), updated_at=sa.func.now())
    )


def _values(settings: ClientSettings) -> dict[str, Sequence[str] | str | None]:
    return {
        "scopes": list(settings.scopes),
        "redirect_uris": list(settings.redirect_uris),
        "grant_types": list(settings.grant_types),
        "token_endpoint_auth_method": settings.auth_method,
        "secret_hash": None,
    }
