"""Per-request database access.

One transaction per request on one connection, acquired lazily and released when the GraphQL
operation ends. Strawberry resolves sibling fields concurrently while an asyncpg connection runs
one statement at a time, so statements are serialised deliberately with a lock. This also gives
each request one consistent view (a list and its ``totalCount`` agree) and lets tests run the
app inside a transaction they roll back.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import Executable, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from lnob_api.db import availability, replica
from lnob_api.observability import metrics

Row = Mapping[str, Any]
T = TypeVar("T")

SHELF_IDLE = 0.5  # seconds without a one-statement read before shelved connections go back
SHELF_HOLD = 60.0  # seconds a connection stays off the pool at most (pool_recycle applies)
# Seconds a driver connection whose statement was cancelled by its task's cancellation waits
# for the server to end it (asyncpg's own cancel request) before it is given up.
SETTLE_WAIT = 5.0
# The one-statement read of ``RequestDb.driver_row`` runs in its caller's task, not in a task
# of its own under asyncio.shield (False: shielded, for the A/B of bench/request_profile.py
# --ab runner).
IN_TASK = True


class Database(Protocol):
    """Where requests get their transaction from."""

    def transaction(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


class EngineDatabase:
    """Production: a pooled connection and a real transaction per request."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        pool: Any = engine.sync_engine.pool
        # Driver connections kept checked out between one-statement reads (``raw_statement``):
        # a pool checkout and checkin with their events cost more Python than the statement.
        # At most ``shelf_size``, each for at most SHELF_HOLD seconds; all given back to the pool
        # once none was used for SHELF_IDLE seconds, and whenever the pool has no idle
        # connection left for another checkout. 0: every read checks out of the pool.
        self._pool = pool if hasattr(pool, "checkedin") else None
        self.shelf_size = max(1, pool.size() // 2) if self._pool is not None else 0
        self._shelf: list[tuple[Any, float]] = []  # (proxied connection, first checked out)
        self._shelf_used = False
        self._sweeping: asyncio.TimerHandle | None = None
        # The pool gauges count shelved connections as shelved, not checked out (``/metrics``).
        self._watch = metrics.pool_watch(engine)
        if self._pool is not None:
            held = weakref.ref(self)

            def disposed(_engine: Any) -> None:  # run by ``engine.dispose()``, in its greenlet
                database = held()
                if database is not None:
                    database._disposed()

            event.listen(engine.sync_engine, "engine_disposed", disposed)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        await self._spare()
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection for a request whose whole work is one read statement: in
        autocommit, so that neither BEGIN nor COMMIT costs a round trip (one statement is its
        own transaction, with one snapshot, as in the transaction it replaces)."""
        await self._spare()
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def driver_statement(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection for one statement that asyncpg runs itself
        (``RequestDb.driver_first``): no transaction and no isolation setting to change, since
        SQLAlchemy sends nothing on it (the statement is its own transaction)."""
        await self._spare()
        async with self.engine.connect() as conn:
            try:
                yield conn
            except BaseException:
                # The pool never saw the driver's failure (SQLAlchemy did not run the
                # statement): a connection left mid-operation must not serve the next request.
                await conn.invalidate()
                raise

    @asynccontextmanager
    async def raw_statement(self) -> AsyncIterator[Any]:
        """The driver's own connection (asyncpg), checked out of the engine's pool, for a
        request whose whole work is one read statement run by the driver (the compiled read
        path, ``RequestDb.driver_row``): not even the SQLAlchemy Connection of
        ``driver_statement`` around it. The driver runs a
        statement without BEGIN in autocommit; the connection carries the engine's settings
        (``statement_timeout``, ``plan_cache_mode``...) from its connect. Kept on a shelf for
        the next such read (see ``__init__``) or released to the pool as it came (no
        transaction was opened, so its reset sends nothing); one whose socket closed is
        invalidated, and the pool opens a fresh one."""
        proxied, since = self._shelved()
        if proxied is None:
            proxied, since = await self.engine.raw_connection(), time.monotonic()
        driver: Any = proxied.driver_connection
        try:
            yield driver
        except asyncio.CancelledError:
            # The statement's task was cancelled (its client left, its deadline passed):
            # asyncpg has sent the server a cancel request of its own, and the connection is
            # fit for the next request once the server has ended the statement.
            self._settle(proxied, since)
            raise
        except BaseException:
            # A failed statement may leave the driver mid-operation (a timeout, a server
            # that went away): never hand that connection to the next request. (One cancelled
            # because its client left, once the server answered the cancel, is not failed:
            # ``RequestDb._direct`` ends it as a success.)
            proxied.invalidate()
            raise
        await self._give_back(proxied, since)

    async def _give_back(self, proxied: Any, since: float) -> None:
        """A driver connection done with its statement: onto the shelf, or to the pool."""
        if proxied.driver_connection.is_closed():
            proxied.invalidate()
        elif len(self._shelf) < self.shelf_size and time.monotonic() - since < SHELF_HOLD:
            self._shelf.append((proxied, since))
            self._counted(1)
            if self._sweeping is None:
                self._sweeping = asyncio.get_running_loop().call_later(SHELF_IDLE, self._sweep)
        else:
            await self._checkin([proxied])

    def _settle(self, proxied: Any, since: float) -> None:
        """Give back, once the server has ended it (or invalidate), a driver connection whose
        statement was cancelled mid-flight: off the request's way, since the request that ran
        it is being cancelled too."""
        task = asyncio.ensure_future(self._settled(proxied, since))
        _settling.add(task)
        task.add_done_callback(_settling.discard)

    async def _settled(self, proxied: Any, since: float) -> None:
        driver: Any = proxied.driver_connection
        try:
            # asyncpg's own wait: for its cancel request to be sent and the statement's end
            # to arrive (it terminates the connection when that takes longer than the bound),
            # then for its cancel task to finish.
            await driver._protocol._wait_for_cancellation(SETTLE_WAIT)
            pending = set(getattr(driver, "_cancellations", ()))
            if pending:
                await asyncio.wait(pending, timeout=SETTLE_WAIT)
        except Exception:
            proxied.invalidate()
            return
        except BaseException:
            proxied.invalidate()
            raise
        if _idle(driver):
            await self._give_back(proxied, since)
        else:
            proxied.invalidate()

    def _shelved(self) -> tuple[Any, float]:
        """A shelved driver connection still open (and when it left the pool), or None."""
        self._shelf_used = True
        while self._shelf:
            proxied, since = self._shelf.pop()
            self._counted(-1)
            if not proxied.driver_connection.is_closed():
                return proxied, since
            proxied.invalidate()  # its socket closed while shelved (as ``_drop_closed``)
        return None, 0.0

    def _disposed(self) -> None:
        """The engine's pool was disposed (and replaced): shelved connections are closed."""
        shelved, self._shelf = self._shelf, []
        self._pool = self.engine.sync_engine.pool
        self._counted(-len(shelved))
        for proxied, _ in shelved:
            proxied.invalidate()

    def _sweep(self) -> None:
        """Every SHELF_IDLE seconds while connections are shelved: give them all back once
        none was used since the last sweep."""
        self._sweeping = None
        if not self._shelf:
            return
        if self._shelf_used:
            self._shelf_used = False
            self._sweeping = asyncio.get_running_loop().call_later(SHELF_IDLE, self._sweep)
            return
        task = asyncio.ensure_future(self._unshelve())
        task.add_done_callback(_consume)

    async def _spare(self) -> None:
        """Before a checkout of another kind: the shelf back to the pool when the pool has no
        idle connection to give (shelved connections never make another request wait)."""
        if self._shelf and self._pool is not None and self._pool.checkedin() == 0:
            await self._unshelve()

    async def _unshelve(self) -> None:
        shelved, self._shelf = self._shelf, []
        self._counted(-len(shelved))
        await self._checkin([proxied for proxied, _ in shelved])

    def _counted(self, change: int) -> None:
        """``change`` connections onto the shelf (negative: off it) for the pool gauges."""
        if self._watch is not None and change:
            self._watch.shelved(change)

    async def _checkin(self, connections: list[Any]) -> None:
        """Back to the pool. A pool whose idle connections are already ``pool_size`` closes
        the one returned (an overflow): that is the driver's IO, run under SQLAlchemy's
        greenlet; otherwise a checkin sends nothing (no transaction was opened)."""
        pool = self._pool
        if pool is not None and pool.checkedin() + len(connections) <= pool.size():
            for proxied in connections:
                proxied.close()
            return

        def close() -> None:
            for proxied in connections:
                proxied.close()

        await greenlet_spawn(close)

    async def cancel_backend(self, pid: int) -> None:
        """Ask PostgreSQL to cancel what backend ``pid`` is running (an abandoned request's
        statement), from another pooled connection. Shielded: the caller (the outage
        middleware's disconnect watcher) is cancelled when the request ends, which the
        cancelled statement's error can make happen before this call returns; a connection
        cancelled mid-command would be invalidated, and reopened by a later checkout."""
        task = asyncio.ensure_future(self._cancel_backend(pid))
        task.add_done_callback(_consume)
        await asyncio.shield(task)

    async def _cancel_backend(self, pid: int) -> None:
        await self._spare()
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT pg_cancel_backend(:pid)"), {"pid": pid})
            await conn.commit()


class ConnectionDatabase:
    """Tests: every request runs in a savepoint of one outer connection that the test rolls back."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self.connection.begin_nested():
            yield self.connection


class RequestDb:
    """The request's lazily opened transaction, shared by every resolver and loader."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = asyncio.Lock()
        self._cm: AbstractAsyncContextManager[AsyncConnection] | None = None
        self._conn: AsyncConnection | None = None
        self._session: AsyncSession | None = None
        self.statements = 0
        self._broken = False  # a statement failed because the database went away
        self._health: availability.RequestHealth | None = None
        self._pid: int | None = None  # the server process, to cancel an abandoned statement
        self._reads: tuple[str | None] | None = None  # read-only, for this principal
        self._target: Database = database  # where the transaction runs (a replica, perhaps)
        self._closed = False  # once closed, never opened again (see ``_connection``)
        self._single = False  # one read statement is all the request runs (``single_read``)

    def read_only(self, who: str | None) -> None:
        """This request only reads (a GraphQL query): it may run on a read replica, unless
        ``who`` (a principal's writer key, None when anonymous) wrote a moment ago. Too late
        once a statement has run: the transaction stays where it is."""
        if self._conn is None:
            self._reads = (who,)

    def single_read(self) -> None:
        """This request runs one read statement and nothing else (the compiled read path):
        where the database offers it (``EngineDatabase.statement``), that statement runs
        without BEGIN and COMMIT, in one round trip. Too late once a statement has run."""
        if self._conn is None:
            self._single = True

    async def wrote(self, who: str | None) -> None:
        """``who`` is writing: its next reads stay on the primary for a while."""
        await replica.note_write(self._database, who)

    async def _connection(self, *, driver: bool = False) -> AsyncConnection:
        if self._conn is None:
            if self._closed:
                # A statement that outlived its request (a loader batch or a gathered sibling
                # still running when the operation ended) must not open a second transaction
                # that nobody would ever close: it would hold a pooled connection (or, in a
                # shared test connection, a savepoint) until garbage collection ended it.
                raise RequestFinished("the request's transaction has already ended")
            target = self._database
            if self._reads is not None:
                target = await replica.for_reads(self._database, self._reads[0])
            statement = getattr(target, "statement", None) if self._single else None
            if driver and self._single:  # one statement by asyncpg itself (``driver_first``)
                statement = getattr(target, "driver_statement", None) or statement
            cm = statement() if statement is not None else target.transaction()
            try:
                self._conn = await cm.__aenter__()
            except Exception as exc:
                availability.note(exc)
                raise
            self._cm, self._target = cm, target
            self._health = availability.CURRENT.get()
            if self._health is not None:  # released by the middleware if the request breaks off
                self._health.cleanups.append(self._abandon)
                if hasattr(target, "cancel_backend"):
                    raw = await self._conn.get_raw_connection()
                    self._pid = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
                    self._health.cancels.append(self._cancel_running)
        return self._conn

    async def _execute(self, stmt: Executable, params: Mapping[str, Any] | None) -> Any:
        # A resolver can be cancelled mid-statement: graphql-core cancels the sibling fields
        # still running when an error nulls their parent. Cancelling asyncpg inside a statement
        # invalidates the connection (and the whole request's transaction with it), so the
        # statement runs in its own task, shielded, and holds the lock until it is done;
        # statement_timeout bounds how long it can outlive its resolver.
        task = asyncio.ensure_future(self._run(stmt, params))
        task.add_done_callback(_consume)
        return await asyncio.shield(task)

    async def _run(self, stmt: Executable, params: Mapping[str, Any] | None) -> Any:
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            try:
                # AsyncConnection.execute buffers every row before it returns.
                return await conn.execute(stmt, params)
            except Exception as exc:
                self._broken = availability.note(exc) is not None or self._broken
                raise

    async def all(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Row]:
        """Run a read statement and return its rows as mappings."""
        result = await self._execute(stmt, params)
        return cast(Sequence[Row], result.mappings().all())

    async def first(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Row | None:
        rows = await self.all(stmt, params)
        return rows[0] if rows else None

    async def scalar(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Any:
        return (await self._execute(stmt, params)).scalar()

    async def driver_row(self, sql: str, args: Sequence[Any]) -> Any:
        """The first row (an asyncpg ``Record``, or None) of the one read statement this
        request runs (``single_read``; PostgreSQL's ``$1`` placeholders), run by the driver.
        Where the database offers it (``EngineDatabase.raw_statement``) and nothing ran
        before, on a pooled driver connection held only for the statement: no SQLAlchemy
        Connection, AsyncSession or greenlet per statement. Otherwise (a replica's
        transaction, the tests' shared connection) as ``driver_first`` runs it. Either way
        like every statement here: under the lock, counted, a failure classified for the
        outage middleware, and cancelled on the server when the client leaves or the
        deadline passes while it runs (on a pooled driver connection, in the request's own
        task: ``_in_task``)."""
        direct = None
        target: Database = self._database
        if self._single and self._conn is None and not self._closed:
            if self._reads is not None:
                target = await replica.for_reads(self._database, self._reads[0])
            direct = getattr(target, "raw_statement", None)
        if direct is None:
            return await self._shielded(self._driver_record(sql, args))
        if IN_TASK:
            return await self._in_task(direct, sql, args)
        return await self._shielded(self._direct(direct, target, sql, args))

    async def _driver_of(
        self, opened: Callable[[], AbstractAsyncContextManager[Any]]
    ) -> tuple[AbstractAsyncContextManager[Any], Any]:
        """A driver connection from ``opened`` (under the request's lock), a failure to get
        one classified for the outage middleware; the caller exits the context."""
        if self._closed:
            raise RequestFinished("the request's transaction has already ended")
        cm = opened()
        try:
            return cm, await cm.__aenter__()
        except Exception as exc:
            availability.note(exc)
            raise

    async def _in_task(
        self, opened: Callable[[], AbstractAsyncContextManager[Any]], sql: str, args: Sequence[Any]
    ) -> Any:
        """``_direct`` without a task of its own or a shield, nor a cancel for the outage
        middleware to run: when the request is cancelled (its client left, its deadline
        passed), the cancellation reaches the statement, asyncpg asks the server to cancel
        it, and ``EngineDatabase.raw_statement`` gives the connection back once the server
        has ended it. Only the request's own task runs this statement (it is all the request
        runs), so no other cancellation (a resolver's) can break it off."""
        async with self._lock:
            cm, driver = await self._driver_of(opened)
            self.statements += 1
            try:
                record = await driver.fetchrow(sql, *args)
            except BaseException as exc:
                if isinstance(exc, Exception):
                    self._broken = availability.note(exc) is not None or self._broken
                await cm.__aexit__(type(exc), exc, exc.__traceback__)
                raise
            await cm.__aexit__(None, None, None)
            return record

    async def _direct(
        self,
        opened: Callable[[], AbstractAsyncContextManager[Any]],
        target: Database,
        sql: str,
        args: Sequence[Any],
    ) -> Any:
        async with self._lock:
            cm, driver = await self._driver_of(opened)
            health = availability.CURRENT.get()
            cancel: Callable[[], Awaitable[None]] | None = None
            backend = getattr(target, "cancel_backend", None)
            asked = False  # the statement's cancellation was requested (its client left)
            if health is not None and backend is not None:
                pid = driver.get_server_pid()

                async def cancel() -> None:
                    nonlocal asked
                    asked = True
                    await backend(pid)

                health.cancels.append(cancel)
            self.statements += 1
            try:
                record = await driver.fetchrow(sql, *args)
            except BaseException as exc:
                if isinstance(exc, Exception):
                    self._broken = availability.note(exc) is not None or self._broken
                if cancel is not None and health is not None:
                    health.cancels.remove(cancel)  # before the connection goes back
                if asked and _cancelled_cleanly(exc, driver):
                    # Stopped as asked, and the server is done with it: the connection goes
                    # back as after a success, not reopened (and its statements prepared
                    # again) by the next request.
                    await cm.__aexit__(None, None, None)
                else:
                    await cm.__aexit__(type(exc), exc, exc.__traceback__)
                raise
            if cancel is not None and health is not None:
                health.cancels.remove(cancel)
            await cm.__aexit__(None, None, None)
            return record

    async def _driver_record(self, sql: str, args: Sequence[Any]) -> Any:
        async with self._lock:
            conn = await self._connection(driver=True)
            self.statements += 1
            try:
                raw = await conn.get_raw_connection()
                driver: Any = raw.driver_connection
                return await driver.fetchrow(sql, *args)
            except Exception as exc:
                # Classified or not, the request's connection is not used again: ``close``
                # then ends it as failed (a connection of its own is discarded, not pooled).
                availability.note(exc)
                self._broken = True
                raise

    async def _shielded(self, work: Awaitable[T]) -> T:
        task = asyncio.ensure_future(work)
        task.add_done_callback(_consume)
        return await asyncio.shield(task)

    async def driver_first(self, sql: str, *args: Any) -> Row | None:
        """The first row of a read statement (PostgreSQL's ``$1`` placeholders) run by asyncpg
        itself, on the request's connection: no SQLAlchemy compilation, result metadata or
        events, for a small statement every request runs (the bearer check). Like every
        statement here: under the lock, shielded from cancellation, counted, and a failure
        classified for the outage middleware. SQLAlchemy's statement events (tracing spans)
        do not see it."""
        record = await self._shielded(self._driver_record(sql, args))
        return dict(record.items()) if record is not None else None

    async def session(self) -> AsyncSession:
        """An ORM session bound to the request's transaction, for writes."""
        if self._session is None:
            conn = await self._connection()
            # Joins the request's transaction (never commits or ends it); mutations take
            # their own savepoints with session.begin_nested().
            self._session = AsyncSession(
                bind=conn,
                expire_on_commit=False,
                autoflush=False,
                join_transaction_mode="rollback_only",
            )
        return self._session

    async def isolated(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` with the ORM session in a read that runs beside other resolvers (a
        query, not a mutation): it holds the statement lock, so no sibling field's statement
        starts on the connection meanwhile, and it is shielded like every statement, so a
        cancelled resolver never breaks the connection in the middle of it."""

        async def locked() -> T:
            async with self._lock:
                return await work(await self.session())

        task = asyncio.ensure_future(locked())
        task.add_done_callback(_consume)
        return await asyncio.shield(task)

    async def close(self, *, failed: bool = False) -> None:
        """Commit (or roll back when ``failed``) and release the connection.

        A failed commit raises (the request must not be acknowledged); a failed rollback on a
        connection that is already gone does not, so the error that failed the request is
        the one reported."""
        async with self._lock:  # statements that outlived a cancelled resolver end first
            self._closed = True
            await self._close(failed=failed)

    async def _close(self, *, failed: bool) -> None:
        if self._cm is None:
            return
        cm, session = self._cm, self._session
        self._cm, self._conn, self._session = None, None, None
        if self._health is not None:
            self._health.cleanups.remove(self._abandon)
            if self._cancel_running in self._health.cancels:
                self._health.cancels.remove(self._cancel_running)
            self._health = None
        failed = failed or self._broken  # never commit what a lost connection left half-done
        try:
            try:
                if session is not None:
                    await session.close()
            except Exception:
                failed = True  # the transaction still ends, rolled back, below
                raise
            finally:  # always: a transaction left open would hold its connection until GC
                if failed:
                    err = RuntimeError("request failed")
                    await cm.__aexit__(type(err), err, None)
                else:
                    await cm.__aexit__(None, None, None)
        except Exception as exc:
            if availability.note(exc) is None or not failed:
                raise

    async def _abandon(self) -> None:
        await self.close(failed=True)

    async def _cancel_running(self) -> None:
        """Stop the statement this request is running on the server (its client left):
        statements are shielded from their resolvers' cancellation, so without this one would
        run on to its own timeout."""
        cancel = getattr(self._target, "cancel_backend", None)
        if self._pid is not None and self._lock.locked() and cancel is not None:
            await cancel(self._pid)


class RequestFinished(RuntimeError):
    """A statement arrived after its request's transaction was closed."""


def _cancelled_cleanly(exc: BaseException, driver: Any) -> bool:
    """Whether a driver statement ended by ``pg_cancel_backend`` left its connection fit for
    the next request: PostgreSQL answered the cancel (SQLSTATE 57014, raised by asyncpg only
    once the server is ready for the next query) and the connection is idle: open, outside any
    transaction, with no cancel request of the driver's own pending. Anything else (a
    timeout of the driver's, a socket that closed, another error) is not."""
    return getattr(exc, "sqlstate", None) == "57014" and _idle(driver)


def _idle(driver: Any) -> bool:
    """Whether a driver connection is fit for the next request: open, outside any
    transaction, with no cancel request of the driver's own pending."""
    protocol = getattr(driver, "_protocol", None)
    return (
        protocol is not None
        and not driver.is_closed()
        and protocol.is_connected()
        and not protocol.is_in_transaction()
        and not protocol._is_cancelling()
        and not getattr(driver, "_cancellations", None)
    )


_settling: set[asyncio.Task[None]] = set()


def _consume(task: asyncio.Future[Any]) -> None:
    # A shielded statement whose resolver was cancelled has no one awaiting its outcome.
    if not task.cancelled():
        task.exception()


async def for_export(conn: AsyncConnection, *, statement_timeout: float) -> None:
    """Make a fresh transaction fit for a long export: one snapshot for every statement (so a
    row count sent in the headers matches the body) and the export's own time bound (0: none).
    In a savepoint (tests), the outer transaction's isolation stays as it is."""
    if not conn.in_nested_transaction():
        await conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    ms = str(round(statement_timeout * 1000))
    await conn.execute(sa.text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": ms})


async def drop_connection(conn: AsyncConnection) -> None:
    """Close the connection under an abandoned stream, unless it is shared (a savepoint):
    PostgreSQL stops a COPY or a cursor as soon as it cannot send, instead of running it out,
    and the pool opens a fresh connection next time."""
    if conn.in_nested_transaction():
        return
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    driver.terminate()
    await conn.invalidate()
