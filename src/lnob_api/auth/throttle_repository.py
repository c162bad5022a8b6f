"""SQL of the sign-in throttle: one row per (account, client address), and one per account
across addresses (address ``*``). Times come from the caller (see ``auth.repository``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.db.rows import first
from lnob_api.models.tables import login_throttles as _throttles

EVERY_ADDRESS = "*"


@dataclass(frozen=True, slots=True)
class ThrottleRow:
    failures: int
    last_failure_at: datetime | None
    next_attempt_at: datetime | None
    last_success_at: datetime | None


_COLUMNS = (
    _throttles.c.failures,
    _throttles.c.last_failure_at,
    _throttles.c.next_attempt_at,
    _throttles.c.last_success_at,
)


def _key(account: str, address: str) -> sa.ColumnElement[bool]:
    return sa.and_(_throttles.c.account == account, _throttles.c.address == address)


async def lock(conn: AsyncConnection, account: str, address: str) -> ThrottleRow:
    """The (account, address) row, created if new and locked until the transaction ends, so
    that parallel attempts from one address are checked one after the other."""
    await conn.execute(
        pg.insert(_throttles)
        .values(account=account, address=address)
        .on_conflict_do_nothing(index_elements=[_throttles.c.account, _throttles.c.address])
    )
    stmt = sa.select(*_COLUMNS).where(_key(account, address)).with_for_update()
    return ThrottleRow(**(await conn.execute(stmt)).mappings().one())


async def account_wide(conn: AsyncConnection, account: str) -> ThrottleRow | None:
    """The account's row across addresses (not locked: the ceiling tolerates a race)."""
    stmt = sa.select(*_COLUMNS).where(_key(account, EVERY_ADDRESS))
    return await first(conn, stmt, ThrottleRow)


async def save_failure(
    conn: AsyncConnection,
    account: str,
    address: str,
    *,
    failures: int,
    now: datetime,
    next_attempt_at: datetime | None,
) -> None:
    """Store a failure count and the moment before which no attempt is checked (upsert)."""
    values = {
        "failures": failures,
        "last_failure_at": now,
        "next_attempt_at": next_attempt_at,
    }
    stmt = pg.insert(_throttles).values(account=account, address=address, **values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[_throttles.c.account, _throttles.c.address], set_=values
        )
    )


async def save_success(conn: AsyncConnection, account: str, address: str, *, now: datetime) -> None:
    """Forget the account's failures (from this address and across addresses) and remember
    that this address signed in."""
    await conn.execute(
        sa.update(_throttles)
        .where(_key(account, address))
        .values(failures=0, next_attempt_at=None, last_success_at=now)
    )
    await conn.execute(sa.delete(_throttles).where(_key(account, EVERY_ADDRESS)))


async def clear(conn: AsyncConnection, account: str) -> int:
    """Drop every failure and delay of an account (the addresses it signed in from stay
    known); returns how many rows held failures or a delay."""
    held = sa.or_(_throttles.c.failures > 0, _throttles.c.next_attempt_at.is_not(None))
    result = await conn.execute(
        sa.update(_throttles)
        .where(_throttles.c.account == account, held)
        .values(failures=0, next_attempt_at=None)
    )
    return int(result.rowcount)


async def prune(
    conn: AsyncConnection, *, failures_before: datetime, known_before: datetime
) -> None:
    """Drop rows whose failures are forgotten and whose address is no longer remembered."""
    await conn.execute(
        sa.delete(_throttles).where(
            forgotten(failures_before=failures_before, known_before=known_before)
        )
    )


def forgotten(*, failures_before: datetime, known_before: datetime) -> sa.ColumnElement[bool]:
    """Rows with no failure since ``failures_before`` and no sign-in since ``known_before``:
    they hold nothing the throttle still needs (its own pruning and the purge drop them)."""
    return sa.and_(
        sa.or_(
            _throttles.c.last_failure_at.is_(None),
            _throttles.c.last_failure_at < failures_before,
        ),
        sa.or_(
            _throttles.c.last_success_at.is_(None),
            _throttles.c.last_success_at < known_before,
        ),
    )
