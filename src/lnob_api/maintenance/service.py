"""The purge: what may go, and when (``lnob-api purge``; the server's periodic task).

- authorization codes past their expiry (minutes after they were issued; refused anyway);
- refresh tokens past their expiry, or revoked more than ``REVOKED_KEPT`` ago;
- revoked token ids (the ``jti`` denylist) whose token expired more than the validation leeway
  ago: the token is refused for its expiry anyway;
- sign-in throttles whose failures are forgotten (``throttle.MEMORY``) and whose address no
  longer counts as known (``throttle.KNOWN_ADDRESS``): the same rows sign-ins prune now and then;
- idempotency keys past their expiry or older than 24 hours (their lifetime).

Every rule deletes only rows that no check reads any more, so purging changes no answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth import throttle
from lnob_api.auth.tokens import LEEWAY
from lnob_api.db.request import Database
from lnob_api.idempotency.service import LIFETIME as IDEMPOTENCY_LIFETIME
from lnob_api.maintenance import repository as repo

_log = logging.getLogger(__name__)

REVOKED_KEPT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """How many rows of each kind were removed (all zero when another purge held the lock)."""

    authorization_codes: int = 0
    refresh_tokens: int = 0
    revoked_tokens: int = 0
    login_throttles: int = 0
    idempotency_keys: int = 0
    skipped: bool = False

    @property
    def total(self) -> int:
        return sum(v for k, v in asdict(self).items() if k != "skipped")

    def __str__(self) -> str:
        if self.skipped:
            return "purge skipped: another purge is running"
        counts = ", ".join(
            f"{v} {k.replace('_', ' ')}" for k, v in asdict(self).items() if k != "skipped"
        )
        return f"purged {counts}"


async def purge(conn: AsyncConnection, *, now: datetime | None = None) -> PurgeReport:
    """Delete what no rule needs any more, in the caller's transaction. Never commits."""
    moment = now or datetime.now(UTC)
    if not await repo.try_lock(conn):
        return PurgeReport(skipped=True)
    return PurgeReport(
        authorization_codes=await repo.expired_authorization_codes(conn, now=moment),
        refresh_tokens=await repo.dead_refresh_tokens(
            conn, now=moment, revoked_before=moment - REVOKED_KEPT
        ),
        revoked_tokens=await repo.expired_revocations(
            conn, expired_before=moment - timedelta(seconds=LEEWAY)
        ),
        login_throttles=await repo.forgotten_throttles(
            conn,
            failures_before=moment - throttle.MEMORY,
            known_before=moment - throttle.KNOWN_ADDRESS,
        ),
        idempotency_keys=await repo.old_idempotency_keys(
            conn, now=moment, created_before=moment - IDEMPOTENCY_LIFETIME
        ),
    )


async def purge_once(database: Database) -> PurgeReport | None:
    """One purge in a transaction of its own; None (after a warning) when it failed."""
    try:
        async with database.transaction() as conn:
            report = await purge(conn)
    except (SQLAlchemyError, OSError) as exc:
        _log.warning("purge failed: %s", exc)
        return None
    if report.total:
        _log.info("%s", report)
    return report


async def run_periodically(database: Database, interval: float) -> None:
    """Purge every ``interval`` seconds until cancelled (the first run after one interval).
    Its commits announce themselves as every write does, but nothing waits for every worker to
    hear them (``cache.leases``): nobody is answered, and purging changes no answer. A purge
    that finds nothing to remove sends no DELETE, so it announces nothing (``repository``)."""
    while True:
        await asyncio.sleep(interval)
        await purge_once(database)


def start(database: Database, interval: float) -> asyncio.Task[None] | None:
    """The server's periodic purge task, or None when ``interval`` is 0 (off)."""
    if interval <= 0:
        return None
    return asyncio.create_task(run_periodically(database, interval), name="lnob-purge")


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
