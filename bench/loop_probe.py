"""Where a worker's latency tail comes from (issue 12): ``lnob-api serve`` in this process,
with probes, for a load generator (wrk) to drive.

    .venv/bin/python -m bench.loop_probe serve --port 8000 --workers 1 --no-migrate --no-seed
    kill -USR1 <pid>   # appends one JSON line of what was seen since the last signal

Each line (to ``$PROBE_OUT``, default ``loop_probe.jsonl``): server-side request time
(p50/p90/p99/max, ms, from the observe middleware), garbage collections by generation (count,
total and longest pause, ms), event-loop lag (a 1 ms ticker: how late it woke, p99/max and
how often over 5 and 20 ms), new database connections (asyncpg connects: count, total and
longest, ms), statement preparations (asyncpg statement-cache misses, > 0.3 ms), RSS. It was
how the connection churn of the pool's overflow was found (db/engine.py). Figures only.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import asyncpg.connection
import psutil

OUT = os.environ.get("PROBE_OUT", "loop_probe.jsonl")
seen: dict[str, list[float]] = {k: [] for k in ("request", "lag", "connect", "prepare")}
pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
_gc_started = [0.0]


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        pauses[info["generation"]].append(time.perf_counter() - _gc_started[0])


def _summary(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    if not v:
        return {"n": 0}
    at = lambda p: round(v[min(len(v) - 1, int(p * len(v)))] * 1e3, 2)  # noqa: E731
    over = {"over5": sum(x > 0.005 for x in v), "over20": sum(x > 0.02 for x in v)}
    return {"n": len(v), "p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": at(1)} | over


def _dump(*_: Any) -> None:
    line: dict[str, Any] = {k: _summary(v) for k, v in seen.items()}
    for gen, p in pauses.items():
        line[f"gc{gen}"] = {"n": len(p), "total": sum(p) * 1e3, "max": max(p, default=0) * 1e3}
        p.clear()
    for v in seen.values():
        v.clear()
    line["rss_mib"] = psutil.Process().memory_info().rss / 2**20
    with open(OUT, "a") as f:
        f.write(json.dumps(line) + "\n")


def _timed(key: str, fn: Any, least: float = 0.0) -> Any:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            if (took := time.perf_counter() - started) > least:
                seen[key].append(took)

    return timed


async def _ticker() -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        seen["lag"].append(time.perf_counter() - started - 0.001)


def install() -> None:
    import lnob_api.app as app_module
    from lnob_api.observability import metrics

    gc.callbacks.append(_on_gc)
    signal.signal(signal.SIGUSR1, _dump)
    asyncpg.connect = _timed("connect", asyncpg.connect)
    statement = asyncpg.connection.Connection._get_statement
    asyncpg.connection.Connection._get_statement = _timed("prepare", statement, 0.0003)  # type: ignore[method-assign]
    observe = metrics.observe_request

    def observe_request(method: str, route: str, status: int, seconds: float) -> None:
        seen["request"].append(seconds)
        observe(method, route, status, seconds)

    metrics.observe_request = observe_request
    create_app = app_module.create_app

    def probed_app(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        lifespan = app.router.lifespan_context

        @asynccontextmanager
        async def with_ticker(a: Any) -> AsyncIterator[None]:
            async with lifespan(a):
                task = asyncio.get_running_loop().create_task(_ticker())
                yield
                task.cancel()

        app.router.lifespan_context = with_ticker
        return app

    app_module.create_app = probed_app  # type: ignore[assignment]


if __name__ == "__main__":
    install()
    from lnob_api.cli import main

    sys.exit(main(sys.argv[1:]))
