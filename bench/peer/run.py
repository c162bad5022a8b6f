"""Side by side: this API against PostGraphile 5 on the same database, data and machine.

    .venv/bin/python -m bench.peer.run [--rows 100000] [--seconds 5] [--rounds 2]
                                       [--concurrency 16] [--workloads W1,W2,W2b,W3,W4]
                                       [--principals anonymous,agency] [--cache off|on]
                                       [--compiled off|on] [--floor]

Uses BENCH_DATABASE_URL, or starts an embedded PostgreSQL in a temporary folder (with
pg_stat_statements loaded); migrates, seeds, generates ``--rows`` observations
(``bench/data.py``; ``--rows 1000000`` for the real run), adds the benchmark projects W1 needs,
the benchmark agency (``bench/data.py``: an OAuth client of a statistics office with a grant)
and the ``peer`` views and role, and the ``peer_agency`` ones holding what that agency reads
(``bench/peer/schema.py``). Installs PostGraphile 5 and Node 22 into ``bench/peer/.install/``
(``bench/peer/install.py``).

Then starts this API with 1 and 2 workers and, per principal (``--principals``: anonymous, and
the agency, whose requests carry its bearer token), PostGraphile with 1 and 2 processes over
that principal's views; checks for every principal, variant and workload
(``bench/workloads.py``) that both return the same rows; and loads each configuration alone,
in interleaved rounds (round 1: W1 on each configuration, W2 on each..., then round 2), with
``wrk`` (2 threads; an httpx client with the same number of connections when wrk is not
installed). Each request of a round draws the next variant, so no two consecutive requests are
alike. ``--cache off`` (the default) turns the API's response cache off
(``LNOB_RESPONSE_CACHE_MB=0``): the variants repeat within a round, so with ``--cache on`` most
answers are cache hits, a figure to report separately. ``--compiled on|off`` sets
``LNOB_COMPILED`` for the API (the compiled read path; on by default, as ``lnob-api serve``
runs it). ``--floor`` adds the one-statement floor (``bench/floor_app.py``: the compiled
path's own statement of each request, captured through the app at start-up, answered by
uvicorn + Starlette + asyncpg with no GraphQL work) with 1 and 2 workers, sent the API's
requests in the same rounds, checked to return the API's rows (its ``rows_api``).

Prints a Markdown table per principal: req/s and p50/p99 latency (median over rounds), server CPU and
PostgreSQL CPU per request (psutil: the server's process tree; the database backends of the
server's role), SQL statements per request (pg_stat_statements calls by the server's role,
without transaction control, else transactions from pg_stat_database, counted over the
sequential same-rows requests), RSS (the whole tree, and
the largest worker), and the ratio of the API's best configuration to PostGraphile's best
(with ``--floor``, the floor's best to PostGraphile's and the API's to the floor's too).
Figures only: nothing here asserts a time. The load generator shares the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import psutil

from bench import floor_app
from bench.data import agency_client, generate
from bench.peer import install, schema
from bench.workloads import MAX_PAGE_SIZE, WORKLOADS, Workload
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal
from lnob_api.config import Settings
from lnob_api.db import embedded, migrate

ISSUER = "http://bench.invalid"
PRINCIPALS = ("anonymous", "agency")


@dataclass
class Server:
    name: str
    role: str  # the PostgreSQL role it connects as
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    principal: str | None = None  # PostGraphile: the principal whose views it serves
    kind: str = "api"  # "api", "peer" (PostGraphile) or "floor" (bench/floor_app.py)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tree(self) -> list[psutil.Process]:
        root = psutil.Process(self.proc.pid)
        return [root, *root.children(recursive=True)]


@dataclass
class Round:
    rps: float
    p50: float
    p99: float
    requests: int
    errors: int  # answers that were not 200 or carried GraphQL errors
    socket_errors: int  # connect/read/write errors and timeouts (wrk)
    server_cpu: float
    pg_cpu: float
    statements: float
    rss: int
    worker_rss: int


@dataclass
class Results:
    rounds: dict[tuple[str, str], list[Round]] = field(default_factory=lambda: defaultdict(list))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(server: Server, probe: dict[str, Any]) -> None:
    deadline = time.monotonic() + 300  # six servers starting at once on a loaded machine
    while time.monotonic() < deadline and server.proc.poll() is None:
        try:
            response = httpx.post(f"{server.base}/graphql", json=probe, timeout=2)
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.proc.kill()
    tail = server.log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"{server.name} did not start:\n{tail}")


def _api_env(url: str, folder: Path, *, keys: str, cache: bool, compiled: bool) -> dict[str, str]:
    """The environment of this API's servers (the floor's capture builds its app from it)."""
    env = dict(os.environ) | {
        "DATABASE_URL": url,
        "LNOB_DATA_DIR": str(folder),
        "LNOB_LOG_LEVEL": "warning",
        "LNOB_GRAPHIQL": "false",
        "LNOB_RATE_LIMIT": "0",  # load from one address measures throughput, not the limit
        "LNOB_MAX_PAGE_SIZE": str(MAX_PAGE_SIZE),
        "LNOB_SIGNING_KEYS": keys,  # the agency's token is signed with these
        "LNOB_ISSUER": ISSUER,
    }
    if not cache:
        env["LNOB_RESPONSE_CACHE_MB"] = "0"
    env["LNOB_COMPILED"] = "true" if compiled else "false"
    return env


def _start_api(
    url: str, folder: Path, workers: int, *, keys: str, cache: bool, compiled: bool
) -> Server:
    port = _port()
    env = _api_env(url, folder, keys=keys, cache=cache, compiled=compiled)
    cmd = [str(Path(sys.executable).with_name("lnob-api")), "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-migrate", "--no-seed"]
    log = folder / f"api-{workers}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(f"this API, {workers} worker{'s' * (workers > 1)}", "postgres", proc, port, log)


def _peer_url(url: str, role: str = schema.ROLE) -> str:
    """The benchmark database as a peer role sees it, in node-postgres' form."""
    parts = urlsplit(embedded.psql_url(url))
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(("postgres", f"{role}@{host}", parts.path, parts.query, ""))


