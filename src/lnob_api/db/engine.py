"""Engine creation and database URL resolution (embedded server or ``DATABASE_URL``), with the
time bounds every connection carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lnob_api.cache import writes
from lnob_api.config import Settings
from lnob_api.db import embedded
from lnob_api.observability import metrics, tracing


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Bounds in seconds; ``None`` (or 0) is no bound.

    ``statement`` is PostgreSQL's ``statement_timeout``, set once per connection at connect
    time (no extra round trip per request); ``command`` is asyncpg's client-side bound on one
    call (a backstop for a server that stopped answering); ``connect`` bounds opening a
    connection and ``pool`` waiting for a pooled one.
    """

    connect: float = 10.0
    statement: float | None = None
    command: float | None = None
    pool: float = 30.0

    @classmethod
    def of(cls, settings: Settings) -> Timeouts:
        return cls(
            connect=settings.db_connect_timeout,
            statement=settings.statement_timeout or None,
            command=settings.db_command_timeout or None,
            pool=settings.db_pool_timeout,
        )


def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the URL of the embedded server (started on demand)."""
    if settings.database_url is not None:
        return settings.database_url
    return embedded.start(settings.data_dir, user=settings.embedded_user)


def create_engine(
    url: str, *, pool_size: int = 10, timeouts: Timeouts | None = None
) -> AsyncEngine:
    """An asyncpg engine; JIT off because our queries are short OLTP statements. It opens
    connections on demand, up to ``2 * pool_size``, and keeps them (recycled after 30 min)."""
    writes.install()  # its commits announce writes to every worker's response cache
    timeouts = timeouts or Timeouts()
    server_settings = {
        "jit": "off",
        "application_name": "lnob-api",
        # Every statement is prepared once per pooled connection (asyncpg's statement cache);
        # under "auto" PostgreSQL kept planning the long read statements (the policy's
        # predicates inlined: 52,000 characters for the compiled W2) anew on every execution.
        # Planned once per connection instead: PostgreSQL CPU per request of the compiled path
        # on 127.0.0.1, W2 0.32x/0.36x (anonymous/agency), W2b 0.69x/0.61x, W1 0.78x/1.00x,
        # W3 and W4 within noise (1.00-1.14x, 0.93-1.08x); the resolvers' statements W1 0.76x,
        # W2 0.66x, W3 1.00x, W4 0.95x (bench/pg_settings.py [--compiled], 1,000,000
        # observations). The embedded server sets the same (embedded.TUNING).
        "plan_cache_mode": "force_generic_plan",
    }
    if timeouts.statement:
        server_settings["statement_timeout"] = str(max(1, round(timeouts.statement * 1000)))
    connect_args: dict[str, Any] = {
        "server_settings": server_settings,
        "timeout": timeouts.connect,
        "command_timeout": timeouts.command,
        # The compiled read path runs its statements with asyncpg itself (its statement cache,
        # not SQLAlchemy's): they are long (the visibility predicates inlined), and asyncpg
        # caches only statements up to 15 KiB by default, so a longer one would be parsed and
        # planned again on every execution.
        "max_cacheable_statement_size": 512 * 1024,
    }
    engine = create_async_engine(
        url,
        # Up to twice ``pool_size`` connections, as before, but all of them kept once opened:
        # with ``max_overflow`` the pool closed a connection returned while ``pool_size`` sat
        # idle, and the next burst opened it again (a PostgreSQL backend, asyncpg's set-up and
        # every statement prepared anew). With 16 concurrent clients on one worker and the
        # default 10 that was 110-130 connections opened in 8 s, 6-12 s of request time waiting
        # on them and 4-5 s on the re-prepares (bench.peer W1/W2); server-side p99 of W2
        # 224 -> 148 ms, W1 200 -> 115 ms with them kept.
        pool_size=2 * pool_size,
        max_overflow=0,
        pool_timeout=timeouts.pool,
        # pool_pre_ping costs three round trips per checkout with asyncpg (BEGIN, ping,
        # ROLLBACK); _drop_closed gets the same recovery for free (see below).
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args=connect_args,
        # Errors (and so logs) never show a statement's parameters: values, hashes, tokens.
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "checkout", _drop_closed)
    event.listen(engine.sync_engine, "handle_error", _drop_stuck)
    # Pool gauges on /metrics, and a span per statement when tracing is on (observability).
    metrics.watch_pool(engine, _pool_label(engine))
    tracing.instrument_engine(engine)
    return engine


def _pool_label(engine: AsyncEngine) -> str:
    url = engine.sync_engine.url
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _drop_stuck(context: Any) -> None:
    """Discard the connection of a statement that timed out on the client side (asyncpg's
    ``command_timeout``) or found its connection still busy: asyncpg leaves such a connection
    mid-operation until the server answers its cancel request, and a server that went away
    never does, so the pool would hand it, still open, to the next request ("another
    operation is in progress"). Only this connection goes, not the whole pool."""
    error = context.original_exception
    if isinstance(error, TimeoutError) or type(error).__name__ == "InternalClientError":
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


def _drop_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Refuse a pooled connection whose socket has closed (PostgreSQL restarted or killed the
    backend while it sat idle): asyncpg notices the end of the stream as soon as the event loop
    runs, so no round trip is needed; the pool then opens a fresh connection."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("connection closed while idle in the pool")
