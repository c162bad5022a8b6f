"""Where one HTTP request's time goes on the compiled read path (issue 12).

    BENCH_DATABASE_URL=postgresql://... .venv/bin/python -m bench.request_profile \
        [--workload W3] [--principal anonymous|agency] [-n 2000] [--compiled on|off] [--top 30]
        [--lane on|off]
        [--cache on|off|miss]
        [--ab driver|cost|lane|fold|standin|view|shelf|lean|shape|hot|convert|where|literal|refill
        |values|arguments|arm|variables|server|hit|fastlane|runner|native|bareout|twostep
        --rounds 10]

Drives the whole ASGI app (every middleware, as ``lnob-api serve`` builds it, with the
settings of the side-by-side: no rate limit, no response cache) with raw ASGI messages, one
request at a time, so that no HTTP client's work is counted. With ``--cache on`` the response
cache is on (as ``--cache on`` of bench/peer/run.py) and each variant is asked before it is
measured, so that every measured request is a hit (checked: the cache's hit counter grows by
one per request and no statement is sent); with ``--cache miss`` it is emptied before every
request (as by a write every worker heard), so that every request misses and fills it (checked
on 20 requests). Prints this process's CPU time
per request (PostgreSQL excluded), the share of it by package (cProfile's own time, grouped
by where each function lives) and the functions with the most own time. Asserts no time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import json
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from bench import given_database
from bench.workloads import MAX_PAGE_SIZE, WORKLOADS

ISSUER = "http://bench.invalid"


def _group(filename: str) -> str:
    """The package a profiled function belongs to."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    path = filename.replace("\\", "/")
    for marker, name in (
        ("/lnob_api/graphql/compiled/", "lnob_api.graphql.compiled"),
        ("/lnob_api/graphql/", "lnob_api.graphql"),
        ("/lnob_api/http/", "lnob_api.http"),
        ("/lnob_api/auth/", "lnob_api.auth"),
        ("/lnob_api/", "lnob_api (other)"),
        ("/site-packages/graphql/", "graphql-core"),
        ("/site-packages/strawberry/", "strawberry"),
        ("/site-packages/starlette/", "starlette"),
        ("/site-packages/sqlalchemy/", "sqlalchemy"),
        ("/site-packages/asyncpg/", "asyncpg"),
        ("/site-packages/cross_web/", "cross_web"),
        ("/site-packages/prometheus_client/", "prometheus_client"),
        ("/site-packages/", "other packages"),
        ("/asyncio/", "asyncio"),
        ("/logging/", "logging"),
        ("/json/", "json"),
    ):
        if marker in path:
            return name
    return "stdlib (other)"


async def _call(
    app: Any, body: bytes, headers: list[tuple[bytes, bytes]], principal: Any = None
) -> tuple[int, bytes]:
    state = {} if principal is None else {"principal": principal}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
        "state": state,
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _layer(
    layer: str,
    app: Any,
    principal: Any,
    headers: list[tuple[bytes, bytes]],
    variants: list[dict[str, Any]],
    query: str,
) -> Callable[[int], Awaitable[Any]]:
    """One request of the chosen layer, for variant ``i``."""
    from lnob_api.db.request import RequestDb
    from lnob_api.graphql.context import Context

    graphql = app.state.graphql
    bodies = [json.dumps({"query": query, "variables": v}).encode() for v in variants]
    if layer == "app":
        return lambda i: _call(app, bodies[i % len(bodies)], headers)
    if layer == "graphql":
        return lambda i: _call(graphql, bodies[i % len(bodies)], headers, principal)

    def context() -> Context:
        db = RequestDb(graphql.database)
        if hasattr(db, "single_read"):  # as the endpoint does (absent before the lean lane)
            db.single_read()
        return Context(principal=principal, db=db, settings=graphql.settings, request=None)

    return lambda i: graphql.compiled.execute(query, None, variants[i % len(variants)], context())


def _bearer(app: Any) -> Any:
    """The app's bearer authentication middleware (built with the app's middleware stack)."""
    from lnob_api.auth.middleware import BearerAuthMiddleware

    layer = app.middleware_stack
    while not isinstance(layer, BearerAuthMiddleware):
        layer = layer.app
    return layer