PEER_SCHEMAS = {
    "anonymous": (schema.SCHEMA, schema.ROLE),
    "agency": (schema.AGENCY_SCHEMA, schema.AGENCY_ROLE),
}


def _start_peer(
    node: Path, url: str, folder: Path, processes: int, principal: str = "anonymous"
) -> Server:
    port = _port()
    views, role = PEER_SCHEMAS[principal]
    env = os.environ | {
        "PEER_DATABASE_URL": _peer_url(url, role),
        "PEER_SCHEMA": views,
        "PORT": str(port),
        "PEER_PROCESSES": str(processes),
        "NODE_ENV": "production",
    }
    log = folder / f"peer-{principal}-{processes}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(node), str(install.SERVER)],
            env=env,
            cwd=install.FOLDER,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    name = f"PostGraphile, {processes} process{'es' * (processes > 1)}"
    return Server(name, role, proc, port, log, principal, kind="peer")


def _start_floor(url: str, folder: Path, workers: int, statements: Path) -> Server:
    """``bench/floor_app.py`` with ``workers`` workers over the captured ``statements``."""
    port = _port()
    cmd = [sys.executable, "-m", "bench.floor_app", "--statements", str(statements)]
    cmd += ["--database-url", url, "--port", str(port), "--workers", str(workers)]
    cmd += ["--idle", str(floor_app.IDLE)]
    log = folder / f"floor-{workers}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    name = f"floor, {workers} worker{'s' * (workers > 1)}"
    return Server(name, "postgres", proc, port, log, kind="floor")


# -- the same rows on both sides ----------------------------------------------------------


async def _post(
    client: httpx.AsyncClient,
    base: str,
    query: str,
    variables: Any,
    headers: dict[str, str] | None = None,
) -> Any:
    response = await client.post(
        f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"{base}: HTTP {response.status_code} {json.dumps(body)[:500]}")
    return body


