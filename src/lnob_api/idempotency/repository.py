"""Idempotency-key SQL: claim a key, read it, store the first response."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.models.tables import idempotency_keys as keys


class StoredKey(NamedTuple):
    id: int
    request_hash: str
    response: dict[str, Any] | None


async def drop_expired(session: AsyncSession, principal: str, *, now: datetime) -> None:
    """Forget the principal's expired keys (so an expired key can be used again)."""
    await session.execute(
        sa.delete(keys).where(keys.c.principal == principal, keys.c.expires_at <= now)
    )


async def claim(
    session: AsyncSession, principal: str, key: str, request_hash: str, *, expires_at: datetime
) -> int | None:
    """Insert the key for this request; None when it exists. A concurrent request holding the
    same key uncommitted makes this wait (the unique index) until it commits or rolls back."""
    stmt = (
        pg_insert(keys)
        .values(principal=principal, key=key, request_hash=request_hash, expires_at=expires_at)
        .on_conflict_do_nothing(constraint="uq_idempotency_keys_principal_key")
        .returning(keys.c.id)
    )
    found = (await session.execute(stmt)).scalar()
    return int(found) if found is not None else None


async def stored(session: AsyncSession, principal: str, key: str) -> StoredKey | None:
    row = (
        await session.execute(
            sa.select(keys.c.id, keys.c.request_hash, keys.c.response).where(
                keys.c.principal == principal, keys.c.key == key
            )
        )
    ).first()
    return StoredKey(int(row.id), row.request_hash, row.response) if row is not None else None


async def delete(session: AsyncSession, key_id: int) -> None:
    await session.execute(sa.delete(keys).where(keys.c.id == key_id))


async def save_response(session: AsyncSession, key_id: int, response: dict[str, Any]) -> None:
    await session.execute(sa.update(keys).where(keys.c.id == key_id).values(response=response))
