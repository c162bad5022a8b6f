"""All SQL of the authorization server: clients, users by e-mail, codes, refresh tokens,
and revoked token ids (SQLAlchemy Core on the request's connection).

Times are passed in by the caller (``now``) rather than read from ``now()`` in SQL: PostgreSQL's
``now()`` is the start of the transaction, and the caller decides what "now" means for expiry.
Locks (``FOR UPDATE``) make single use of codes and refresh tokens hold under concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.db.rows import columns, first
from lnob_api.models.tables import authorization_codes as _codes
from lnob_api.models.tables import oauth_clients as _clients
from lnob_api.models.tables import refresh_tokens as _refresh
from lnob_api.models.tables import revoked_tokens as _revoked
from lnob_api.models.tables import users as _users


@dataclass(frozen=True, slots=True)
class ClientRecord:
    pk: int
    client_id: str
    name: str
    secret_hash: str | None
    organisation_id: int
    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    auth_method: str


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    email: str
    password_hash: str | None
    is_partnership_admin: bool
    is_active: bool


@dataclass(frozen=True, slots=True)
class CodeRecord:
    code_hash: str
    client_pk: int
    user_id: int
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    id: int
    family_id: str
    client_pk: int
    client_id: str
    user_id: int | None
    scope: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


def _client(row: RowMapping) -> ClientRecord:
    return ClientRecord(
        pk=row["id"],
        client_id=row["client_id"],
        name=row["name"],
        secret_hash=row["secret_hash"],
        organisation_id=row["organisation_id"],
        scopes=tuple(row["scopes"] or ()),
        redirect_uris=tuple(row["redirect_uris"] or ()),
        grant_types=tuple(row["grant_types"] or ()),
        auth_method=row["token_endpoint_auth_method"],
    )


_USER_COLUMNS = columns(UserRecord, _users)


async def active_client(conn: AsyncConnection, client_id: str) -> ClientRecord | None:
    """The client with this ``client_id``, unless it does not exist or was revoked."""
    stmt = sa.select(_clients).where(
        _clients.c.client_id == client_id, _clients.c.revoked_at.is_(None)
    )
    row = (await conn.execute(stmt)).mappings().first()
    return _client(row) if row is not None else None


async def user_by_email(conn: AsyncConnection, email: str) -> UserRecord | None:
    """The user with this e-mail address, compared case-insensitively."""
    stmt = sa.select(*_USER_COLUMNS).where(sa.func.lower(_users.c.email) == email.lower())
    return await first(conn, stmt, UserRecord)


async def user_by_id(conn: AsyncConnection, user_id: int) -> UserRecord | None:
    return await first(conn, sa.select(*_USER_COLUMNS).where(_users.c.id == user_id), UserRecord)


# -- authorization codes ------------------------------------------------------------------------


async def insert_authorization_code(
    conn: AsyncConnection,
    *,
    code_hash: str,
    client_pk: int,
    user_id: int,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        sa.insert(_codes).values(
            code_hash=code_hash,
            client_pk=client_pk,
            user_id=user_id,
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge=code_challenge,
            code_challenge_method="S256",
            expires_at=expires_at,
        )
    )


async def lock_authorization_code(conn: AsyncConnection, code_hash: str) -> CodeRecord | None:
    """The code row, locked until the transaction ends, so two exchanges cannot both win."""
    stmt = (
        sa.select(*columns(CodeRecord, _codes))
        .where(_codes.c.code_hash == code_hash)
        .with_for_update()
    )
    return await first(conn, stmt, CodeRecord)


async def mark_authorization_code_used(
    conn: AsyncConnection, code_hash: str, *, now: datetime
) -> None:
    await conn.execute(sa.update(_codes).where(_codes.c.code_hash == code_hash).values(used_at=now))


# -- refresh tokens -----------------------------------------------------------------------------


async def insert_refresh_token(
    conn: AsyncConnection,
    *,
    token_hash: str,
    family_id: str,
    client_pk: int,
    user_id: int | None,
    scope: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        sa.insert(_refresh).values(
            token_hash=token_hash,
            family_id=family_id,
            client_pk=client_pk,
            user_id=user_id,
            scope=scope,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def refresh_token_by_hash(
    conn: AsyncConnection, token_hash: str, *, lock: bool = False
) -> RefreshRecord | None:
    """A refresh token with its client's ``client_id``; ``lock`` holds the row for a rotation."""
    stmt = (
        sa.select(*columns(RefreshRecord, _refresh, _clients))
        .join(_clients, _clients.c.id == _refresh.c.client_pk)
        .where(_refresh.c.token_hash == token_hash)
    )
    if lock:
        stmt = stmt.with_for_update(of=_refresh)
    return await first(conn, stmt, RefreshRecord)


async def mark_refresh_token_used(conn: AsyncConnection, token_id: int, *, now: datetime) -> None:
    await conn.execute(sa.update(_refresh).where(_refresh.c.id == token_id).values(used_at=now))


async def revoke_refresh_tokens(
    conn: AsyncConnection, which: sa.ColumnElement[bool], *, now: datetime
) -> int:
    """Revoke the live refresh tokens ``which`` selects; returns how many there were."""
    result = await conn.execute(
        sa.update(_refresh).where(which, _refresh.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(result.rowcount)


async def revoke_refresh_family(conn: AsyncConnection, family_id: str, *, now: datetime) -> int:
    """Revoke every token of a family (a rotation chain); returns how many were still live."""
    return await revoke_refresh_tokens(conn, _refresh.c.family_id == family_id, now=now)


# -- revoked access tokens ----------------------------------------------------------------------


async def revoke_jti(conn: AsyncConnection, jti: str, *, expires_at: datetime) -> None:
    """Remember a revoked access token until it would have expired anyway."""
    stmt = pg.insert(_revoked).values(jti=jti, expires_at=expires_at)
    await conn.execute(stmt.on_conflict_do_nothing(index_elements=[_revoked.c.jti]))


async def is_jti_revoked(conn: AsyncConnection, jti: str) -> bool:
    stmt = sa.select(sa.exists().where(_revoked.c.jti == jti))
    return bool((await conn.execute(stmt)).scalar())