async def check_same_rows(
    api: Server,
    peer: Server,
    workloads: list[Workload],
    variants: dict[str, list[Any]],
    monitor: Monitor,
    headers: dict[str, str] | None = None,
) -> dict[str, tuple[float, float]]:
    """Stops unless both servers give the same rows for every variant; returns the SQL
    statements per request of each side, counted over these sequential requests after a warm-up
    pass (exact, unlike counts under load, where requests still in flight at the end of a round
    are not in the request count)."""
    statements: dict[str, tuple[float, float]] = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for w in workloads:
            # one side at a time, so that a database-wide counter tells the two apart
            n = len(variants[w.name])
            counted = []
            answers = []
            for server, query, side in ((api, w.api, 0), (peer, w.peer, 1)):
                reduce = w.rows_api if side == 0 else w.rows_peer
                sent = headers if side == 0 else None
                # A warm-up pass, not counted: a principal's first request, or a worker's new
                # connection, sends statements once (the first sight of a token checks it on
                # its own, asyncpg introspects a type, SQLAlchemy asks the server's version,
                # PostGraphile sets its JIT setting), which made W1's 7 variants read 1.4-2.0
                for v in variants[w.name]:
                    await _post(client, server.base, query, v[side], sent)
                before = await monitor.count(server.role)
                answers.append(
                    [
                        reduce(await _post(client, server.base, query, v[side], sent))
                        for v in variants[w.name]
                    ]
                )
                counted.append((await monitor.count(server.role) - before) / n)
            for (api_vars, _), mine, theirs in zip(variants[w.name], *answers, strict=True):
                if mine != theirs:
                    raise SystemExit(
                        f"{w.name} {api_vars}: the servers disagree\n"
                        f" API:          {str(mine)[:600]}\n PostGraphile: {str(theirs)[:600]}"
                    )
                if not mine:
                    raise SystemExit(f"{w.name} {api_vars}: empty on both sides (no data?)")
            statements[w.name] = (counted[0], counted[1])
            print(
                f"{w.name} {peer.principal}: {n} variants, the same rows on both sides"
                f" ({api.name} / {peer.name});"
                f" statements per request {statements[w.name][0]:.1f} / {statements[w.name][1]:.1f}"
            )
    return statements


async def check_floor_rows(
    api: Server,
    floor: Server,
    workloads: list[Workload],
    variants: dict[str, list[Any]],
    monitor: Monitor,
    headers: dict[str, str] | None = None,
    principal: str = "anonymous",
) -> dict[str, float]:
    """Stops unless the floor gives the API's rows (the API's own ``rows_api``) for every
    variant; returns the floor's statements per request, counted as ``check_same_rows``
    counts them (after a warm-up pass)."""
    statements = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for w in workloads:
            n = len(variants[w.name])
            mine = [
                w.rows_api(await _post(client, api.base, w.api, v[0], headers))
                for v in variants[w.name]
            ]
            for v in variants[w.name]:
                await _post(client, floor.base, w.api, v[0], headers)
            before = await monitor.count(floor.role)
            theirs = [
                w.rows_api(await _post(client, floor.base, w.api, v[0], headers))
                for v in variants[w.name]
            ]
            statements[w.name] = (await monitor.count(floor.role) - before) / n
            for (api_vars, _), a, b in zip(variants[w.name], mine, theirs, strict=True):
                if a != b:
                    raise SystemExit(
                        f"{w.name} {api_vars}: the floor disagrees with the API\n"
                        f" API:   {str(a)[:600]}\n floor: {str(b)[:600]}"
                    )
            print(
                f"{w.name} {principal}: {n} variants, the floor's rows are the API's"
                f" ({floor.name});"
                f" statements per request {statements[w.name]:.1f}"
            )
    return statements


# -- load -----------------------------------------------------------------------------------

