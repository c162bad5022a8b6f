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

The writer is woken rather than left polling: a listener that heard a write says so at once on
the acknowledgement channel (``ACK_CHANNEL``: its worker and the version, a notification that
needs no disk flush), before it records it with its renewal; the writer's own listener passes
those on (``Acks``), and the writer is done once every worker that the table shows live and
behind has said it heard. The table stays the fallback (re-read every few milliseconds): a
worker whose acknowledgement went unheard (the writer's listener was reconnecting) counts once
its renewal records what it heard.

Assumed: the database's clock and the workers' monotonic clocks run at about the same rate
(the margin covers a drift of a fifth of the lease) and the database's clock does not jump
forward (a jump would let a writer count a live lease as run out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from lnob_api.cache import writes
from lnob_api.cache.repository import behind_statement
from lnob_api.db.request import Database, EngineDatabase

log = logging.getLogger(__name__)

LEASE = 5.0  # seconds (LNOB_RESPONSE_CACHE_LEASE)
_FIRST_PAUSE = 0.0005
_LONGEST_PAUSE = 0.002  # writes are rare: a poll every 2 ms costs little, and answers sooner
# With acknowledgements heard, the table is only the fallback: re-read less often.
_FIRST_FALLBACK = 0.005
_LONGEST_FALLBACK = 0.025
ACK_CHANNEL = "lnob_data_version_heard"
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


def ack_payload(worker: str, version: int) -> str:
    return f"{worker} {version}"


class Acks:
    """The versions that workers said they heard (``ACK_CHANNEL``), as this process's listener
    receives them: per worker, the highest. Only grows: a worker that heard a version has
    emptied its cache for it, and one that reconnects re-registers at the current version."""

    def __init__(self) -> None:
        self.listening = False  # the listener is connected: acknowledgements arrive
        self.count = 0  # acknowledgements received (a writer waits for the next one)
        self._heard: dict[str, int] = {}
        self._woken: list[asyncio.Future[None]] = []

    def heard_by(self, worker: str) -> int:
        return self._heard.get(worker, 0)

    def received(self, payload: str) -> None:
        worker, _, version = payload.rpartition(" ")
        if not worker or not version.isdigit():
            return
        if int(version) > self._heard.get(worker, 0):
            self._heard[worker] = int(version)
        self.count += 1
        woken, self._woken = self._woken, []
        for future in woken:
            if not future.done():
                future.set_result(None)

    async def until_heard(
        self, workers: list[str], version: int, seen: int, until: float
    ) -> list[str]:
        """Wait (until ``until``, monotonic) for ``workers`` to say they heard ``version``
        (acknowledgements counted from ``seen``); those that have not."""
        behind = [w for w in workers if self.heard_by(w) < version]
        while behind and (now := time.monotonic()) < until:
            await self.after(seen, until - now)
            seen = self.count
            behind = [w for w in behind if self.heard_by(w) < version]
        return behind

    async def after(self, count: int, within: float) -> None:
        """Return once more than ``count`` acknowledgements arrived, or after ``within``
        seconds."""
        if self.count > count or within <= 0:
            return
        future = asyncio.get_running_loop().create_future()
        self._woken.append(future)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(future, within)
        finally:
            if future in self._woken:
                self._woken.remove(future)


class Waiter:
    """Waits until every worker whose lease runs has heard a data version."""

    def __init__(self, database: Database, *, lease: float = LEASE) -> None:
        self.database = database
        self.lease = lease
        self.acks = Acks()  # filled by this process's listener, if it has one
        self.waits = 0  # writes waited for (figures, tests)

    async def wait(self, version: int) -> None:
        """Return once no live worker is behind ``version``, or after the lease (with a second
        for the renewals' trips): by then a worker that has not heard it distrusts its cache."""
        self.waits += 1
        started = time.monotonic()
        limit = started + self.lease + 1.0
        pause, fallback = _FIRST_PAUSE, _FIRST_FALLBACK
        acks = self.acks
        while True:
            seen = acks.count
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
            behind = [w for w in behind if acks.heard_by(w) < version]
            if not behind:
                return
            now = time.monotonic()
            if now >= limit:
                log.warning("%d worker(s) still behind data version %d", len(behind), version)
                return
            if not acks.listening:
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            # Woken by each acknowledgement; the table read again only as the fallback.
            if not await acks.until_heard(behind, version, seen, min(limit, now + fallback)):
                return
            fallback = min(fallback * 2, _LONGEST_FALLBACK)

    async def heard(self, versions: list[int]) -> None:
        """Wait for the newest of ``versions`` (the commits of one request or command), if any."""
        if versions:
            newest = max(versions)
            versions.clear()
            await self.wait(newest)

    async def _behind(self, version: int) -> list[str]:
        opened = getattr(self.database, "statement", None) or self.database.transaction
        async with opened() as conn:
            return list((await conn.execute(behind_statement(version))).scalars())


@asynccontextmanager
async def acknowledged(engine: AsyncEngine, *, lease: float) -> AsyncIterator[None]:
    """An operator's command (``lnob-api`` admin commands, ``seed``): what commits inside is
    done once every serving worker has heard it, as an HTTP answer is (``Waiter``)."""
    with writes.collecting() as versions:
        yield
        await Waiter(EngineDatabase(engine), lease=lease).heard(versions)


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
