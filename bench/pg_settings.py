"""PostgreSQL settings A/B: the read workloads' own SQL, replayed on one backend per side,
the two values interleaved; PostgreSQL's CPU per request (the backend's, from /proc).

    BENCH_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python -m bench.pg_settings \\
        plan_cache_mode auto force_generic_plan [--rounds 6] [-n 60] [--compiled]

The database must hold the benchmark data (``bench/data.py``) and run on this machine (the
backend's CPU time is read from ``/proc``). The statements are captured from one request of
each ``bench/ab.py`` workload through the ASGI app, then prepared once per connection and
executed ``n`` times per round, as SQLAlchemy's asyncpg adapter runs them (one prepared
statement per pooled connection). Each side gets a fresh connection with the setting in its
startup parameters (and ``jit=off``, as the app's engine). The ratio is the median over rounds
of CPU(b) / CPU(a): below 1 when ``b`` is cheaper. Figures only: nothing here asserts a time.
Only settings a session may set can be compared this way (not ``shared_buffers``).

``--compiled`` captures the compiled read path's statements instead (``LNOB_COMPILED``, one per
request) for the workloads of ``bench/workloads.py`` (W1-W4, W2b; their first variant),
anonymous and with the benchmark agency's token (``bench/data.py``; W1 needs the benchmark
projects of ``bench/peer/schema.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from collections.abc import Sequence
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from bench import given_database, workloads
from bench.ab import WORKLOADS
from lnob_api.db import embedded

TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SELECT PG_")
Requests = list[tuple[str, str, dict[str, Any], dict[str, str]]]  # name, query, variables, headers


async def compiled_requests(
    url: str, keys: Any, extra: Sequence[workloads.Workload] = ()
) -> Requests:
    """``bench/workloads.py``'s first variant of each workload (and of ``extra``'s), anonymous
    and as the agency."""
    from bench.peer.run import _agency

    token, _ = await _agency(url, keys)
    every = [*workloads.WORKLOADS, *extra]
    conn = await asyncpg.connect(embedded.psql_url(url))
    try:
        first = {w.name: (await w.variants(conn))[0][0] for w in every}
    finally:
        await conn.close()
    return [
        (f"{w.name} {who}", w.api, first[w.name], headers)
        for who, headers in (("anonymous", {}), ("agency", {"Authorization": f"Bearer {token}"}))
        for w in every
    ]


async def capture(
    url: str, *, compiled: bool = False, extra: Sequence[workloads.Workload] = ()
) -> dict[str, list[tuple[str, Any]]]:
    """Each workload's SQL statements and parameters, as the app sends them (with
    ``compiled``, ``extra``'s workloads' too)."""
    from bench.peer.run import ISSUER
    from lnob_api.app import create_app
    from lnob_api.auth.keys import KeyStore, new_key
    from lnob_api.config import Settings
    from lnob_api.db import create_engine
    from lnob_api.db.request import EngineDatabase

    keys = KeyStore([new_key()])
    requests: Requests = [(name, q, v, {}) for name, (q, v) in WORKLOADS.items()]
    settings = Settings(env="test", rate_limit=0)
    if compiled:
        requests = await compiled_requests(url, keys, extra)
        settings = Settings(
            env="test",
            rate_limit=0,
            compiled=True,
            max_page_size=workloads.MAX_PAGE_SIZE,
            issuer=ISSUER,
            audience="lnob-api",
        )
    engine = create_engine(url, pool_size=2)
    app = create_app(settings, database=EngineDatabase(engine), keys=keys)
    # The compiled statement runs on the driver's own connection, which SQLAlchemy's events
    # do not see: in an AsyncSession here, so that it is captured (the same SQL either way).
    app.state.graphql.compiled.driver = False
    seen: dict[str, list[tuple[str, Any]]] = {}
    current = [""]

    def note(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION):
            seen.setdefault(current[0], []).append((statement, params))

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, query, variables, headers in requests:
            current[0] = name
            body = {"query": query, "variables": variables}
            response = await client.post("/graphql", json=body, headers=headers)
            if response.status_code != 200 or "errors" in response.json():
                raise SystemExit(f"{name}: {response.text[:300]}")
    await engine.dispose()
    return seen


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _side(
    dsn: str, setting: str, value: str, statements: list[tuple[str, Any]], n: int
) -> float:
    """Backend CPU seconds per request with ``setting = value``."""
    conn = await asyncpg.connect(dsn, server_settings={"jit": "off", setting: value})
    try:
        pid = conn.get_server_pid()
        prepared = [(await conn.prepare(sql), params) for sql, params in statements]
        for statement, params in prepared:  # the first executions: custom plans, caches
            for _ in range(6):
                await statement.fetch(*params)
        started = _cpu(pid)
        for _ in range(n):
            for statement, params in prepared:
                await statement.fetch(*params)
        return (_cpu(pid) - started) / n
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("setting")
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("-n", type=int, default=60, help="requests per side per round")
    parser.add_argument(
        "--compiled", action="store_true", help="the compiled read path's statements"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated workload names to measure (default: all)"
    )
    args = parser.parse_args()
    url = given_database()
    dsn = embedded.psql_url(url)
    seen = await capture(url, compiled=args.compiled)
    print(
        f"## {args.setting}: {args.a} -> {args.b}, PostgreSQL CPU ms per request"
        f" (median of {args.rounds} rounds of {args.n})"
    )
    wanted = {w for w in args.only.split(",") if w}
    for name, statements in seen.items():
        if wanted and name.split()[0] not in wanted:
            continue
        cpu: dict[str, list[float]] = {args.a: [], args.b: []}
        for round_ in range(args.rounds):
            for value in (args.a, args.b) if round_ % 2 == 0 else (args.b, args.a):
                cpu[value].append(await _side(dsn, args.setting, value, statements, args.n))
        a, b = statistics.median(cpu[args.a]), statistics.median(cpu[args.b])
        longest = max(len(sql) for sql, _ in statements)
        print(
            f"{name:22s} {len(statements)} statements (longest {longest:,} chars)"
            f"  {args.a}: {a * 1000:6.2f} ms  {args.b}: {b * 1000:6.2f} ms  ratio {b / a:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