_LUA = """
local bodies = {%s}
local i = 0
local threads = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%s
function setup(thread) table.insert(threads, thread) end
function init(args) failures = 0 end
request = function()
  i = i + 1
  return wrk.format(nil, "/graphql", nil, bodies[(i %% #bodies) + 1])
end
response = function(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then failures = failures + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("failures") end
  io.write("graphql-failures " .. n .. "\\n")
end
"""

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    for unit in ("us", "ms", "s", "m"):
        if text.endswith(unit) and text[: -len(unit)].replace(".", "").isdigit():
            return float(text[: -len(unit)]) * _UNITS[unit]
    raise ValueError(text)


def _wrk(
    base: str,
    bodies: list[str],
    seconds: float,
    connections: int,
    folder: Path,
    headers: dict[str, str],
) -> Any:
    script = folder / "load.lua"
    extra = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script.write_text(_LUA % (", ".join("[==[" + b + "]==]" for b in bodies), extra))
    wrk = shutil.which("wrk")
    assert wrk is not None
    out = subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"wrk failed: {out.stderr or out.stdout}")
    lines = [line.split() for line in out.stdout.splitlines()]
    pct = {p[0]: _seconds(p[1]) for p in lines if len(p) == 2 and p[0] in ("50%", "99%")}
    total = next(int(p[0]) for p in lines if len(p) > 2 and p[1:3] == ["requests", "in"])
    # non-2xx and GraphQL errors (the script's count), and connection errors
    errors = sum(int(p[1]) for p in lines if p[:1] == ["graphql-failures"])
    sockets = sum(
        int(x.rstrip(",")) for p in lines if p[:2] == ["Socket", "errors:"] for x in p[3::2]
    )
    return total, pct["50%"], pct["99%"], errors, sockets


async def _httpx(
    base: str, bodies: list[str], seconds: float, connections: int, extra: dict[str, str]
) -> Any:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Content-Type": "application/json", **extra}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.monotonic() < deadline:
                i += 1
                start = time.perf_counter()
                response = await client.post(
                    "/graphql", content=bodies[i % len(bodies)], headers=headers
                )
                latencies.append(time.perf_counter() - start)
                errors += response.status_code != 200 or b'"errors"' in response.content

        await asyncio.gather(*(one(n) for n in range(connections)))
    ordered = sorted(latencies)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return len(ordered), at(0.5), at(0.99), errors, 0


class Monitor:
    """CPU of a server's process tree and of its database backends; its SQL statements."""

    def __init__(self, conn: asyncpg.Connection, statements: bool) -> None:
        self.conn = conn
        self.statements = statements

    async def _backends(self, role: str) -> dict[int, float]:
        pids = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND usename = $1 AND pid <> pg_backend_pid()",
            role,
        )
        return _cpu([r["pid"] for r in pids])

    async def count(self, role: str) -> float:
        if self.statements:
            return float(
                await self.conn.fetchval(
                    r"""SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s
                        JOIN pg_roles r ON r.oid = s.userid
                        WHERE r.rolname = $1 AND s.dbid =
                              (SELECT oid FROM pg_database WHERE datname = current_database())
                          AND s.query !~* '^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)'
                          AND s.query !~* 'pg_stat_(statements|activity|database)'""",
                    role,
                )
            )
        return float(
            await self.conn.fetchval(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database"
                " WHERE datname = current_database()"
            )
        )

    async def snapshot(self, server: Server) -> tuple[float, dict[int, float], float]:
        tree = sum(_cpu([p.pid for p in server.tree()]).values())
        return tree, await self._backends(server.role), await self.count(server.role)