def _toggle(app: Any, change: str, on: bool) -> None:
    """Turn one change of the compiled read lane off or on (``--ab``)."""
    compiled = app.state.graphql.compiled
    if change == "fold":
        _bearer(app).defer = on
    if change == "view":
        app.state.graphql.lane = on
    if change == "standin":
        compiled.remember_standing = on
    if change == "hot":  # this morning's three together (issue 12, brief hot)
        for each in ("shelf", "lean", "shape"):
            _toggle(app, each, on)
    if change == "shape":
        from lnob_api.graphql.compiled import params

        params.LENGTHS_FROM_KEY = on
    if change == "lean":
        compiled.lean = on
    if change == "where":
        from lnob_api.graphql.compiled import params

        params.VALUES_FROM_KEY = on
    if change == "literal":
        from lnob_api.graphql.compiled import pages

        pages.LITERAL_SITES = on
        app.state.graphql.compiled.plans.clear()  # the sites are chosen when a plan is built
    if change == "refill":  # this wave's refill changes together (issue 12, brief refill)
        for each in ("convert", "where", "literal"):
            _toggle(app, each, on)
    if change == "values":
        from lnob_api.graphql.compiled import params

        params.DECLARED = on
        app.state.graphql.compiled.plans.clear()  # a plan's shapes are of one kind or the other
    if change == "arguments":
        from lnob_api.graphql.compiled import convert

        convert.TEMPLATES = on
    if change == "convert":
        from lnob_api.graphql.compiled import convert

        convert.BUILT = on
    if change == "server":  # this session's arm and variables together (issue 12, brief serverpy)
        for each in ("arm", "variables"):
            _toggle(app, each, on)
    if change == "hit":  # a response-cache hit's scope and media type remembered (brief hitpath)
        from lnob_api.cache import store
        from lnob_api.graphql import app as graphql_app

        store.REMEMBER_SCOPES = on
        graphql_app.REMEMBER_MEDIA_TYPES = on
    if change == "fastlane":  # a repeated compiled read answered by the fast lane (brief fastlane)
        from lnob_api.graphql import fastlane

        fastlane.ENABLED = on
    if change == "twostep":  # a root windowed page's head first (issue 12, brief w2walk)
        from lnob_api.graphql import compiled as compiled_module

        compiled_module.TWO_STEP = on
    if change == "variables":
        from lnob_api.graphql import compiled as compiled_module

        compiled_module.QUICK_VARIABLES = on
    if change == "bareout":  # a ceiling, never a candidate: the lane with no outage middleware
        from lnob_api.db import availability
        from lnob_api.graphql import fastlane as fl

        layer = app.middleware_stack
        while not isinstance(layer, fl.FastLane):
            layer = layer.app
        if not hasattr(layer, "_real_outage"):
            layer._real_outage = layer.outage

            async def bare(scope: Any, receive: Any, send: Any) -> None:
                token = availability.CURRENT.set(availability.RequestHealth())
                try:
                    await receive()
                    await layer._endpoint(scope, receive, send)
                finally:
                    availability.CURRENT.reset(token)

            layer._bare = bare
        layer.outage = layer._bare if on else layer._real_outage
    if change == "native":  # the lane's outage middleware without anyio's scope (brief deadline)
        from lnob_api.http import outage

        outage.NATIVE = on
    if change == "runner":  # the one-statement read in the request's task (brief deadline)
        from lnob_api.db import request

        request.IN_TASK = on
    if change == "arm":
        from lnob_api.http import outage

        outage.SHARED_TIMER = on
    if change == "shelf":
        database = app.state.database.target
        database.shelf_size = max(1, database.engine.sync_engine.pool.size() // 2) if on else 0
    if change in ("driver", "lane"):
        compiled.driver = on
    if change in ("cost", "lane"):
        compiled.cache_costs = on


AB = (
    "driver",
    "cost",
    "lane",
    "fold",
    "standin",
    "view",
    "shelf",
    "lean",
    "shape",
    "hot",
    "convert",
    "where",
    "literal",
    "refill",
    "values",
    "arguments",
    "arm",
    "variables",
    "server",
    "hit",
    "fastlane",
    "runner",
    "bareout",
    "native",
    "twostep",
)


async def _ab(args: Any, app: Any, one: Callable[[int], Awaitable[Any]], title: str) -> None:
    """Interleaved rounds of ``args.n`` requests with the change off and on (alternating which
    goes first); prints CPU ms per request of each side and the median ratio on/off."""
    cpu: dict[bool, list[float]] = {False: [], True: []}
    wall: dict[bool, list[float]] = {False: [], True: []}
    backend: dict[bool, list[float]] = {False: [], True: []}
    ratios, backend_ratios = [], []
    pids = await _backend_pids(app)
    for round_ in range(args.rounds):
        got, server = {}, {}
        for on in (False, True) if round_ % 2 == 0 else (True, False):
            _toggle(app, args.ab, on)
            await one(round_)  # the first request after a switch is not counted
            started, clock = time.process_time(), time.perf_counter()
            served = _backend_cpu(pids)
            for i in range(args.n):
                await one(i)
            got[on] = (time.process_time() - started) * 1000 / args.n
            server[on] = (_backend_cpu(pids) - served) * 1000 / args.n
            wall[on].append(args.n / (time.perf_counter() - clock))
            cpu[on].append(got[on])
            backend[on].append(server[on])
        ratios.append(got[True] / got[False])
        backend_ratios.append(server[True] / server[False] if server[False] else float("nan"))
    sent = {on: await _statements(app, args.ab, on, one) for on in (False, True)}
    _toggle(app, args.ab, True)
    off, on_ = statistics.median(cpu[False]), statistics.median(cpu[True])
    rate_off, rate_on = statistics.median(wall[False]), statistics.median(wall[True])
    print(
        f"{title}, --ab {args.ab}: off {off:.3f} ms CPU/req {rate_off:.0f} req/s, "
        f"on {on_:.3f} ms CPU/req {rate_on:.0f} req/s, CPU on/off "
        f"{statistics.median(ratios):.3f} (median of {args.rounds} rounds of {args.n}; req/s: "
        "one request at a time, PostgreSQL's time included); statements per request off "
        f"{sent[False]:.2f}, on {sent[True]:.2f}; PostgreSQL backend CPU/req off "
        f"{statistics.median(backend[False]):.3f} ms, on {statistics.median(backend[True]):.3f}"
        f" ms, on/off {statistics.median(backend_ratios):.3f} (the pool's {len(pids)} backends)"
    )


async def _backend_pids(app: Any) -> list[int]:
    """The server processes of the app's pooled connections (each opened now)."""
    engine = app.state.database.target.engine
    conns = [await engine.raw_connection() for _ in range(engine.sync_engine.pool.size())]
    pids = [proxied.driver_connection.get_server_pid() for proxied in conns]
    for proxied in conns:
        proxied.close()
    return pids


def _backend_cpu(pids: list[int]) -> float:
    """CPU seconds the server processes ``pids`` have used (``/proc``)."""
    from bench import pg_settings

    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):  # a connection closed and reopened since
            total += pg_settings._cpu(pid)
    return total


