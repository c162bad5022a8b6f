"""The response cache's leases (``lnob_api.cache.leases``): W3 for the benchmark agency with
the cache on, and the latency of a token revocation, against ``lnob-api serve --workers 2``,
with this tree's code and with an older tree's (``--base``, a ``src`` folder), interleaved.

    createdb -h 127.0.0.1 -U postgres bench_leases
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench_leases \\
        .venv/bin/python -m bench.leases --base /tmp/base/src [--rows 20000] [--seconds 5]
        [--rounds 3] [--concurrency 16] [--revokes 200] [--writers 8] [--skip-reads]

Per round and server: wrk (2 threads) on W3, anonymous and as the agency (its bearer token; 50
variants that repeat, so nearly every answer is a cache hit). Per round, both servers taking
turns a tenth at a time: ``--revokes`` sequential ``POST /oauth/revoke`` of fresh tokens of the
agency's client (p50/p99 of the acknowledgement), then as many ``--writers`` at a time (req/s,
p50/p99: each one a write, its commit, its data version and its wait for both workers).
``--skip-reads``: the revocations only. ``--waits N``: only the writer's wait for two workers
(its own listener and another process's), N writes woken by acknowledgements and N polling
the table, alternately (no server, no HTTP). At the end, per server and principal, the transactions
per request of 1,000 sequential hits less the idle rate (``pg_stat_database``; every statement
of the bearer check and of the compiled path is a transaction of its own; the listeners'
renewals add about one per second).
Figures only: nothing here asserts a time.

The older tree must know this database's migrations: copy
``src/lnob_api/migrations/versions/0017_cache_leases.py`` into it (its code ignores the tables).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import sqlalchemy as sa

from bench.peer.run import ISSUER, Server, _agency, _prepare, _start_api, _wait_ready, _wrk
from bench.workloads import W3_API, _datasets
from lnob_api.auth.keys import KeyStore, new_key
from lnob_api.auth.secrets import hash_secret
from lnob_api.auth.tokens import issue_access_token
from lnob_api.cache import writes
from lnob_api.cache.leases import Waiter
from lnob_api.cache.listener import Listener, dsn_of
from lnob_api.cache.store import ResponseCache
from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded
from lnob_api.db.request import EngineDatabase

SECRET = "bench-agency-secret"  # noqa: S105 (the benchmark database only)


async def _transactions(conn: asyncpg.Connection) -> int:
    found = await conn.fetchval(
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(found)


async def _snapshot(conn: asyncpg.Connection) -> tuple[int, float]:
    await asyncio.sleep(11)  # backends flush their counts once idle (within 10 s)
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    return await _transactions(conn), time.monotonic()


async def _per_request(
    conn: asyncpg.Connection, base: str, bodies: list[str], headers: dict[str, str]
) -> float:
    """Transactions per request over 1,000 sequential hits (the same bodies as the load, each
    sent once before), less what the servers run while idle (the listeners' renewals)."""
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        for body in bodies:
            await client.post("/graphql", content=body)
        idle_from, idle_at = await _snapshot(conn)
        await asyncio.sleep(3)
        idle_to, busy_at = await _snapshot(conn)
        for i in range(1000):
            response = await client.post("/graphql", content=bodies[i % len(bodies)])
            assert response.status_code == 200, response.text
    busy_to, done_at = await _snapshot(conn)
    idle_rate = (idle_to - idle_from) / (busy_at - idle_at)
    return (busy_to - idle_to - idle_rate * (done_at - busy_at)) / 1000


def _fresh_tokens(keys: KeyStore, client_id: str, n: int) -> list[str]:
    return [
        issue_access_token(
            keys,
            issuer=ISSUER,
            audience="lnob-api",
            subject=client_id,
            client_id=client_id,
            scopes=["data:read"],
            ttl=600,
        )[0]
        for _ in range(n)
    ]


async def _revokes(
    base: str, client_id: str, tokens: list[str], concurrency: int
) -> tuple[list[float], float]:
    """Seconds each revocation of ``tokens`` took, ``concurrency`` at a time, and in all."""
    took: list[float] = []
    auth = httpx.BasicAuth(client_id, SECRET)
    async with httpx.AsyncClient(base_url=base) as client:

        async def revoking(mine: list[str]) -> None:
            for token in mine:
                started = time.perf_counter()
                response = await client.post("/oauth/revoke", data={"token": token}, auth=auth)
                took.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text

        began = time.perf_counter()
        await asyncio.gather(*(revoking(tokens[i::concurrency]) for i in range(concurrency)))
        return took, time.perf_counter() - began


async def _revokes_interleaved(
    servers: dict[str, Server], keys: KeyStore, client_id: str, n: int, concurrency: int
) -> dict[str, tuple[float, float, float]]:
    """Per server: req/s, p50 and p99 (ms) of n revocations, the servers taking turns in ten
    slices (the machine's noise falls on both alike)."""
    took: dict[str, list[float]] = {name: [] for name in servers}
    spent = dict.fromkeys(servers, 0.0)
    for _ in range(10):
        for name, s in servers.items():
            tokens = _fresh_tokens(keys, client_id, max(concurrency, n // 10))
            slice_took, elapsed = await _revokes(s.base, client_id, tokens, concurrency)
            took[name] += slice_took
            spent[name] += elapsed
    figures = {}
    for name, seconds in took.items():
        seconds.sort()
        p99 = seconds[min(len(seconds) - 1, int(0.99 * len(seconds)))]
        figures[name] = (len(seconds) / spent[name], statistics.median(seconds) * 1000, p99 * 1000)
    return figures


def _start(url: str, folder: Path, keys: str, src: str | None, name: str) -> Server:
    extra = {"PYTHONPATH": src} if src else {}
    saved = dict(os.environ)
    os.environ.update(extra)
    try:
        server = _start_api(url, folder / name, 2, keys=keys, cache=True, compiled=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    server.name = name
    return server


async def _listener_only(url: str) -> None:
    """The other worker of ``--waits``: a listener (its cache, its lease) until stdin closes."""
    engine = create_engine(url, pool_size=1)
    cache = ResponseCache(needs_listener=True)
    listener = Listener(dsn_of(engine), cache)
    await listener.start()
    print("listening", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await listener.stop()
    await engine.dispose()


def _spawn_listener() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.leases", "--listener-only"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


async def _waits(url: str, n: int) -> None:
    """A writer's wait for two workers (its own listener and another process's): n writes woken
    by acknowledgements and n polling the table, alternately; commit and wait p50/p90/p99."""
    other = _spawn_listener()
    engine = create_engine(url, pool_size=2)
    waiter = Waiter(EngineDatabase(engine))
    cache = ResponseCache(needs_listener=True)
    writes.unwatch(cache)
    own = Listener(dsn_of(engine), cache, acks=waiter.acks)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "listening"
        await own.start()
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_lease_probe (n int)"))
        took: dict[str, list[tuple[float, float]]] = {"acknowledged": [], "polled": []}
        for i in range(2 * n):
            way = "acknowledged" if i % 2 else "polled"
            waiter.acks.listening = way == "acknowledged"  # off: the table polled every 2 ms
            with writes.collecting() as versions:
                started = time.perf_counter()
                async with engine.begin() as conn:
                    await conn.execute(sa.text("INSERT INTO bench_lease_probe VALUES (1)"))
                committed = time.perf_counter()
                await waiter.heard(versions)
            took[way].append((committed - started, time.perf_counter() - committed))
            await asyncio.sleep(0.005)
        for way, times in took.items():
            commits = sorted(t[0] * 1000 for t in times)
            waits = sorted(t[1] * 1000 for t in times)
            print(
                f"{way:12s} commit p50 {statistics.median(commits):5.2f} ms; wait p50"
                f" {statistics.median(waits):5.2f} p90 {waits[int(0.9 * n)]:5.2f}"
                f" p99 {waits[int(0.99 * n)]:5.2f} ms"
            )
    finally:
        await own.stop()
        with contextlib.suppress(Exception):
            async with engine.begin() as conn:
                await conn.execute(sa.text("DROP TABLE IF EXISTS bench_lease_probe"))
        await engine.dispose()
        other.communicate("", timeout=20)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", help="an older tree's src folder (the 'before' server)")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--revokes", type=int, default=200)
    parser.add_argument("--writers", type=int, default=8, help="concurrent revocations")
    parser.add_argument("--skip-reads", action="store_true", help="only the revocations")
    parser.add_argument("--waits", type=int, help="only the writer's wait, this many writes")
    parser.add_argument("--listener-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        raise SystemExit("set BENCH_DATABASE_URL (a database of your own)")
    url = Settings.from_env({"DATABASE_URL": url}).database_url or url
    if args.listener_only or args.waits:
        await (_listener_only(url) if args.listener_only else _waits(url, args.waits))
        return
    keys = KeyStore([new_key()])
    keys_json = json.dumps(keys.to_json())
    folder = Path(tempfile.mkdtemp(prefix="lnob-leases-"))
    await _prepare(url, args.rows)
    token, _ = await _agency(url, keys)
    conn = await asyncpg.connect(embedded.psql_url(url))
    client_id = "bench-agency"
    await conn.execute(
        "UPDATE oauth_clients SET secret_hash = $1 WHERE client_id = $2",
        hash_secret(SECRET),
        client_id,
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [json.dumps({"query": W3_API, "variables": v}) for v, _ in await _datasets(conn)]
    bodies = bodies[:50]
    for name in ("before", "after"):
        (folder / name).mkdir()
    servers = {"after": _start(url, folder, keys_json, None, "after")}
    if args.base:
        servers["before"] = _start(url, folder, keys_json, args.base, "before")
    try:
        for s in servers.values():
            await asyncio.to_thread(_wait_ready, s, {"query": "{ __typename }"})
        print(f"load average at start {os.getloadavg()[0]:.2f}; W3, cache on, 2 workers")
        who = {"anonymous": {"Content-Type": "application/json"}, "agency": headers}
        for round_no in range(args.rounds):
            for name, s in servers.items():
                for principal, sent in () if args.skip_reads else who.items():
                    if round_no == 0:
                        _wrk(s.base, bodies, 1, args.concurrency, folder, sent)
                    total, p50, p99, errors, sockets = _wrk(
                        s.base, bodies, args.seconds, args.concurrency, folder, sent
                    )
                    print(
                        f"round {round_no + 1} {name:6s} W3 {principal:9s}"
                        f" {total / args.seconds:8.0f} req/s p50 {p50 * 1000:6.2f} ms"
                        f" p99 {p99 * 1000:6.2f} ms errors {errors + sockets}",
                        flush=True,
                    )
            for at_once in (1, args.writers):
                figures = await _revokes_interleaved(
                    servers, keys, client_id, args.revokes, at_once
                )
                for name, (rate, r50, r99) in figures.items():
                    print(
                        f"round {round_no + 1} {name:6s} revoke x{at_once:<2d} {rate:6.0f} req/s"
                        f" p50 {r50:6.2f} ms p99 {r99:6.2f} ms",
                        flush=True,
                    )
        for name, s in servers.items():
            for principal, sent in () if args.skip_reads else who.items():
                per = await _per_request(conn, s.base, bodies, sent)
                print(f"{name:6s} W3 {principal:9s} {per:.3f} transactions/request (1,000 hits)")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    finally:
        await conn.close()
        for s in servers.values():
            s.proc.terminate()
            try:
                s.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                s.proc.kill()


if __name__ == "__main__":
    asyncio.run(main())
