"""A write is acknowledged only once every live worker has heard it.

Every worker's listener (``cache.listener``) keeps a row in ``cache_listeners``: the highest
data version it has heard and a lease (database time). It renews the lease every third of its
length and at once after hearing a write, and the lease is extended only when the worker has
heard every write committed before the renewal began (``repository.RENEW_SQL``). The worker
trusts its cache, and the remembered bearer checks of its tokens, only until a margin before
its lease ends (its own monotonic clock, counted from before the renewal was sent), and only
while its listener is connected.

A request that committed writes (``writes.collecting``) starts its response only once no
worker whose lease still runs is behind the newest version it committed (``Waiter``). Either
way, every worker then answers the next request from what the write left: one that heard it
has emptied its cache; one that did not has a lease that ran out, and distrusts its cache and
its remembered checks (a statement per request, as without a cache). The wait is bounded by
the lease: a worker that died keeps no one waiting for longer.

Assumed: the database's clock and the workers' monotonic clocks run at about the same rate
(the margin covers a drift of a fifth of the lease) and the database's clock does not jump
forward (a jump would let a writer count a live lease as run out).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from lnob_api.cache import writes
from lnob_api.cache.repository import behind_statement
from lnob_api.db.request import Database

log = logging.getLogger(__name__)

LEASE = 5.0  # seconds (LNOB_RESPONSE_CACHE_LEASE)
_FIRST_PAUSE = 0.0005
_LONGEST_PAUSE = 0.002  # writes are rare: a poll every 2 ms costs little, and answers sooner
_UNDEFINED_TABLE = "42P01"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def trusted_for(lease: float) -> float:
    """How long after sending a renewal its worker trusts its cache: the lease less a margin
    for the clocks' drift and for the renewal's own trip."""
    return lease - max(0.25, lease / 5)


class Waiter:
    """Waits until every worker whose lease runs has heard a data version."""

    def __init__(self, database: Database, *, lease: float = LEASE) -> None:
        self.database = database
        self.lease = lease
        self.waits = 0  # writes waited for (figures, tests)

    async def wait(self, version: int) -> None:
        """Return once no live worker is behind ``version``, or after the lease (with a second
        for the renewals' trips): by then a worker that has not heard it distrusts its cache."""
        self.waits += 1
        started = time.monotonic()
        limit = started + self.lease + 1.0
        pause = _FIRST_PAUSE
        while True:
            try:  # bounded too: a database that stopped answering keeps no one past the lease
                behind = await asyncio.wait_for(
                    self._behind(version), max(0.001, limit - time.monotonic())
                )
            except Exception as exc:
                if _sqlstate(exc) == _UNDEFINED_TABLE:
                    return  # not migrated: no worker can hold a lease
                log.warning("cannot see whether every worker heard a write (%s): waiting", exc)
                await asyncio.sleep(max(0.0, limit - time.monotonic()))
                return
            if not behind:
                return
            if time.monotonic() >= limit:
                log.warning("%d worker(s) still behind data version %d", behind, version)
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)

    async def heard(self, versions: list[int]) -> None:
        """Wait for the newest of ``versions`` (the commits of one request or command), if any."""
        if versions:
            newest = max(versions)
            versions.clear()
            await self.wait(newest)

    async def _behind(self, version: int) -> int:
        opened = getattr(self.database, "statement", None) or self.database.transaction
        async with opened() as conn:
            return int((await conn.execute(behind_statement(version))).scalar() or 0)


class AcknowledgeWhenHeard:
    """ASGI middleware: the response of a request that committed writes starts only once
    every live worker has heard them (``Waiter``)."""

    def __init__(self, app: ASGIApp, *, waiter: Waiter) -> None:
        self.app = app
        self.waiter = waiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with writes.collecting() as versions:

            async def acknowledging(message: Message) -> None:
                if versions:  # committed before this part of the answer: heard first
                    await self.waiter.heard(versions)
                await send(message)

            await self.app(scope, receive, acknowledging)


def _sqlstate(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str):
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None
