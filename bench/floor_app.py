"""The one-statement floor of this product's own statements (issue 12): uvicorn + Starlette +
asyncpg answering POST /graphql with the statement the compiled read path sends for that very
request, and nothing else.

    .venv/bin/python -m bench.floor_app --statements FILE [--port 8000] [--workers 1]

At start-up ``bench/peer/run.py --floor`` captures, through the app itself (``capture``: the
way ``bench/pg_settings.capture`` does, SQLAlchemy's ``before_cursor_execute`` with the
compiled path run in an AsyncSession), the one statement and its parameters that the compiled
read path sends for every variant of every workload (``bench/workloads.py``) and every
principal (anonymous; the benchmark agency with its bearer token). Each request is sent twice
and the second one kept: a principal's first request checks its token on its own, the next
ones fold the check into the read (``auth.deferred``), as under load. The statements go to
FILE (JSON) and every floor worker loads them.

Per request the floor reads the body, finds the entry of that (Authorization header, body)
(exactly the bytes the load sends; else the parsed JSON's query and variables), runs the
statement on one of at most ``POOL`` connections per worker (opened on demand and kept, as the
app's pool keeps them, or with ``--idle`` closed after that many seconds unused; asyncpg's statement cache prepares it once per connection; the app's
session settings: ``jit=off``, ``plan_cache_mode=force_generic_plan``, its statement timeout,
and its ``max_cacheable_statement_size``) and answers ``{"data": <PostgreSQL's text>}``. No
GraphQL parsing, validation, costing, token check, cache or middleware: every request does
the SQL work the API does for it, and the least Python this stack allows. uvicorn runs as
``lnob-api serve`` runs it (its default loop and HTTP implementations: uvloop and httptools
when installed; no access log). An unknown request is answered 400, an unknown token 400 too
(it has no entry): nothing here checks a token, so it is a benchmark, never a server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

POOL = 20  # connections per worker: the app's engine keeps 2 x LNOB_DB_POOL_SIZE (10)
# What bench/peer/run.py gives ``--idle``: this API's servers keep their connections, and
# PostGraphile's close theirs after 10 s idle; two floors keeping theirs too took the side by
# side past a 100-connection server's max_connections ("too many clients" for PostGraphile's
# requests). 3 s: longer than a gap between a floor's requests under load (so a measured round
# keeps its connections), and the harness warms each floor up before each of its rounds.
IDLE = 3.0
# The app's connection settings (lnob_api.db.engine.create_engine, statement timeout 15 s).
SERVER_SETTINGS = {
    "jit": "off",
    "application_name": "lnob-floor",
    "plan_cache_mode": "force_generic_plan",
    "statement_timeout": "15000",
}
CACHEABLE = 512 * 1024  # the app's max_cacheable_statement_size
PROBE = "{ __typename }"  # the query bench/peer/run.py asks a starting server
_PROBE_ANSWER = b'{"data":{"__typename":"Query"}}'
# bench/pg_settings.py's, and the savepoints of the tests' shared connection
_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SELECT PG_", "SAVEPOINT", "RELEASE")


@dataclass(frozen=True)
class Entry:
    """One variant of one workload for one principal: the request and its statement."""

    workload: str
    principal: str
    authorization: str  # the request's Authorization header ("" when anonymous)
    body: str  # the request's body, as the load sends it
    sql: str
    args: list[Any]


def request_body(query: str, variables: Any) -> str:
    """The body the side-by-side's load sends (wrk's bodies and the same-rows check)."""
    return json.dumps({"query": query, "variables": variables})


def _canonical(query: str, variables: Any) -> str:
    return json.dumps([query, variables], sort_keys=True, separators=(",", ":"))


# -- capture --------------------------------------------------------------------------------


Requested = tuple[str, str, dict[str, str], str]  # workload, principal, headers, body


async def capture_app(app: Any, target: Any, requests: Sequence[Requested]) -> list[Entry]:
    """Each request's one statement as ``app`` sends it: SQLAlchemy's events on ``target``
    (an engine or connection) see the compiled statement when it runs in an AsyncSession.
    Every request is sent twice and the second is kept (see the module's docstring); stops
    when one does not send exactly one statement."""
    from lnob_api.graphql import fastlane

    app.state.graphql.compiled.driver = False
    # The fast lane answers a repeated request with the driver itself (no SQLAlchemy event):
    # off here, so that the kept (second) request shows its statement; the lane sends the same.
    lane, fastlane.ENABLED = fastlane.ENABLED, False
    seen: list[tuple[str, Any]] = []

    def note(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        if not statement.lstrip().upper().startswith(_TRANSACTION):
            seen.append((statement, params))

    entries = []
    event.listen(target, "before_cursor_execute", note)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
            for name, principal, headers, body in requests:
                for _ in range(2):
                    seen.clear()
                    response = await client.post(
                        "/graphql",
                        content=body,
                        headers={"Content-Type": "application/json", **headers},
                    )
                    if response.status_code != 200 or "errors" in response.json():
                        raise SystemExit(f"{name} {principal}: {response.text[:300]}")
                if len(seen) != 1:
                    raise SystemExit(
                        f"{name} {principal}: {len(seen)} statements, not one (compiled path"
                        f" off or a fallback?): {[s[:80] for s, _ in seen]}"
                    )
                sql, params = seen[0]
                auth = headers.get("Authorization", "")
                entries.append(Entry(name, principal, auth, body, sql, list(params)))
    finally:
        event.remove(target, "before_cursor_execute", note)
        fastlane.ENABLED = lane
    return entries


async def capture(
    url: str,
    environ: dict[str, str],
    keys: Any,
    requests: Sequence[Requested],
) -> list[Entry]:
    """The statements of ``requests`` through an app configured from ``environ`` (the API's
    servers' environment: the same settings), the compiled path on, the response cache off."""
    from lnob_api.app import create_app
    from lnob_api.config import Settings
    from lnob_api.db import create_engine
    from lnob_api.db.request import EngineDatabase

    env = environ | {"LNOB_COMPILED": "true", "LNOB_RESPONSE_CACHE_MB": "0"}
    settings = Settings.from_env(env)
    engine = create_engine(url, pool_size=2)
    try:
        app = create_app(settings, database=EngineDatabase(engine), keys=keys)
        return await capture_app(app, engine.sync_engine, requests)
    finally:
        await engine.dispose()


def save(entries: Sequence[Entry], path: Path) -> None:
    path.write_text(json.dumps([asdict(e) for e in entries]))


def load(path: Path) -> list[Entry]:
    return [Entry(**e) for e in json.loads(path.read_text())]


# -- serve ----------------------------------------------------------------------------------


class Pool:
    """At most ``size`` connections, opened on demand and kept, the last returned handed out
    first; none reset on return (each runs one autocommit statement, like the app's driver
    reads): no round trip but the statement's. With ``idle``, a connection unused that many
    seconds is closed (see ``IDLE``)."""

    def __init__(
        self,
        dsn: str | None,
        size: int = POOL,
        opened: Sequence[Any] = (),
        idle: float | None = None,
    ) -> None:
        self.dsn = dsn
        self.size = max(size, len(opened))
        self.idle = idle
        self._idle: list[tuple[Any, float]] = [(c, 0.0) for c in opened]
        self._count = len(opened)
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._sweep: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def acquire(self) -> Any:
        if self._idle:
            return self._idle.pop()[0]
        if self._count < self.size and self.dsn is not None:
            self._count += 1
            try:
                return await asyncpg.connect(
                    self.dsn,
                    server_settings=SERVER_SETTINGS,
                    max_cacheable_statement_size=CACHEABLE,
                )
            except BaseException:
                self._count -= 1
                raise
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())
            raise

    def release(self, conn: Any, *, broken: bool = False) -> None:
        if broken or conn.is_closed():
            self._count -= 1
            conn.terminate()
            return
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        loop = asyncio.get_running_loop()
        self._idle.append((conn, loop.time()))
        if self.idle is not None and self._sweep is None:
            self._sweep = loop.call_later(self.idle, self._swept)

    def _swept(self) -> None:
        """Close the connections idle for ``idle`` seconds (the oldest first in the list)."""
        assert self.idle is not None
        self._sweep = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._idle and now - self._idle[0][1] >= self.idle:
            conn = self._idle.pop(0)[0]
            self._count -= 1
            task = loop.create_task(conn.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        if self._idle:
            self._sweep = loop.call_later(self.idle, self._swept)

    async def close(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
        for conn, _ in self._idle:
            await conn.close()
        self._idle.clear()


def build_app(entries: Sequence[Entry], pool: Pool) -> Starlette:
    """The floor: each known request's statement, PostgreSQL's text its answer."""
    exact: dict[tuple[str, bytes], tuple[str, list[Any]]] = {}
    parsed: dict[tuple[str, str], tuple[str, list[Any]]] = {}
    for e in entries:
        exact[(e.authorization, e.body.encode())] = (e.sql, e.args)
        sent = json.loads(e.body)
        parsed[(e.authorization, _canonical(sent["query"], sent.get("variables")))] = (
            e.sql,
            e.args,
        )

    async def graphql(request: Request) -> Response:
        body = await request.body()
        auth = request.headers.get("authorization", "")
        found = exact.get((auth, body))
        if found is None:
            try:
                sent = json.loads(body)
                query = sent["query"]
                found = parsed.get((auth, _canonical(query, sent.get("variables"))))
            except (ValueError, KeyError, TypeError):
                query = None
            if found is None:
                if query == PROBE:
                    return Response(_PROBE_ANSWER, media_type="application/json")
                return Response(b'{"errors":[{"message":"unknown request"}]}', status_code=400)
        sql, args = found
        conn = await pool.acquire()
        try:
            row = await conn.fetchrow(sql, *args)
        except BaseException:
            pool.release(conn, broken=True)
            raise
        pool.release(conn)
        return Response(b'{"data":' + row[0].encode() + b"}", media_type="application/json")

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await pool.close()

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)


def create_app() -> Starlette:
    """uvicorn's factory: the statements of ``FLOOR_STATEMENTS`` on ``FLOOR_DATABASE_URL``."""
    from lnob_api.db import embedded

    dsn = embedded.psql_url(os.environ["FLOOR_DATABASE_URL"])
    idle = float(os.environ.get("FLOOR_IDLE_SECONDS") or 0) or None
    return build_app(load(Path(os.environ["FLOOR_STATEMENTS"])), Pool(dsn, idle=idle))


def main(argv: Sequence[str] | None = None) -> None:
    from lnob_api import workers

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=Path, required=True, help="captured JSON")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--idle", type=float, default=0, help="close connections unused this many seconds"
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        raise SystemExit("give --database-url or set BENCH_DATABASE_URL")
    # The workers (separate processes) read these in ``create_app``.
    os.environ["FLOOR_STATEMENTS"] = str(args.statements.resolve())
    os.environ["FLOOR_DATABASE_URL"] = args.database_url
    os.environ["FLOOR_IDLE_SECONDS"] = str(args.idle)
    # as ``lnob-api serve`` runs its workers: each on a listening socket of its own
    workers.run(
        "bench.floor_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
