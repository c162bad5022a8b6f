"""SQL of the purge: one DELETE per kind of row, each returning how many it removed."""

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


async def _count(conn: AsyncConnection, statement: sa.Delete) -> int:
    return int((await conn.execute(statement)).rowcount or 0)


async def expired_authorization_codes(conn: AsyncConnection, *, now: datetime) -> int:
    return await _count(conn, sa.delete(_codes).where(_codes.c.expires_at <= now))


async def dead_refresh_tokens(
    conn: AsyncConnection, *, now: datetime, revoked_before: datetime
) -> int:
    """Expired ones, and ones revoked before ``revoked_before`` (refused either way)."""
    return await _count(
        conn,
        sa.delete(_refresh).where(
            sa.or_(_refresh.c.expires_at <= now, _refresh.c.revoked_at <= revoked_before)
        ),
    )


async def expired_revocations(conn: AsyncConnection, *, expired_before: datetime) -> int:
    """Denylisted token ids whose tokens have expired anyway."""
    return await _count(conn, sa.delete(_revoked).where(_revoked.c.expires_at <= expired_before))


async def forgotten_throttles(
    conn: AsyncConnection, *, failures_before: datetime, known_before: datetime
) -> int:
    """Sign-in throttles whose failures are forgotten and whose address is no longer known."""
    return await _count(
        conn,
        sa.delete(_throttles).where(
            throttle_repository.forgotten(
                failures_before=failures_before, known_before=known_before
            )
        ),
    )


async def old_idempotency_keys(
    conn: AsyncConnection, *, now: datetime, created_before: datetime
) -> int:
    return await _count(
        conn,
        sa.delete(_idempotency).where(
            sa.or_(_idempotency.c.expires_at <= now, _idempotency.c.created_at < created_before)
        ),
    )
