"""OAuth client SQL for administration (unscoped). Secrets are stored only as hashes and never
read back by these functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.db.rows import columns, first
from lnob_api.models.tables import oauth_clients as _clients
from lnob_api.models.tables import organisations as _organisations

# Token endpoint authentication methods (RFC 7591): a public client does not authenticate.
PUBLIC_AUTH_METHOD = "none"
CONFIDENTIAL_AUTH_METHOD = "client_secret_basic"


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A client as an operator sees it: everything but the secret's hash."""

    id: int
    client_id: str
    name: str
    organisation_slug: str
    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    token_endpoint_auth_method: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == PUBLIC_AUTH_METHOD


_COLUMNS = columns(ClientRecord, _clients, organisation_slug=_organisations.c.slug)


def _record(**values: Any) -> ClientRecord:
    for name in ("scopes", "redirect_uris", "grant_types"):
        values[name] = tuple(values[name] or ())
    return ClientRecord(**values)


def _select() -> sa.Select[Any]:
    return sa.select(*_COLUMNS).join(
        _organisations, _organisations.c.id == _clients.c.organisation_id
    )


async def insert_client(
    conn: AsyncConnection,
    *,
    client_id: str,
    secret_hash: str | None,
    name: str,
    organisation_id: int,
    scopes: Sequence[str],
    redirect_uris: Sequence[str],
    grant_types: Sequence[str],
    token_endpoint_auth_method: str,
) -> int:
    stmt = (
        sa.insert(_clients)
        .values(
            client_id=client_id,
            secret_hash=secret_hash,
            name=name,
            organisation_id=organisation_id,
            scopes=list(scopes),
            redirect_uris=list(redirect_uris),
            grant_types=list(grant_types),
            token_endpoint_auth_method=token_endpoint_auth_method,
        )
        .returning(_clients.c.id)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def client_by_client_id(
    conn: AsyncConnection, client_id: str, *, lock: bool = False
) -> ClientRecord | None:
    """The client with this public ``client_id`` (revoked or not); ``lock`` holds its row."""
    stmt = _select().where(_clients.c.client_id == client_id)
    if lock:
        stmt = stmt.with_for_update(of=_clients)
    return await first(conn, stmt, _record)


async def all_clients(conn: AsyncConnection) -> list[ClientRecord]:
    """Every client, by organisation slug then creation."""
    stmt = _select().order_by(_organisations.c.slug, _clients.c.id)
    return [_record(**row) for row in (await conn.execute(stmt)).mappings()]


async def set_revoked(conn: AsyncConnection, client_pk: int, *, now: datetime) -> None:
    await conn.execute(
        sa.update(_clients).where(_clients.c.id == client_pk).values(revoked_at=now, updated_at=now)
    )