async def _statements(
    app: Any, change: str, on: bool, one: Callable[[int], Awaitable[Any]]
) -> float:
    """Statements per request with the change ``on`` or off, from the query log of every
    pooled connection (an untimed pass: the log costs time of its own)."""
    engine = app.state.database.target.engine
    pool = engine.sync_engine.pool
    conns = [await engine.raw_connection() for _ in range(pool.size())]
    seen: list[str] = []

    def log(query: Any) -> None:
        seen.append(query.query)

    drivers = [proxied.driver_connection for proxied in conns]
    for driver in drivers:
        driver.add_query_logger(log)
    for proxied in conns:
        proxied.close()
    _toggle(app, change, on)
    for i in range(50):  # every pooled connection has introspected its types (asyncpg)
        await one(i)
    await asyncio.sleep(0.01)  # the log's callbacks run soon after each statement
    seen.clear()
    for i in range(50):
        await one(i)
    await asyncio.sleep(0.01)
    for driver in drivers:
        driver.remove_query_logger(log)
    return len(seen) / 50


async def _all_hits(app: Any, one: Callable[[int], Awaitable[Any]], variants: int) -> None:
    """Fill the response cache with every variant, then check that a pass over them is all
    hits and sends no statement (``--cache on``)."""
    cache = app.state.graphql.cache
    if cache is None:
        raise SystemExit("--cache on: the app has no response cache")
    for _ in range(50):  # the listener hears and takes its lease
        if cache.usable():
            break
        await asyncio.sleep(0.1)
    for i in range(variants):
        await one(i)
    hits = cache.hits
    sent = await _statements(app, "cache", True, one)
    if sent != 0 or cache.hits - hits < 100:
        raise SystemExit(f"--cache on: not all hits ({sent} statements per request)")
    print(f"response cache: {len(cache)} entries, every measured request a hit")


