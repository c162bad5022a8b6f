"""Invisible rows benchmark (issue 10): an agency's observation page against the anonymous page
over the same visible rows, as the rows the agency cannot see grow.

    .venv/bin/python -m bench.invisible [--visible 2000] [--steps 0 250000 2500000]
                                        [--requests 20] [--seconds 10] [--concurrency 48]

Starts its own embedded PostgreSQL in a temporary folder (or uses BENCH_DATABASE_URL, where
generated rows are kept and only topped up), migrates, seeds, generates ``--visible`` public
observations (bench/data.py), a statistics agency outside every coalition with a client and a
grant, then for each step tops the invisible observations (drafts and coalition-only data of
every coalition, over the same indicators and areas) up to that many and prints, for both
principals: the rows and totalCount they got (they must match), SQL statements per request
(counted in-process), sequential p50/p99 over ``--requests`` requests and p50/p99 and req/s
with ``--concurrency`` concurrent clients for ``--seconds`` on `lnob-api serve` (1 worker).
Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench.data import add_invisible, agency_client, generate
from bench.run import _percentile, _port, _start_server
from lnob_api.auth.keys import KeyStore, new_key
from lnob_api.auth.tokens import issue_access_token
from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded, migrate

ISSUER = "http://invisible.bench"
PAGE = """query { observations(filter: {indicators: ["1.1.1"], areas: ["KE"]}, first: 48) {
  totalCount edges { node { id value suppressed period areaCode } }
  pageInfo { hasNextPage endCursor } } }"""


async def _statements(url: str, keys: KeyStore, headers: dict[str, str]) -> tuple[int, Any]:
    """SQL statements of one page request (in-process), and the page it answered."""
    from lnob_api.app import create_app
    from lnob_api.db.request import EngineDatabase

    engine = create_engine(url, pool_size=2)
    counter = {"n": 0}

    def count(*_: Any) -> None:
        counter["n"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    app = create_app(
        Settings(env="test", issuer=ISSUER), database=EngineDatabase(engine), keys=keys
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await client.post("/graphql", json={"query": PAGE}, headers=headers)  # warm-up
        counter["n"] = 0
        body = (await client.post("/graphql", json={"query": PAGE}, headers=headers)).json()
    await engine.dispose()
    if "errors" in body:
        raise SystemExit(f"page failed: {body['errors']}")
    return counter["n"], body["data"]["observations"]


async def _latencies(
    base: str, headers: dict[str, str], *, requests: int = 0, seconds: float = 0, clients: int = 1
) -> list[float]:
    """``requests`` sequential requests, or ``clients`` concurrent ones for ``seconds``."""
    out: list[float] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=300) as client:

        async def one() -> None:
            start = time.perf_counter()
            response = await client.post("/graphql", json={"query": PAGE}, headers=headers)
            out.append(time.perf_counter() - start)
            if response.status_code != 200 or "errors" in response.json():
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")

        async def worker() -> None:
            while time.monotonic() < deadline:
                await one()

        if requests:
            for _ in range(requests):
                await one()
        else:
            await asyncio.gather(*(worker() for _ in range(clients)))
    return out


def _ms(values: list[float], p: float) -> str:
    return f"{_percentile(values, p) * 1000:8.1f}"


async def _setup(url: str, visible: int) -> tuple[str, str]:
    await asyncio.to_thread(migrate.upgrade, url)
    from lnob_api.seed import seed

    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
    await engine.dispose()
    dsn = embedded.psql_url(url).replace("+asyncpg", "")
    await generate(dsn, observations=visible)
    return dsn, await agency_client(dsn)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visible", type=int, default=2_000)
    parser.add_argument("--steps", type=int, nargs="+", default=[0, 250_000, 2_500_000])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=48)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="lnob-invisible-"))
    url = os.environ.get("BENCH_DATABASE_URL") or embedded.start(folder, delete_on_exit=True)
    url = Settings.from_env({"DATABASE_URL": url}).database_url or url
    try:
        dsn, client_id = await _setup(url, args.visible)
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
        # The served app verifies the agency's token and lets one address send everything.
        os.environ |= {
            "LNOB_SIGNING_KEYS": json.dumps(keys.to_json()),
            "LNOB_ISSUER": ISSUER,
            "LNOB_RATE_LIMIT": "0",
            # 48 clients queue for 20 connections: wait for one rather than answer 503.
            "LNOB_DB_POOL_TIMEOUT": "120",
            "LNOB_REQUEST_TIMEOUT": "300",
            "LNOB_STATEMENT_TIMEOUT": "300",
        }
        who = {"anonymous": {}, "agency": {"Authorization": f"Bearer {token}"}}
        print(
            f"{'invisible':>10} {'principal':>9} {'rows':>4} {'total':>5} {'stmts':>5} "
            f"{'seq p50':>8} {'seq p99':>8} {'c p50':>8} {'c p99':>8} {'req/s':>6}  (ms)"
        )
        for step in args.steps:
            started = time.perf_counter()
            have = await add_invisible(dsn, step)
            took = time.perf_counter() - started
            pages = {}
            port = _port()
            proc = _start_server(url, folder, port, 1)
            try:
                base = f"http://127.0.0.1:{port}"
                for name, headers in who.items():
                    statements, page = await _statements(url, keys, headers)
                    pages[name] = [e["node"]["id"] for e in page["edges"]], page["totalCount"]
                    seq = await _latencies(base, headers, requests=args.requests)
                    conc = await _latencies(
                        base, headers, seconds=args.seconds, clients=args.concurrency
                    )
                    print(
                        f"{have:>10} {name:>9} {len(page['edges']):>4} {page['totalCount']:>5} "
                        f"{statements:>5} {_ms(seq, 50)} {_ms(seq, 99)} {_ms(conc, 50)} "
                        f"{_ms(conc, 99)} {len(conc) / args.seconds:6.1f}",
                        flush=True,
                    )
            finally:
                proc.send_signal(2)
                proc.wait(timeout=60)
            same = pages["anonymous"] == pages["agency"]
            print(f"{'':>10} same rows for both: {same}; invisible rows added in {took:.0f} s")
    finally:
        embedded.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
