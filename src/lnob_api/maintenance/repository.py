"""SQL of the purge: one DELETE per kind of row, each returning how many it removed.

Each DELETE runs only when a cheap EXISTS finds a row for it: a DELETE announces a write
(``cache.writes`` reads it from the statement), which empties every worker's response cache
and moves the data version, so a purge with nothing to remove must send none."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth import throttle_repository
from lnob_api.models.tables import authorization_codes as _codes
from lnob_api.models.tables import idempotency_keys as _idempotency
from lnob_api.models.tables import login_throttles as _throttles
from lnob_api.models.tables import refresh_tokens as _refresh
from lnob_api.models.tables import revoked_tokens as _revoked

# One purge at a time across workers and servers (pg_try_advisory_xact_lock key).
PURGE_LOCK = 0x4C4E4F42_5055  # "LNOB" "PU"


async def try_lock(conn: AsyncConnection) -> bool:
    """True when this transaction may purge (no other purge is running)."""
    return bool(await conn.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(PURGE_LOCK))))


async def _purged(conn: AsyncConnection, table: sa.Table, condition: sa.ColumnElement[bool]) -> int:
    if not await conn.scalar(sa.select(sa.exists().where(condition).select_from(table))):
        return 0
    return int((await conn.execute(sa.delete(table).where(condition))).rowcount or 0)


async def expired_authorization_codes(conn: AsyncConnection, *, now: datetime) -> int:
    return await _purged(conn, _codes, _codes.c.expires_at <= now)


async def dead_refresh_tokens(
    conn: AsyncConnection, *, now: datetime, revoked_before: datetime
) -> int:
    """Expired ones, and ones revoked before ``revoked_before`` (refused either way)."""
    return await _purged(
        conn,
        _refresh,
        sa.or_(_refresh.c.expires_at <= now, _refresh.c.revoked_at <= revoked_before),
    )


async def expired_revocations(conn: AsyncConnection, *, expired_before: datetime) -> int:
    """Denylisted token ids whose tokens have expired anyway."""
    return await _purged(conn, _revoked, _revoked.c.expires_at <= expired_before)


async def forgotten_throttles(
    conn: AsyncConnection, *, failures_before: datetime, known_before: datetime
) -> int:
    """Sign-in throttles whose failures are forgotten and whose address is no longer known."""
    return await _purged(
        conn,
        _throttles,
        throttle_repository.forgotten(failures_before=failures_before, known_before=known_before),
    )


async def old_idempotency_keys(
    conn: AsyncConnection, *, now: datetime, created_before: datetime
) -> int:
    return await _purged(
        conn,
        _idempotency,
        sa.or_(_idempotency.c.expires_at <= now, _idempotency.c.created_at < created_before),
    )
