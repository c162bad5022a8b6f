"""Soak benchmark: does the server's memory level off under sustained concurrent load?

    .venv/bin/python -m bench.soak [--minutes 10] [--concurrency 48] [--phases ...]

Starts its own embedded PostgreSQL in a temporary folder (or uses BENCH_DATABASE_URL), migrates,
seeds and generates data (bench/data.py), then runs one phase per (workers, gc setting): a real
uvicorn on 127.0.0.1 (``bench/soak_app.py``: the app, with the garbage collector settings of
the phase) driven by ``--concurrency`` concurrent clients for ``--minutes / phases``, mixing
anonymous nested pages, bulk pages, lookups and an agency's authenticated pages with
variables drawn per request. Every ``--every`` seconds it prints the server's RSS (the process
tree, and each worker) and the requests/s of the interval; after the load, each worker's
collector state, and what a full collection then frees. Figures only: nothing is asserted.

Phases default to ``1:old 1:app 2:old 2:app``: ``old`` is the gc.freeze() + thresholds
50,000/50/100 the app used before issue 10, ``app`` whatever ``lnob_api.app`` sets now; a
phase may also name thresholds, ``1:700,10,10``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.data import INDICATORS, agency_client, generate
from bench.run import WORKLOADS, _port
from lnob_api.auth.keys import KeyStore, new_key
from lnob_api.auth.tokens import issue_access_token
from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded, migrate

ISSUER = "http://soak.bench"
COALITIONS = ["BD", "DK", "IN", "KE", "MW", "NP", "VN"]


def _request(rng: random.Random, token: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """One request of the mix, its variables drawn so that no two runs look alike."""
    kind = rng.choice(("nested", "bulk", "bulk-agency", "lookup"))
    query = WORKLOADS[kind.removesuffix("-agency")][0]
    headers = {"Authorization": f"Bearer {token}"} if kind.endswith("agency") else {}
    if kind == "nested":
        variables: dict[str, Any] = {"c": [rng.choice(COALITIONS)]}
    elif kind == "lookup":
        variables = {"s": f"bench-{rng.choice(COALITIONS).lower()}-{rng.randrange(20)}"}
    else:
        variables = {"i": rng.sample(INDICATORS, 2), "a": [rng.choice(COALITIONS)]}
    return query, variables, headers


def _start(url: str, folder: Path, keys: str, workers: int, gc_setting: str) -> tuple[Any, int]:
    port = _port()
    env = os.environ | {
        "DATABASE_URL": url,
        "LNOB_DATA_DIR": str(folder),
        "LNOB_LOG_LEVEL": "warning",
        "LNOB_GRAPHIQL": "false",
        "LNOB_SIGNING_KEYS": keys,
        "LNOB_ISSUER": ISSUER,
        "LNOB_BENCH_GC": gc_setting,
        # One client address sends everything: the per-client budget would answer 429.
        "LNOB_RATE_LIMIT": "0",
        # 48 clients queue for 20 connections: wait for one rather than answer 503.
        "LNOB_DB_POOL_TIMEOUT": "120",
        "LNOB_REQUEST_TIMEOUT": "300",
        "LNOB_STATEMENT_TIMEOUT": "300",
    }
    cmd = [sys.executable, "-m", "uvicorn", "bench.soak_app:create", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    cmd += ["--log-level", "warning"]
    log = folder / f"soak-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start:\n{log.read_text(errors='replace')[-2000:]}")


def _rss(proc: Any) -> tuple[float, list[float]]:
    """The process tree's RSS and each worker's (the parent alone when it serves itself)."""
    root = psutil.Process(proc.pid)
    children = root.children(recursive=True)
    mib = [p.memory_info().rss / 2**20 for p in children]
    total = root.memory_info().rss / 2**20 + sum(mib)
    return total, mib or [total]


async def _load(base: str, token: str, seconds: float, concurrency: int, every: float, proc: Any):  # type: ignore[no-untyped-def]
    done = {"n": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                query, variables, headers = _request(rng, token)
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                done["n"] += 1
                if response.status_code != 200 or "errors" in response.json():
                    done["errors"] += 1
                    done.setdefault("first_error", response.text[:300])

        async def report() -> None:
            start, last_n, last_t = time.monotonic(), 0, time.monotonic()
            while time.monotonic() < deadline:
                await asyncio.sleep(every)
                now, total = time.monotonic(), done["n"]
                rss, workers = _rss(proc)
                rate = (total - last_n) / (now - last_t)
                per = " ".join(f"{m:5.0f}" for m in workers)
                print(
                    f"  t={now - start:6.0f}s requests={total:7d} req/s={rate:6.1f} "
                    f"rss={rss:6.0f} MiB workers=[{per}]",
                    flush=True,
                )
                last_n, last_t = total, now

        await asyncio.gather(report(), *(worker(i) for i in range(concurrency)))
    return done


def _probe(port: int, workers: int) -> None:
    """Each worker's collector state, then what a full collection frees (probes reach a
    random worker: ask until each pid answered, within a few tries)."""
    for collect in (False, True):
        seen: dict[int, dict[str, Any]] = {}
        for _ in range(workers * 8):
            url = f"http://127.0.0.1:{port}/_bench/gc" + ("?collect=1" if collect else "")
            with httpx.Client() as client:  # a new connection, to reach another worker
                info = client.get(url, timeout=60).json()
            if info["pid"] not in seen:
                seen[info["pid"]] = info
                if collect:
                    continue
                print(
                    f"  worker {info['pid']}: rss={info['rss_mib']} MiB tracked={info['tracked']}"
                    f" counts={info['count']} collections={info['collections']}"
                    f" common={info['common'][:6]}"
                )
            if len(seen) == workers:
                break
        if collect:
            for info in seen.values():
                print(
                    f"  worker {info['pid']} after gc.collect(): freed "
                    f"{info['unreachable_found']} unreachable objects, rss={info['rss_mib']} MiB"
                    f" tracked={info['tracked']}"
                )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="total, over all phases")
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between RSS lines")
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--phases", nargs="+", default=["1:old", "1:app", "2:old", "2:app"])
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="lnob-soak-"))
    url = os.environ.get("BENCH_DATABASE_URL") or embedded.start(folder, delete_on_exit=True)
    url = Settings.from_env({"DATABASE_URL": url}).database_url or url
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        from lnob_api.seed import seed

        engine = create_engine(url, pool_size=1)
        async with engine.begin() as conn:
            await seed(conn, demo=False)
        await engine.dispose()
        dsn = embedded.psql_url(url).replace("+asyncpg", "")
        counts = await generate(dsn, observations=args.observations)
        client_id = await agency_client(dsn)
        keys = KeyStore([new_key()])
        token, _ = issue_access_token(
            keys,
            issuer=ISSUER,
            audience="lnob-api",
            subject=client_id,
            client_id=client_id,
            scopes=["data:read"],
            ttl=24 * 3600,
        )
        import json

        keys_json = json.dumps(keys.to_json())
        seconds = args.minutes * 60 / len(args.phases)
        print(
            f"data: {counts['observations']} observations; {len(args.phases)} phases of "
            f"{seconds:.0f} s, {args.concurrency} concurrent clients"
        )
        for phase in args.phases:
            workers, gc_setting = phase.split(":", 1)
            proc, port = _start(url, folder, keys_json, int(workers), gc_setting)
            try:
                idle, _ = _rss(proc)
                print(f"workers={workers} gc={gc_setting}: idle rss={idle:.0f} MiB")
                started = time.monotonic()
                done = await _load(
                    f"http://127.0.0.1:{port}", token, seconds, args.concurrency, args.every, proc
                )
                elapsed = time.monotonic() - started
                rss, _ = _rss(proc)
                print(
                    f"workers={workers} gc={gc_setting}: {done['n']} requests, "
                    f"{done['n'] / elapsed:.1f} req/s, {done['errors']} errors, "
                    f"rss {idle:.0f} -> {rss:.0f} MiB"
                )
                if done["errors"]:
                    print(f"  first error: {done['first_error']}")
                _probe(port, int(workers))
            finally:
                proc.send_signal(2)
                proc.wait(timeout=60)
    finally:
        embedded.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