def _cpu(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            found[pid] = t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return found


async def load_round(
    server: Server,
    bodies: list[str],
    seconds: float,
    connections: int,
    monitor: Monitor,
    folder: Path,
    headers: dict[str, str] | None = None,
) -> Round:
    headers = headers or {}
    before = await monitor.snapshot(server)
    if shutil.which("wrk"):
        total, p50, p99, errors, sockets = await asyncio.to_thread(
            _wrk, server.base, bodies, seconds, connections, folder, headers
        )
    else:
        total, p50, p99, errors, sockets = await _httpx(
            server.base, bodies, seconds, connections, headers
        )
    after = await monitor.snapshot(server)
    n = max(total, 1)
    pg = sum(t - before[1].get(pid, 0.0) for pid, t in after[1].items())
    tree = server.tree()
    rss = [p.memory_info().rss for p in tree]
    return Round(
        rps=total / seconds,
        p50=p50,
        p99=p99,
        requests=total,
        errors=errors,
        socket_errors=sockets,
        server_cpu=(after[0] - before[0]) / n,
        pg_cpu=pg / n,
        statements=(after[2] - before[2]) / n,
        rss=sum(rss),
        worker_rss=max(rss[1:] or rss),
    )


# -- report ---------------------------------------------------------------------------------


def table(
    results: Results,
    workloads: list[Workload],
    servers: list[Server],
    counted: str,
    exact: dict[tuple[str, str], float],
    principal: str = "anonymous",
) -> str:
    """One principal's table: ``results`` and ``exact`` are keyed by (principal and workload,
    server name), as ``main`` records them."""

    def med(rounds: list[Round], attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in rounds))

    names = [s.name for s in servers]
    floors = any(s.kind == "floor" for s in servers)
    ratios = " | best / best |" + (" floor / PostGraphile | API / floor |" if floors else "")
    head = "| req/s (p50 / p99 ms) | " + " | ".join(names) + ratios
    lines = [head, "|---|" + "---:|" * (len(names) + 1 + 2 * floors)]
    details = [
        "| per request: server CPU ms / PostgreSQL CPU ms (under load) / "
        + counted
        + " (sequential) / RSS MiB (largest worker) | "
        + " | ".join(names)
        + " |",
        "|---|" + "---:|" * len(names),
    ]
    for w in workloads:
        cells, best = [], {"api": 0.0, "peer": 0.0, "floor": 0.0}
        more = []
        key = f"{principal} {w.name}"
        for s in servers:
            rounds = results.rounds[(key, s.name)]
            rps = med(rounds, "rps")
            best[s.kind] = max(best[s.kind], rps)
            errors = sum(r.errors for r in rounds)
            sockets = sum(r.socket_errors for r in rounds)
            cells.append(
                f"{rps:,.1f} ({med(rounds, 'p50') * 1000:.1f} / {med(rounds, 'p99') * 1000:.0f})"
                + (f" {errors} failed" if errors else "")
                + (f" {sockets} socket errors" if sockets else "")
            )
            more.append(
                f"{med(rounds, 'server_cpu') * 1000:.1f} / {med(rounds, 'pg_cpu') * 1000:.1f} / "
                f"{exact[(key, s.name)]:.1f} / {max(r.rss for r in rounds) / 2**20:.0f} "
                f"({max(r.worker_rss for r in rounds) / 2**20:.0f})"
            )

        pairs = [("api", "peer"), ("floor", "peer"), ("api", "floor")][: 3 if floors else 1]
        ratio = "".join(f" {best[a] / best[b]:.2f} |" if best[b] else " nan |" for a, b in pairs)
        lines.append(f"| {w.title} | " + " | ".join(cells) + " |" + ratio)
        details.append(f"| {w.title} | " + " | ".join(more) + " |")
    return "\n".join(lines) + "\n\n" + "\n".join(details)


async def _prepare(url: str, rows: int) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    from lnob_api.db import create_engine
    from lnob_api.seed import seed

    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
    await engine.dispose()
    dsn = embedded.psql_url(url)
    started = time.perf_counter()
    counts = await generate(dsn, observations=rows)
    conn = await asyncpg.connect(dsn)
    try:
        projects = await schema.add_projects(conn)
        await schema.install(conn)
        # Freshly loaded rows: set the visibility map and statistics (autovacuum would, later),
        # so that neither side pays heap fetches for index-only scans during the first rounds.
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    print(
        f"data: {counts['datasets']} datasets, {counts['observations']} observations, "
        f"{projects} projects (ready in {time.perf_counter() - started:.1f} s)"
    )


