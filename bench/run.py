"""Load benchmark of the GraphQL read paths.

    .venv/bin/python -m bench.run [--observations 200000] [--seconds 5] [--concurrency 16]

Starts its own embedded PostgreSQL in a temporary folder (or uses BENCH_DATABASE_URL), migrates,
seeds, generates data (bench/data.py), then for each workload:
- counts SQL statements per request in-process (through the ASGI app),
- runs `lnob-api serve` with 1 and then 2 workers on 127.0.0.1 and drives it with concurrent
  HTTP clients for a fixed time, printing requests/s, latency percentiles and the server's peak
  memory, and the 2-worker/1-worker throughput ratio measured in the same run.
Figures only: nothing here asserts a time. The load generator shares the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import event

from bench.data import generate
from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded, migrate

WORKLOADS: dict[str, tuple[str, dict[str, Any]]] = {
    "nested": (
        """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 20) { totalCount edges { node {
             title coalition { code name } project { title }
             indicators { code title target { code goal { shortTitle } } }
             observations(first: 10) { edges { node { value suppressed period sex age area { name } } } }
        } } } }""",
        {"c": ["KE"]},
    ),
    "bulk": (
        """query($i: [String!], $a: [String!]) { observations(filter: {indicators: $i, areas: $a}, first: 100) {
             edges { cursor node { value sampleSize period periodStart sex age areaCode suppressed } }
             pageInfo { hasNextPage endCursor } } }""",
        {"i": ["1.1.1", "4.1.1", "10.2.1"], "a": ["BD"]},
    ),
    "lookup": (
        """query($s: String) { dataset(slug: $s) { id title status visibility coalition { code } } }""",
        {"s": "bench-np-7"},
    ),
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _statements_per_request(url: str) -> dict[str, int]:
    from lnob_api.app import create_app
    from lnob_api.auth.keys import KeyStore, new_key
    from lnob_api.db.request import EngineDatabase

    engine = create_engine(url, pool_size=2)
    counter = {"n": 0}

    def count(*_: Any) -> None:
        counter["n"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    app = create_app(
        Settings(env="test"), database=EngineDatabase(engine), keys=KeyStore([new_key()])
    )
    result = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        for name, (query, variables) in WORKLOADS.items():
            counter["n"] = 0
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            body = response.json()
            if "errors" in body:
                raise SystemExit(f"{name}: {body['errors']}")
            result[name] = counter["n"]
    await engine.dispose()
    return result


async def _drive(
    base: str, query: str, variables: dict[str, Any], seconds: float, concurrency: int
) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    payload = {"query": query, "variables": variables}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                response = await client.post("/graphql", json=payload)
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise SystemExit(f"HTTP {response.status_code}: {response.text[:200]}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def _start_server(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": url,
        "LNOB_DATA_DIR": str(data_dir),
        "LNOB_LOG_LEVEL": "warning",
        "LNOB_GRAPHIQL": "false",
        # Load from one address measures throughput, not the per-client rate limit.
        "LNOB_RATE_LIMIT": "0",
    }
    cmd = [
        str(Path(sys.executable).with_name("lnob-api")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-migrate",
        "--no-seed",
    ]
    log = data_dir / f"server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start:\n{log.read_text(errors='replace')[-2000:]}")


def _tree_rss(proc: subprocess.Popen[bytes]) -> int:
    root = psutil.Process(proc.pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="lnob-bench-"))
    url = os.environ.get("BENCH_DATABASE_URL") or embedded.start(folder, delete_on_exit=True)
    url = Settings.from_env({"DATABASE_URL": url}).database_url or url
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        from lnob_api.seed import seed

        engine = create_engine(url, pool_size=1)
        async with engine.begin() as conn:
            await seed(conn, demo=False)
        await engine.dispose()
        started = time.perf_counter()
        counts = await generate(
            embedded.psql_url(url).replace("+asyncpg", ""), observations=args.observations
        )
        print(
            f"data: {counts['datasets']} datasets, {counts['observations']} observations "
            f"(generated in {time.perf_counter() - started:.1f} s)"
        )
        statements = await _statements_per_request(url)
        throughput: dict[tuple[str, int], float] = {}
        for workers in (1, 2):
            port = _port()
            proc = _start_server(url, folder, port, workers)
            try:
                for name, (query, variables) in WORKLOADS.items():
                    await _drive(
                        f"http://127.0.0.1:{port}", query, variables, 1.0, args.concurrency
                    )  # warm-up
                    lat = await _drive(
                        f"http://127.0.0.1:{port}", query, variables, args.seconds, args.concurrency
                    )
                    rps = len(lat) / args.seconds
                    throughput[(name, workers)] = rps
                    print(
                        f"{name:7s} workers={workers} req/s={rps:7.1f} "
                        f"p50={_percentile(lat, 50) * 1000:6.1f}ms p95={_percentile(lat, 95) * 1000:6.1f}ms "
                        f"p99={_percentile(lat, 99) * 1000:6.1f}ms mean={statistics.mean(lat) * 1000:6.1f}ms "
                        f"statements/request={statements[name]} server_rss={_tree_rss(proc) / 2**20:.0f}MiB"
                    )
            finally:
                proc.send_signal(2)
                proc.wait(timeout=30)
        for name in WORKLOADS:
            print(
                f"{name:7s} throughput ratio 2 workers / 1 worker = "
                f"{throughput[(name, 2)] / throughput[(name, 1)]:.2f}"
            )
    finally:
        embedded.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
