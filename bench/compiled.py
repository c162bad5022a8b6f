"""In-process A/B of the compiled read path against the Strawberry path on W1-W4 and W2b.

    BENCH_DATABASE_URL=postgresql://... .venv/bin/python -m bench.compiled [--rounds 6] [-n 20]

The database must hold the benchmark data (``bench/data.py``). Two apps share one engine: one
with ``LNOB_COMPILED`` on, one with it off. Requests go through the ASGI app (httpx
ASGITransport, one at a time), anonymous and with the variants of ``bench/workloads.py``
drawn in turn; each round runs ``n`` requests of a workload on one side, then on the other
(the order alternates). Figures: this process's CPU time per request (server and client
Python work; PostgreSQL excluded), SQL statements per request, and the median ratio. Before
timing, both sides' bodies are checked equal for every variant. Prints a Markdown table;
asserts no time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from bench import given_database
from bench.workloads import MAX_PAGE_SIZE, WORKLOADS

STATEMENTS = [0]


def _count(*_args: Any) -> None:
    STATEMENTS[0] += 1


async def _run(
    client: httpx.AsyncClient, query: str, variants: list[dict[str, Any]], n: int, start: int
) -> tuple[float, float]:
    """CPU ms and statements per request over ``n`` requests."""
    before = STATEMENTS[0]
    started = time.process_time()
    for i in range(n):
        variables = variants[(start + i) % len(variants)]
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        if response.status_code != 200 or b'"errors"' in response.content:
            raise SystemExit(f"{response.status_code}: {response.text[:300]}")
    cpu = (time.process_time() - started) * 1000 / n
    return cpu, (STATEMENTS[0] - before) / n


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("-n", type=int, default=20, help="requests per side per round")
    args = parser.parse_args()

    from lnob_api.app import create_app
    from lnob_api.auth.keys import KeyStore, new_key
    from lnob_api.config import Settings
    from lnob_api.db import create_engine
    from lnob_api.db.request import EngineDatabase
    from lnob_api.graphql.compiled import FALLBACKS

    url = given_database()
    raw_url = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(raw_url)
    try:
        variants = {w.name: [api for api, _ in await w.variants(conn)] for w in WORKLOADS}
    finally:
        await conn.close()

    engine = create_engine(url, pool_size=2)
    event.listen(engine.sync_engine, "before_cursor_execute", _count)
    base = Settings(env="test", rate_limit=0, max_page_size=MAX_PAGE_SIZE)
    keys = KeyStore([new_key()])
    apps = {
        side: create_app(
            dataclasses.replace(base, compiled=side == "compiled"),
            database=EngineDatabase(engine),
            keys=keys,
        )
        for side in ("strawberry", "compiled")
    }
    clients = {
        side: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
        for side, app in apps.items()
    }
    rows = []
    try:
        for workload in WORKLOADS:
            found = variants[workload.name][:50]
            if not found:
                print(f"{workload.name}: no variants in this database, skipped")
                continue
            for variables in found[:10]:  # the same answer both ways, before timing anything
                bodies = [
                    (
                        await c.post(
                            "/graphql", json={"query": workload.api, "variables": variables}
                        )
                    ).content
                    for c in clients.values()
                ]
                if bodies[0] != bodies[1]:
                    raise SystemExit(f"{workload.name}: the two paths differ for {variables}")
            fell = sum(FALLBACKS.values())
            cpu: dict[str, list[float]] = {"strawberry": [], "compiled": []}
            statements: dict[str, float] = {}
            ratios = []
            for round_ in range(args.rounds):
                sides = ["strawberry", "compiled"][:: 1 if round_ % 2 == 0 else -1]
                got = {}
                for side in sides:
                    ms, per = await _run(clients[side], workload.api, found, args.n, round_)
                    got[side] = ms
                    cpu[side].append(ms)
                    statements[side] = per
                ratios.append(got["compiled"] / got["strawberry"])
            compiled_all = sum(FALLBACKS.values()) == fell
            rows.append(
                (
                    workload.title,
                    statistics.median(cpu["strawberry"]),
                    statistics.median(cpu["compiled"]),
                    statistics.median(ratios),
                    statements["strawberry"],
                    statements["compiled"],
                    "yes" if compiled_all else "fell back",
                )
            )
    finally:
        for c in clients.values():
            await c.aclose()
        await engine.dispose()

    print(
        "| workload | Strawberry CPU ms/req | compiled CPU ms/req | compiled / Strawberry |"
        " statements/req Strawberry | compiled | compiled path |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for title, s, c, r, ss, cs, ok in rows:
        print(f"| {title} | {s:.2f} | {c:.2f} | {r:.3f} | {ss:.1f} | {cs:.1f} | {ok} |")
    if FALLBACKS:
        print(f"\nfallbacks by reason: {dict(FALLBACKS)}")


if __name__ == "__main__":
    asyncio.run(main())