async def _agency(url: str, keys: KeyStore) -> tuple[str, Principal]:
    """The benchmark agency's bearer token, and the principal this API builds from it (its
    views in ``peer_agency`` are compiled for exactly that principal)."""
    from lnob_api.auth.resolver import principal_from_token
    from lnob_api.auth.tokens import issue_access_token
    from lnob_api.db import create_engine
    from lnob_api.db.request import EngineDatabase, RequestDb

    client_id = await agency_client(embedded.psql_url(url))
    token, _ = issue_access_token(
        keys,
        issuer=ISSUER,
        audience="lnob-api",
        subject=client_id,
        client_id=client_id,
        scopes=["data:read"],
        ttl=24 * 3600,
    )
    engine = create_engine(url, pool_size=1)
    db = RequestDb(EngineDatabase(engine))
    try:
        settings = Settings(issuer=ISSUER, audience="lnob-api")
        principal = await principal_from_token(db, token, keys=keys, settings=settings, oidc=None)
    finally:
        await db.close()
        await engine.dispose()
    return token, principal


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workloads", default=",".join(w.name for w in WORKLOADS))
    parser.add_argument(
        "--principals",
        default=",".join(PRINCIPALS),
        help="who asks: anonymous, agency (its bearer token; PostGraphile over its views)",
    )
    parser.add_argument("--cache", choices=("on", "off"), default="off")
    parser.add_argument("--compiled", choices=("on", "off"), default="on")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also the one-statement floor of the compiled path's statements (bench/floor_app.py)",
    )
    return parser


async def _floor_statements(
    url: str,
    folder: Path,
    environ: dict[str, str],
    keys: KeyStore,
    chosen: list[Workload],
    variants: dict[str, list[Any]],
    headers: dict[str, dict[str, str]],
) -> Path:
    """The compiled path's statement of every variant, workload and principal, captured
    through the API's own app (``floor_app.capture``), in a file for the floor's workers."""
    requests = [
        (w.name, p, headers[p], floor_app.request_body(w.api, v[0]))
        for p in headers
        for w in chosen
        for v in variants[w.name]
    ]
    started = time.perf_counter()
    entries = await floor_app.capture(url, environ, keys, requests)
    path = folder / "floor-statements.json"
    floor_app.save(entries, path)
    print(
        f"floor: {len(entries)} statements captured ({len({e.sql for e in entries})} distinct"
        f" texts) in {time.perf_counter() - started:.1f} s"
    )
    return path