async def _all_misses(
    app: Any, one: Callable[[int], Awaitable[Any]]
) -> Callable[[int], Awaitable[Any]]:
    """Each request after the cache was emptied (``--cache miss``): checked to miss and to
    fill the cache with its answer."""
    cache = app.state.graphql.cache
    if cache is None:
        raise SystemExit("--cache miss: the app has no response cache")
    for _ in range(50):  # the listener hears and takes its lease
        if cache.usable():
            break
        await asyncio.sleep(0.1)

    async def missed(i: int) -> Any:
        cache.bump()
        return await one(i)

    for i in range(20):
        hits = cache.hits
        await missed(i)
        if cache.hits != hits or len(cache) != 1:
            raise SystemExit("--cache miss: a request did not miss and fill the cache")
    print("response cache: every measured request a miss that fills it")
    return missed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--workload", default="W3", help="a name of bench/workloads.py or statement_ab.EXTRA"
    )
    parser.add_argument("--principal", default="anonymous", choices=("anonymous", "agency"))
    parser.add_argument("-n", type=int, default=2000, help="requests profiled")
    parser.add_argument("--compiled", default="on", choices=("on", "off"))
    parser.add_argument(
        "--lane", default="on", choices=("on", "off"), help="off: no fast lane (Settings)"
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true", help="CPU time only")
    parser.add_argument(
        "--layer",
        default="app",
        choices=("app", "graphql", "compiled"),
        help="app: every middleware; graphql: the GraphQL endpoint alone (the principal put in "
        "the request state); compiled: CompiledReads.execute with a context",
    )
    parser.add_argument(
        "--ab",
        choices=AB,
        help="instead of a profile: an interleaved A/B of one change (off/on) in this process, "
        "CPU per request of each side and the median ratio (driver: the compiled statement on "
        "the driver's connection instead of an AsyncSession; cost: the requested cost remembered "
        "per document and variables' shape and numbers; lane: both; fold: a token's bearer check "
        "read in the compiled statement instead of one of its own; standin: a principal's stand-in "
        "remembered per principal object; view: a JSON POST answered around Strawberry's HTTP view; "
        "shelf: one-statement reads keep their driver connection off the pool between requests; "
        "lean: the operation found once per document, the skeleton once, the cost extension "
        "written without json.dumps; shape: a site's list lengths read from its cache key's "
        "parameters; hot: shelf, lean and shape together; convert: a field's arguments converted "
        "by a converter built once per field instead of Strawberry's convert_arguments; where: a connection's filter values read from "
        "the cache key's parameters instead of another traversal; literal: a connection without "
        "variables in its arguments keeps its plan's values; refill: convert, where and literal; "
        "values: a connection's filter values read from its declared conditions without "
        "building their clauses; arguments: a field's raw arguments from its node's template per "
        "pattern of its variables instead of graphql-core's get_argument_values; arm: the outage "
        "middleware's requests armed by one timer per event loop instead of one each; variables: "
        "leaf and list-of-leaf variables coerced without get_variable_values; server: arm and "
        "variables; hit: a cache key's visibility scope remembered per principal object and its "
        "Content-Type's media type per header value; fastlane: a repeated compiled read answered "
        "by the outermost layer, graphql.fastlane; runner: the fast lane's (and the compiled "
        "read's) one statement run in the request's task instead of a shielded task of its own; "
        "native: the lane's outage middleware stops its app by cancelling the request's task "
        "instead of through an anyio cancel scope; bareout: the lane's endpoint without any "
        "outage middleware, the most trimming it could save; twostep: a plan with root windowed "
        "pages runs their heads alone first, the whole form only when one falls short)",
    )
    parser.add_argument("--rounds", type=int, default=10, help="A/B rounds (-n requests each)")
    parser.add_argument(
        "--cache",
        default="off",
        choices=("on", "off", "miss"),
        help="on: the response cache on, every measured request a hit (checked); miss: on, "
        "emptied before every request (as by a write heard), every request a miss that fills it",
    )
    args = parser.parse_args()

    from bench.peer.run import _agency
    from lnob_api.app import create_app
    from lnob_api.auth.keys import KeyStore, new_key
    from lnob_api.auth.principal import ANONYMOUS
    from lnob_api.config import Settings

    url = given_database()
    from bench.statement_ab import EXTRA

    workload = next(w for w in (*WORKLOADS, *EXTRA) if w.name == args.workload)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        variants = [api for api, _ in await workload.variants(conn)][:50]
    finally:
        await conn.close()
    keys = KeyStore([new_key()])
    headers = [(b"content-type", b"application/json"), (b"host", b"bench")]
    principal: Any = ANONYMOUS
    if args.principal == "agency":
        token, principal = await _agency(url, keys)
        headers.append((b"authorization", f"Bearer {token}".encode()))
    settings = dataclasses.replace(
        Settings.from_env({"DATABASE_URL": url}),
        issuer=ISSUER,
        audience="lnob-api",
        rate_limit=0,
        response_cache_mb=64 if args.cache in ("on", "miss") else 0,
        max_page_size=MAX_PAGE_SIZE,
        compiled=args.compiled == "on",
        fast_lane=args.lane == "on",
        graphiql=False,
        log_level="warning",
    )
    app = create_app(settings, keys=keys)
    bodies = [json.dumps({"query": workload.api, "variables": v}).encode() for v in variants]
    async with app.router.lifespan_context(app):
        for body in bodies[:20]:  # warm: plans, caches, pool
            status, out = await _call(app, body, headers)
            if status != 200 or b'"errors"' in out:
                raise SystemExit(f"{status}: {out[:300]!r}")
        one = _layer(args.layer, app, principal, headers, variants, workload.api)
        await one(0)
        if args.cache == "on":
            await _all_hits(app, one, len(variants))
        if args.cache == "miss":
            one = await _all_misses(app, one)
        if args.ab:
            await _ab(args, app, one, f"{workload.title}, {args.principal}, {args.layer}")
            return
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
        started = time.process_time()
        wall = time.perf_counter()
        if not args.no_profile:
            profiler.enable()
        for i in range(args.n):
            await one(i)
        if not args.no_profile:
            profiler.disable()
        cpu = (time.process_time() - started) * 1000 / args.n
        wall_ms = (time.perf_counter() - wall) * 1000 / args.n
    print(
        f"{workload.title}, {args.principal}, compiled {args.compiled}: {cpu:.3f} ms CPU and "
        f"{wall_ms:.3f} ms wall per request over {args.n} requests"
        + (" (profiled: slower than unprofiled)" if not args.no_profile else "")
    )
    if args.no_profile:
        return
    stats = pstats.Stats(profiler)
    raw: Any = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in raw.values())
    groups: Counter[str] = Counter()
    for (filename, _, _), (_, _, tt, _, _) in raw.items():
        groups[_group(filename)] += tt
    print("\n| package | own time % |\n|---|---:|")
    for name, tt in groups.most_common():
        print(f"| {name} | {100 * tt / total:.1f} |")
    print("\n| function (cumulative CPU, µs per request) | µs |\n|---|---:|")
    cumulative = sorted(raw.items(), key=lambda kv: -kv[1][3])
    for (filename, line, name), (_, _, _, ct, _) in cumulative[: args.top]:
        where = filename.rpartition("site-packages/")[2].rpartition("/src/")[2]
        print(f"| {where}:{line}({name}) | {ct * 1e6 / args.n:.0f} |")
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    asyncio.run(main())
