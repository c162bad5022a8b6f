"""``LISTEN`` for data-version notifications on a dedicated asyncpg connection.

While the connection is up the cache is on; when it drops the cache goes off (writes of other
workers would go unheard) and the listener reconnects with a growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from lnob_api.cache.repository import next_change_sql
from lnob_api.cache.store import ResponseCache
from lnob_api.cache.writes import CHANNEL

log = logging.getLogger(__name__)


def dsn_of(engine: AsyncEngine) -> str:
    """The engine's database as a libpq URL for asyncpg."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(cache: ResponseCache, engine: AsyncEngine) -> Listener:
    """Start hearing every process's writes for ``cache`` (stop it with ``stop``)."""
    listener = Listener(dsn_of(engine), cache)
    cache.set_next_change(listener.next_change)
    await listener.start()
    return listener


class Listener:
    """Keeps one connection listening on the data-version channel for ``cache``."""

    def __init__(self, dsn: str, cache: ResponseCache) -> None:
        self.dsn = dsn
        self.cache = cache
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._sql = next_change_sql()

    async def start(self) -> None:
        """Connect once now (so the first requests can be cached), then keep it up."""
        cache = self.cache
        cache.deaf()
        with contextlib.suppress(Exception):
            await self._connect()
        self._task = asyncio.create_task(self._keep())

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self.dsn, timeout=5)
        await conn.add_listener(CHANNEL, self._heard)
        conn.add_termination_listener(self._terminated)
        self._conn = conn
        self._lost.clear()
        self.cache.hearing()

    def _heard(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        self.cache.heard(payload)

    def _terminated(self, conn: Any) -> None:
        self.cache.deaf()
        self._conn = None
        self._lost.set()

    async def _keep(self) -> None:
        pause = 0.5
        while True:
            if self._conn is not None and not self._conn.is_closed():
                await self._lost.wait()
                pause = 0.5
                continue
            self.cache.deaf()
            try:
                await self._connect()
            except Exception as exc:  # whatever stops it, the cache stays off and it retries
                log.warning("response cache off: cannot listen for writes (%s)", exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)

    async def next_change(self) -> float | None:
        """Seconds until the next time-driven visibility change (None: none scheduled)."""
        conn = self._conn
        if conn is None:
            return 0.0  # unknown: store nothing
        async with self._lock:
            value = await conn.fetchval(self._sql)
        return None if value is None else float(value)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
        self.cache.deaf()