async def main() -> None:
    args = parser().parse_args()
    chosen = [w for w in WORKLOADS if w.name in args.workloads.split(",")]
    principals = [p for p in PRINCIPALS if p in args.principals.split(",")]
    if not principals:
        raise SystemExit(f"--principals: name one or more of {', '.join(PRINCIPALS)}")
    from lnob_api.auth.keys import KeyStore, new_key

    keys = KeyStore([new_key()])
    keys_json = json.dumps(keys.to_json())

    node = await asyncio.to_thread(install.install)
    if await asyncio.to_thread(install.ensure_wrk) is None:
        print(
            "WARNING: wrk is not installed (bench/peer/install.py installs it as root with "
            "apt-get): the load comes from an httpx client in Python on the same cores, which "
            "caps every server alike and pulls the ratios towards 1"
        )
    folder = Path(tempfile.mkdtemp(prefix="lnob-peer-"))
    given = os.environ.get("BENCH_DATABASE_URL")
    if not given:
        embedded.TUNING["shared_preload_libraries"] = "pg_stat_statements"
    url = given or embedded.start(folder, delete_on_exit=True)
    url = Settings.from_env({"DATABASE_URL": url}).database_url or url
    servers: list[Server] = []
    try:
        await _prepare(url, args.rows)
        token, agency = await _agency(url, keys)
        conn = await asyncpg.connect(embedded.psql_url(url))
        await schema.install(conn, agency, schema.AGENCY_SCHEMA, schema.AGENCY_ROLE)
        headers = {"anonymous": {}, "agency": {"Authorization": f"Bearer {token}"}}
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await conn.fetchval("SELECT count(*) FROM pg_stat_statements")
            statements = True
        except asyncpg.PostgresError:
            statements = False
        counted = "SQL statements" if statements else "transactions"
        variants = {w.name: await w.variants(conn) for w in chosen}
        flags = {"cache": args.cache == "on", "compiled": args.compiled == "on"}
        apis = [_start_api(url, folder, n, keys=keys_json, **flags) for n in (1, 2)]
        floors: list[Server] = []
        if args.floor:
            environ = _api_env(url, folder, keys=keys_json, **flags)
            wanted = {p: headers[p] for p in principals}
            statements_file = await _floor_statements(
                url, folder, environ, keys, chosen, variants, wanted
            )
            floors = [_start_floor(url, folder, n, statements_file) for n in (1, 2)]
        peers = {p: [_start_peer(node, url, folder, n, p) for n in (1, 2)] for p in principals}
        servers = apis + floors + [s for p in principals for s in peers[p]]
        probe = {"query": "{ __typename }"}
        for s in servers:
            await asyncio.to_thread(_wait_ready, s, probe)
        monitor = Monitor(conn, statements)
        exact: dict[tuple[str, str], float] = {}
        for p in principals:
            for api, peer in zip(apis, peers[p], strict=True):
                counted_now = await check_same_rows(
                    api, peer, chosen, variants, monitor, headers[p]
                )
                for name, (mine, theirs) in counted_now.items():
                    exact[(f"{p} {name}", api.name)] = mine
                    exact[(f"{p} {name}", peer.name)] = theirs
            for floor in floors:
                floor_counted = await check_floor_rows(
                    apis[0], floor, chosen, variants, monitor, headers[p], p
                )
                for name, count in floor_counted.items():
                    exact[(f"{p} {name}", floor.name)] = count
        results = Results()
        tool = "wrk -t2" if shutil.which("wrk") else "httpx (asyncio)"
        print(
            f"load: {tool}, {args.concurrency} connections, {args.rounds} rounds of "
            f"{args.seconds:g} s per configuration, principal and workload, interleaved; "
            f"response cache {args.cache}, compiled path {args.compiled}; "
            f"load average at start {os.getloadavg()[0]:.2f}"
        )
        for round_no in range(args.rounds):
            for w in chosen:
                for p in principals:
                    for s in apis + floors + peers[p]:
                        mine = s.kind != "peer"  # the floor is sent the API's requests
                        bodies = [
                            floor_app.request_body(w.api if mine else w.peer, v[0 if mine else 1])
                            for v in variants[w.name]
                        ]
                        sent = headers[p] if mine else {}
                        # warm-up: plans, caches, JIT; a floor's connections, closed when idle
                        if round_no == 0 or s.kind == "floor":
                            await load_round(s, bodies, 1, args.concurrency, monitor, folder, sent)
                        result = await load_round(
                            s, bodies, args.seconds, args.concurrency, monitor, folder, sent
                        )
                        results.rounds[(f"{p} {w.name}", s.name)].append(result)
                        print(
                            f"round {round_no + 1} {w.name:4s} {p:9s} {s.name:28s}"
                            f" {result.rps:9.1f} req/s p99 {result.p99 * 1000:7.1f} ms",
                            flush=True,
                        )
        await conn.close()
        print(f"\nload average at the end {os.getloadavg()[0]:.2f}\n")
        for p in principals:
            print(
                f"### {p}: response cache {args.cache}, compiled path {args.compiled},"
                f" {args.rows:,} observations\n"
            )
            print(table(results, chosen, apis + floors + peers[p], counted, exact, p))
            print()
    finally:
        for s in servers:
            if s.proc.poll() is None:
                s.proc.send_signal(2)
        for s in servers:
            try:
                s.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                s.proc.kill()
        if not given:
            embedded.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
