"""Where a worker's latency tail comes from (issue 12): ``lnob-api serve`` in this process,
with probes in each worker, for a load generator (wrk) to drive.

    .venv/bin/python -m bench.loop_probe serve --port 8000 --workers 1 --no-migrate --no-seed
    kill -USR1 <pid>   # appends one JSON line of what was seen since the last signal

With ``--workers N`` each worker (a spawned process, which imports this module as
``__mp_main__``) installs the probes too: signal the workers, not the supervisor (its children,
``pgrep -P <pid>``; the one running ``resource_tracker`` is no worker). Each line (to
``$PROBE_OUT``, default ``loop_probe.jsonl``; ``pid`` says whose): server-side request time
(p50/p90/p99/max, ms, from the observe middleware), garbage collections by generation (count,
total and longest pause, ms), the objects the collector tracks by generation and frozen
(``gc_objects``), event-loop lag (a 1 ms ticker: how late it woke, p99/max and how often over 5
and 20 ms) and its stalls over 20 ms (``stalls``: how many, their time, and the share of it the
loop's thread spent on a CPU: near 1 is work in the worker, a collection or a slow request; near
0 a worker waiting for a CPU that other processes held), new database connections (asyncpg connects: count, total and longest, ms),
statement preparations (asyncpg statement-cache misses, > 0.3 ms), the TCP connections the
worker holds on its port (``connections``: how evenly the kernel spread a load's keep-alive
connections), RSS. It was how the connection churn of the pool's overflow was found
(db/engine.py), and how uvicorn's shared listening socket was seen piling 12-15 of wrk's 16
connections on one of two workers (lnob_api/workers.py). Only the workers' probes are light
enough at start: a worker that has not answered its supervisor's health check within 5 s
is restarted. Figures only.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
import time
from typing import Any

import asyncpg
import asyncpg.connection
import psutil

OUT = os.environ.get("PROBE_OUT", "loop_probe.jsonl")
seen: dict[str, list[float]] = {k: [] for k in ("request", "lag", "connect", "prepare")}
pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
_gc_started = [0.0]
stalls: list[tuple[float, float]] = []  # (loop lag over 20 ms, the thread's CPU time in it)


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
    line: dict[str, Any] = {"pid": os.getpid()}
    line |= {k: _summary(v) for k, v in seen.items()}
    for gen, p in pauses.items():
        line[f"gc{gen}"] = {"n": len(p), "total": sum(p) * 1e3, "max": max(p, default=0) * 1e3}
        p.clear()
    for v in seen.values():
        v.clear()
    # Of the stalls' time, how much the loop's thread spent on a CPU (Python work, a collection)
    # rather than waiting for one (other processes on the machine; 0 = only waiting).
    lagged = sum(lag for lag, _ in stalls)
    line["stalls"] = {
        "n": len(stalls),
        "ms": round(lagged * 1e3, 1),
        "on_cpu": round(sum(c for _, c in stalls) / lagged, 2) if lagged else None,
    }
    stalls.clear()
    line["gc_objects"] = [len(gc.get_objects(generation=g)) for g in range(3)]
    line["gc_objects"].append(gc.get_freeze_count())
    process = psutil.Process()
    line["connections"] = sum(
        1
        for c in process.net_connections("tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr.port in _ports
    )
    line["rss_mib"] = process.memory_info().rss / 2**20
    with open(OUT, "a") as f:
        f.write(json.dumps(line) + "\n")


_ports: set[int] = set()


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
        cpu = time.thread_time()
        await asyncio.sleep(0.001)
        lag = time.perf_counter() - started - 0.001
        seen["lag"].append(lag)
        if lag > 0.02:  # a stall: the loop's thread running (on the CPU) or waiting for one
            stalls.append((lag, time.thread_time() - cpu))


def _observe_requests() -> None:
    from lnob_api.observability import metrics

    observe = metrics.observe_request

    def observe_request(method: str, route: str, status: int, seconds: float) -> None:
        seen["request"].append(seconds)
        observe(method, route, status, seconds)

    metrics.observe_request = observe_request


def install() -> None:
    """The probes, in this process: what is cheap now, the rest when uvicorn's server starts
    (in a worker, after its first answer to the supervisor's health check)."""
    import uvicorn.server

    gc.callbacks.append(_on_gc)
    signal.signal(signal.SIGUSR1, _dump)
    asyncpg.connect = _timed("connect", asyncpg.connect)
    statement = asyncpg.connection.Connection._get_statement
    asyncpg.connection.Connection._get_statement = _timed("prepare", statement, 0.0003)  # type: ignore[method-assign]
    startup = uvicorn.server.Server.startup
    tasks: list[asyncio.Task[None]] = []

    async def probed_startup(self: uvicorn.server.Server, sockets: Any = None) -> None:
        _observe_requests()
        _ports.add(self.config.port)
        tasks.append(asyncio.get_running_loop().create_task(_ticker()))
        await startup(self, sockets=sockets)

    uvicorn.server.Server.startup = probed_startup  # type: ignore[method-assign]


if __name__ == "__mp_main__":  # a worker of ``serve --workers N``, spawned
    install()

if __name__ == "__main__":
    install()
    from lnob_api.cli import main

    sys.exit(main(sys.argv[1:]))
