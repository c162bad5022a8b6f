"""PostgreSQL's side of the compiled read path, A/B: each workload's one statement built with
column pruning (``graphql.compiled.build.PRUNE``) and without, replayed interleaved.

    BENCH_DATABASE_URL=postgresql://... .venv/bin/python -m bench.compiled_sql [--rounds 6] [-n 40]

The database must hold the benchmark data (``bench/data.py``, W1's projects from
``bench/peer/schema.py``: ``python -m bench.peer.run`` prepares both). The statements are
captured from one request of each ``bench/workloads.py`` workload (first variant, anonymous and
as the benchmark agency) through the ASGI app, once per side; both sides must return the same
JSON. Per workload: the statement's length, EXPLAIN (ANALYZE, BUFFERS)'s planning and execution
time (median over rounds, custom plans), and the backend's CPU per request from ``/proc`` as
the app runs it (a prepared statement per connection, ``jit=off``), with the ratio on/off (median
of per-round ratios; below 1 when pruning is cheaper). Figures only: asserts no time.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
from typing import Any

import asyncpg

from bench import given_database, pg_settings
from lnob_api.db import embedded


async def _explain(conn: asyncpg.Connection, sql: str, params: Any) -> tuple[float, float, str]:
    rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *params)
    text = "\n".join(r[0] for r in rows)
    planning = re.search(r"Planning Time: ([\d.]+) ms", text)
    execution = re.search(r"Execution Time: ([\d.]+) ms", text)
    return (
        float(planning.group(1)) if planning else float("nan"),
        float(execution.group(1)) if execution else float("nan"),
        text,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("-n", type=int, default=40, help="executions per side per round")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--plans", action="store_true", help="print each pruned plan")
    args = parser.parse_args()
    from lnob_api.graphql.compiled import build

    url = given_database()
    dsn = embedded.psql_url(url)
    sides: dict[str, dict[str, list[tuple[str, Any]]]] = {}
    for side, prune in (("off", False), ("on", True)):
        build.PRUNE = prune
        sides[side] = await pg_settings.capture(url, compiled=True)
    build.PRUNE = True
    wanted = {w for w in args.only.split(",") if w}
    conn = await asyncpg.connect(dsn, server_settings={"jit": "off"})
    print(
        "| workload | chars off | chars on | plan ms off | on | exec ms off | on |"
        " PG CPU ms/req off | on | on / off |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    plans = []
    try:
        for name in sides["off"]:
            if wanted and name.split()[0] not in wanted:
                continue
            (off_sql, off_params), *_ = sides["off"][name]
            (on_sql, on_params), *_ = sides["on"][name]
            if len(sides["off"][name]) != 1 or len(sides["on"][name]) != 1:
                raise SystemExit(f"{name}: not one compiled statement per request")
            same = await conn.fetch(off_sql, *off_params) == await conn.fetch(on_sql, *on_params)
            if not same:
                raise SystemExit(f"{name}: the pruned statement answers differently")
            statements = {"off": [(off_sql, off_params)], "on": [(on_sql, on_params)]}
            planning: dict[str, list[float]] = {"off": [], "on": []}
            execution: dict[str, list[float]] = {"off": [], "on": []}
            cpu: dict[str, list[float]] = {"off": [], "on": []}
            ratios = []
            text = ""
            for round_ in range(args.rounds):
                got = {}
                for side in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                    sql, params = statements[side][0]
                    p, e, plan = await _explain(conn, sql, params)
                    planning[side].append(p)
                    execution[side].append(e)
                    if side == "on":
                        text = plan
                    got[side] = await pg_settings._side(dsn, "jit", "off", statements[side], args.n)
                    cpu[side].append(got[side])
                ratios.append(got["on"] / got["off"] if got["off"] else float("nan"))
            med = statistics.median
            print(
                f"| {name} | {len(off_sql):,} | {len(on_sql):,}"
                f" | {med(planning['off']):.2f} | {med(planning['on']):.2f}"
                f" | {med(execution['off']):.2f} | {med(execution['on']):.2f}"
                f" | {med(cpu['off']) * 1000:.2f} | {med(cpu['on']) * 1000:.2f}"
                f" | {med(ratios):.3f} |",
                flush=True,
            )
            plans.append((name, text))
    finally:
        await conn.close()
    if args.plans:
        for name, text in plans:
            print(f"\n### {name}\n\n```\n{text}\n```")


if __name__ == "__main__":
    asyncio.run(main())
