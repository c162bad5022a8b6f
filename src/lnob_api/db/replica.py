"""Read replicas: read-only requests on a streaming replica, everything else on the primary.

With ``DATABASE_READ_URL`` set, the app's database is a :class:`RoutedDatabase`. A request
keeps one transaction on one server, chosen when it opens its connection:

- read-only work goes to the replica: GraphQL queries (the GraphQL layer says so with
  ``RequestDb.read_only``) and the read routes (exports, SDMX, the catalog), marked by
  :class:`ReadRoutes` for the ``transaction()`` calls they make;
- everything else goes to the primary: mutations, token issuing and sign-in, audit, the token
  checks of the authentication (a revoked token stops working at once), health checks;
- read-your-writes: after a principal's write (a GraphQL mutation), its reads stay on the
  primary for ``read_your_writes`` seconds, so it never reads an older state than it wrote.
  Who wrote when is kept in this process and, with ``REDIS_URL``, in Redis, so that every API
  process knows it. Without Redis each process only knows its own principals' writes.
  Anonymous callers cannot write; they always read from the replica.

A replica that cannot be reached costs nothing but its speed: reads fall back to the primary
(one log line), and the replica is tried again a few seconds later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lnob_api.config import Settings
from lnob_api.db import availability
from lnob_api.db.engine import Timeouts, create_engine
from lnob_api.observability.outage import Outage

if TYPE_CHECKING:
    from lnob_api.db.request import Database, EngineDatabase

_log = logging.getLogger("lnob_api.db.replica")

RETRY_REPLICA_AFTER = 5.0
REDIS_TIMEOUT = 0.5
MAX_LOCAL_WRITERS = 100_000

# Set for the duration of a read route's request: whose reads these are (None: anonymous).
_READS: ContextVar[tuple[str | None] | None] = ContextVar("lnob_reads", default=None)


class RecentWrites:
    """When each principal last wrote, for ``window`` seconds: in the process, and in Redis
    (a key per writer that expires with the window) when a URL is given. When Redis does not
    answer, every signed-in principal counts as a recent writer (reads on the primary) until
    it answers again: stale reads are never the price of an outage."""

    def __init__(
        self,
        window: float,
        *,
        redis_url: str | None = None,
        prefix: str = "lnob:",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.clock = clock
        self.prefix = f"{prefix}wrote:"
        self.local: dict[str, float] = {}
        self.redis: Any = None
        self._errors: tuple[type[BaseException], ...] = (TimeoutError, OSError)
        if redis_url:
            # Imported only when configured: redis-py adds ~7.6 MiB to every worker's RSS.
            import redis.asyncio as aioredis
            from redis.exceptions import RedisError

            self.redis = aioredis.from_url(
                redis_url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
            )
            self._errors = (TimeoutError, OSError, RedisError)
        self._redis = Outage(
            _log,
            "read replica: Redis unreachable (%s: %s); signed-in principals read from the"
            " primary until it answers",
            "read replica: Redis answers again",
        )

    async def note(self, who: str) -> None:
        """``who`` has just written."""
        if self.window <= 0:
            return
        now = self.clock()
        self.local[who] = now + self.window
        if len(self.local) > MAX_LOCAL_WRITERS:
            self.local = {k: until for k, until in self.local.items() if until > now}
        if self.redis is not None:
            try:
                await self.redis.set(self.prefix + who, "1", px=max(1, round(self.window * 1000)))
            except self._errors as error:
                self._redis.failed(type(error).__name__, error)
            else:
                self._redis.answered()

    async def recent(self, who: str) -> bool:
        """Whether ``who`` wrote within the window (here or, with Redis, in any process)."""
        if self.window <= 0:
            return False
        until = self.local.get(who)
        if until is not None:
            if until > self.clock():
                return True
            del self.local[who]
        if self.redis is None:
            return False
        try:
            found = bool(await self.redis.exists(self.prefix + who))
        except self._errors as error:
            self._redis.failed(type(error).__name__, error)
            return True
        self._redis.answered()
        return found

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


class RoutedDatabase:
    """The primary for ``transaction()``; the replica for reads (:meth:`for_reads`) unless
    their principal wrote recently or the replica cannot be reached."""

    def __init__(
        self, primary: EngineDatabase, replica: EngineDatabase, writes: RecentWrites
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.writes = writes
        self._replica = _ReplicaReads(self)
        self._down_until = 0.0
        self._outage = Outage(
            _log,
            "read replica unreachable (%s); reads go to the primary until it answers",
            "read replica answers again; reads go to it",
        )
        # Server processes of the replica's open transactions: a cancel by pid (an abandoned
        # export) must reach the server the statement runs on.
        self.replica_pids: set[int] = set()

    def transaction(self) -> AbstractAsyncContextManager[AsyncConnection]:
        reads = _READS.get()
        if reads is not None:  # a read route: exports, SDMX, catalog
            return self._deferred(reads[0])
        return self.primary.transaction()

    def statement(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """One read statement in autocommit (``EngineDatabase.statement``) on the primary: the
        bearer check (a revoked token stops working at once). A read route's work stays in
        its transaction, where ``transaction()`` sends it."""
        if _READS.get() is not None:
            return self.transaction()
        return self.primary.statement()

    def driver_statement(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """As :meth:`statement`, for one statement asyncpg runs itself."""
        if _READS.get() is not None:
            return self.transaction()
        return self.primary.driver_statement()

    @asynccontextmanager
    async def _deferred(self, who: str | None) -> AsyncIterator[AsyncConnection]:
        target = await self.for_reads(who)
        async with target.transaction() as conn:
            yield conn

    async def cancel_backend(self, pid: int) -> None:
        if pid in self.replica_pids:
            await self.replica.cancel_backend(pid)
        else:
            await self.primary.cancel_backend(pid)

    async def for_reads(self, who: str | None) -> Database:
        """Where a read-only request of ``who`` runs."""
        if who is not None and await self.writes.recent(who):
            return self.primary
        if time.monotonic() < self._down_until:
            return self.primary
        return self._replica

    async def wrote(self, who: str) -> None:
        await self.writes.note(who)

    async def close(self) -> None:
        await self.writes.close()

    def _replica_down(self, error: BaseException) -> None:
        self._down_until = time.monotonic() + RETRY_REPLICA_AFTER
        self._outage.failed(availability.one_line(error))

    def _replica_up(self) -> None:
        self._outage.answered()


class _ReplicaReads:
    """The replica as a :class:`Database`, falling back to the primary when it cannot open a
    transaction (the request has run nothing yet, so nothing is lost)."""

    def __init__(self, routed: RoutedDatabase) -> None:
        self.routed = routed

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        cm = self.routed.replica.transaction()
        try:
            conn = await cm.__aenter__()
        except Exception as error:
            if availability.failure_of(error) is None:
                raise
            self.routed._replica_down(error)
            async with self.routed.primary.transaction() as conn:
                yield conn
            return
        self.routed._replica_up()
        raw = await conn.get_raw_connection()
        pid: int = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
        self.routed.replica_pids.add(pid)
        try:
            yield conn
        except BaseException as error:
            if not await cm.__aexit__(type(error), error, error.__traceback__):
                raise
        else:
            await cm.__aexit__(None, None, None)
        finally:
            self.routed.replica_pids.discard(pid)

    async def cancel_backend(self, pid: int) -> None:
        await self.routed.replica.cancel_backend(pid)


async def for_reads(database: Database, who: str | None) -> Database:
    """The database a read-only request of ``who`` should use: ``database`` itself unless it
    routes reads (a :class:`RoutedDatabase`, or the app's holder of one)."""
    route = getattr(database, "for_reads", None)
    if route is None:
        return database
    chosen: Database = await route(who)
    return chosen


async def note_write(database: Database, who: str | None) -> None:
    """``who`` wrote: keep its reads on the primary for a while (a no-op without replicas)."""
    wrote = getattr(database, "wrote", None)
    if who is not None and wrote is not None:
        await wrote(who)


class ReadRoutes:
    """ASGI middleware: requests to the read routes (``GET``/``HEAD`` under ``prefixes``) mark
    their database work as reads of their principal, so that ``RoutedDatabase.transaction()``
    sends it to the replica. ``who`` turns the request's principal into a writer key. Without
    a replica nothing changes: only a ``RoutedDatabase`` reads the mark."""

    def __init__(
        self, app: Any, *, prefixes: Sequence[str], who: Callable[[Any], str | None]
    ) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.who = who

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") not in ("GET", "HEAD")
            or not scope.get("path", "").startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        principal = (scope.get("state") or {}).get("principal")
        token = _READS.set((self.who(principal) if principal is not None else None,))
        try:
            await self.app(scope, receive, send)
        finally:
            _READS.reset(token)


def open_database(
    settings: Settings, primary: AsyncEngine
) -> tuple[Database, Callable[[], Awaitable[None]]]:
    """The app's database over the ``primary`` engine: routed to a read replica when
    ``DATABASE_READ_URL`` is set; with the function that closes what this opened."""
    from lnob_api.db.request import EngineDatabase

    if settings.database_read_url is None:

        async def nothing() -> None:
            return None

        return EngineDatabase(primary), nothing
    replica_engine = create_engine(
        settings.database_read_url,
        pool_size=settings.db_pool_size,
        timeouts=Timeouts.of(settings),
    )
    writes = RecentWrites(
        settings.read_your_writes, redis_url=settings.redis_url, prefix=settings.redis_prefix
    )
    routed = RoutedDatabase(EngineDatabase(primary), EngineDatabase(replica_engine), writes)

    async def close() -> None:
        await writes.close()
        await replica_engine.dispose()

    return routed, close
