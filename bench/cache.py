"""In-process A/B of the response cache, interleaved, on the read workloads W1-W4.

    BENCH_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python -m bench.cache [--rounds 8] [-n 30]

The database must already hold the benchmark data (``bench/data.py``; ``bench/run.py`` makes it).
Requests go through the ASGI app (httpx ASGITransport, one client, one request at a time), so
the figure is server time per request with no network in between. Three sides per round, in an
order that rotates between rounds:

- ``off``: no response cache (every request executes);
- ``hit``: the cache on and warm (the same request again);
- ``miss``: the cache on, emptied before every request as a write would (its overhead: the key,
  the next-scheduled-change query, storing).

Printed: the median over rounds of time per request, and of hit/off and miss/off. Figures only:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

from bench import given_database
from bench.ab import WORKLOADS


async def _time(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], n: int, before: Any = None
) -> float:
    started = time.perf_counter()
    for _ in range(n):
        if before is not None:
            before()
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        if response.status_code != 200 or "errors" in response.json():
            raise SystemExit(f"{response.status_code}: {response.text[:300]}")
    return (time.perf_counter() - started) / n


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("-n", type=int, default=30, help="requests per side per round")
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    args = parser.parse_args()

    from lnob_api.app import create_app
    from lnob_api.auth.keys import KeyStore, new_key
    from lnob_api.cache.store import ResponseCache
    from lnob_api.config import Settings
    from lnob_api.db import create_engine
    from lnob_api.db.request import EngineDatabase

    url = given_database()
    engine = create_engine(url, pool_size=2)
    app = create_app(
        Settings(env="test", rate_limit=0),
        database=EngineDatabase(engine),
        keys=KeyStore([new_key()]),
    )
    graphql = app.state.graphql
    cache = ResponseCache(ttl=3600.0, next_change=graphql.next_change)
    sides = ("off", "hit", "miss")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        print("## response cache: time per request (median of rounds), anonymous")
        for name in args.workload or list(WORKLOADS):
            query, variables = WORKLOADS[name]
            times: dict[str, list[float]] = {side: [] for side in sides}
            ratios: dict[str, list[float]] = {"hit": [], "miss": []}
            graphql.cache = None
            await _time(client, query, variables, 5)  # warm-up
            for round_ in range(args.rounds):
                order = sides[round_ % 3 :] + sides[: round_ % 3]
                got: dict[str, float] = {}
                for side in order:
                    graphql.cache = None if side == "off" else cache
                    before = cache.bump if side == "miss" else None
                    if side == "hit":
                        await _time(client, query, variables, 1)  # stored
                    got[side] = await _time(client, query, variables, args.n, before)
                for side in sides:
                    times[side].append(got[side])
                ratios["hit"].append(got["hit"] / got["off"])
                ratios["miss"].append(got["miss"] / got["off"])
            med = {side: statistics.median(values) * 1000 for side, values in times.items()}
            print(
                f"{name:22s} off {med['off']:7.2f} ms  hit {med['hit']:6.3f} ms  "
                f"miss {med['miss']:7.2f} ms  hit/off {statistics.median(ratios['hit']):.3f} "
                f"(x{1 / statistics.median(ratios['hit']):.1f})  "
                f"miss/off {statistics.median(ratios['miss']):.3f}"
            )
        graphql.cache = None
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
