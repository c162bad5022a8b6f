"""``LISTEN`` for data-version notifications on a dedicated asyncpg connection, and this
worker's lease (``cache.leases``) renewed on the same connection.

While the connection is up and the lease runs the cache is on; when it drops the cache goes off
(writes of other workers would go unheard) and the listener reconnects with a growing pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from lnob_api.cache import leases
from lnob_api.cache.repository import FORGET_GONE_SQL, RELEASE_SQL, RENEW_SQL, next_change_sql
from lnob_api.cache.store import ResponseCache
from lnob_api.cache.writes import CHANNEL, parse

log = logging.getLogger(__name__)
_ACK_SQL = "SELECT pg_notify($1, $2)"


def dsn_of(engine: AsyncEngine) -> str:
    """The engine's database as a libpq URL for asyncpg."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(
    cache: ResponseCache,
    engine: AsyncEngine,
    *,
    lease: float = leases.LEASE,
    acks: leases.Acks | None = None,
) -> Listener:
    """Start hearing every process's writes for ``cache`` (stop it with ``stop``), and the
    workers' acknowledgements for this process's writer (``acks``)."""
    listener = Listener(dsn_of(engine), cache, lease=lease, acks=acks)
    cache.set_next_change(listener.next_change)
    await listener.start()
    return listener


class Listener:
    """Keeps one connection listening on the data-version channel for ``cache``, and this
    worker's lease renewed: every third of the lease, and at once after hearing a write (a
    writer waits for it: the listener first acknowledges on ``leases.ACK_CHANNEL``)."""

    def __init__(
        self,
        dsn: str,
        cache: ResponseCache,
        *,
        lease: float = leases.LEASE,
        acks: leases.Acks | None = None,
    ) -> None:
        self.dsn = dsn
        self.cache = cache
        self.lease = lease
        self.acks = acks if acks is not None else leases.Acks()
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.heard = 0  # the highest data version heard on the current connection
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._news = asyncio.Event()  # something heard: report it (and renew)
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
        try:
            await conn.add_listener(CHANNEL, self._heard)
            await conn.add_listener(leases.ACK_CHANNEL, self._acked)
            conn.add_termination_listener(self._terminated)
            self._conn = conn
            self._lost.clear()
            await conn.execute(FORGET_GONE_SQL)
            # Listening from now on: every write committed later is heard; what committed
            # before is in the database the cache is emptied for (``hearing``).
            self.heard = 0
            await self._renew(register=True)
        except BaseException:
            self._conn = None
            conn.terminate()
            raise
        self.cache.hearing()
        self.acks.listening = True

    def _heard(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        token, version = parse(payload)
        self.cache.heard(token)  # first: the cache forgets, then the lease may say so
        if version is not None and version > self.heard:
            self.heard = version
            self._news.set()

    def _acked(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        self.acks.received(payload)

    def _terminated(self, conn: Any) -> None:
        self.acks.listening = False
        self.cache.deaf()
        self._conn = None
        self._lost.set()

    async def _renew(self, *, register: bool = False) -> None:
        """Report what was heard and extend the lease, if every write committed before this
        statement has been heard (``RENEW_SQL``); the worker trusts its cache until a margin
        before the lease ends, counted from before the statement was sent."""
        conn = self._conn
        if conn is None:
            return
        heard = None if register else self.heard
        sent = time.monotonic()
        async with self._lock:
            row = await conn.fetchrow(RENEW_SQL, self.worker, heard, self.lease, timeout=self.lease)
        assert row is not None
        if register:
            heard = int(row["heard"])
            self.heard = max(self.heard, heard)
        # As the database decided: the lease there was extended only if what was sent covers
        # the version (what was heard since is reported by the next renewal).
        if heard is not None and heard >= int(row["version"]):
            self.cache.leased_until(sent + leases.trusted_for(self.lease))

    async def _keep(self) -> None:
        pause = 0.5
        while True:
            conn = self._conn
            if conn is not None and not conn.is_closed():
                try:
                    await self._renewing()
                except Exception as exc:  # the lease could not be renewed: start again
                    log.warning("response cache off: cannot renew its lease (%s)", exc)
                    self._drop(conn)
                pause = 0.5
                continue
            self.acks.listening = False
            self.cache.deaf()
            try:
                await self._connect()
            except Exception as exc:  # whatever stops it, the cache stays off and it retries
                log.warning("response cache off: cannot listen for writes (%s)", exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)

    async def _renewing(self) -> None:
        """Renew every third of the lease, or at once when something was heard; return when
        the connection is lost."""
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            while not self._lost.is_set():
                news = asyncio.ensure_future(self._news.wait())
                try:
                    await asyncio.wait(
                        (lost, news),
                        timeout=self.lease / 3,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    news.cancel()
                if self._lost.is_set():
                    return
                if self._news.is_set():
                    self._news.clear()
                    await self._acknowledge()
                await self._renew()
        finally:
            lost.cancel()

    async def _acknowledge(self) -> None:
        """Tell the writers what this worker heard (its cache emptied for it already): a
        notification, which needs no disk flush; the renewal that follows records it."""
        conn = self._conn
        if conn is None:
            return
        payload = leases.ack_payload(self.worker, self.heard)
        async with self._lock:
            await conn.execute(_ACK_SQL, leases.ACK_CHANNEL, payload, timeout=self.lease)

    def _drop(self, conn: asyncpg.Connection) -> None:
        self.acks.listening = False
        self.cache.deaf()
        self._conn = None
        conn.terminate()
        self._lost.set()

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
        self.acks.listening = False
        self.cache.deaf()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):  # writers need not wait for it any more
                async with self._lock:
                    await conn.execute(RELEASE_SQL, self.worker)
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
