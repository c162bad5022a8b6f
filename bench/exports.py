"""Export benchmark: CSV and SDMX exports over 1,000,000 observations, and keyset pages.

    .venv/bin/python -m bench.exports [--observations 1000000]

Starts its own embedded PostgreSQL in a temporary folder (or uses BENCH_DATABASE_URL),
migrates, seeds, generates data (bench/data.py), runs `lnob-api serve` (one worker) on
127.0.0.1, then prints, for each export, rows/s and the server's peak resident memory while
it streamed (RSS polled every 20 ms, and the growth over the idle server); and the latency of
the first and of the last page of a keyset walk with `observations(first: 100, after: ...)`.
Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from bench.data import generate
from bench.run import _port, _start_server, _tree_rss
from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded, migrate
from lnob_api.read.keyset import encode_cursor

PAGE = """query($after: String) { observations(first: 100, after: $after) {
  edges { node { value suppressed period sex age areaCode sampleSize } }
  pageInfo { hasNextPage endCursor } } }"""


class PeakRss:
    """Polls a process tree's resident memory in a thread and keeps the peak."""

    def __init__(self, proc: Any) -> None:
        self.proc = proc
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, _tree_rss(self.proc))
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class Rows:
    """Counts rows in a streamed body: CSV lines (after a gunzip for .gz) or ``<Obs`` elements."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.count = 0
        self._tail = b""
        self._gunzip = zlib.decompressobj(31) if kind == "csv.gz" else None

    def feed(self, chunk: bytes) -> None:
        if self._gunzip is not None:
            chunk = self._gunzip.decompress(chunk)
        if self.kind == "xml":
            data = self._tail + chunk
            self.count += data.count(b"<Obs ")
            self._tail = data[-4:]
        else:
            self.count += chunk.count(b"\n")


async def _download(client: httpx.AsyncClient, url: str, kind: str) -> tuple[int, int]:
    """Bytes and rows of a streamed response, read as it arrives."""
    size = 0
    rows = Rows(kind)
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code} {await response.aread()!r}")
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            rows.feed(chunk)
    return size, rows.count - (1 if kind != "xml" else 0)  # CSV header lines


async def _exports(base: str, proc: Any, flows: list[str]) -> None:
    idle = _tree_rss(proc)
    print(f"server idle rss={idle / 2**20:.0f} MiB")
    cases: list[tuple[str, str, list[str]]] = [
        ("CSV /exports/observations.csv", "csv", ["/exports/observations.csv"]),
        ("CSV.gz /exports/observations.csv.gz", "csv.gz", ["/exports/observations.csv.gz"]),
        (
            "SDMX-CSV 1.0 (every dataflow, in turn)",
            "csv",
            [f"/sdmx/data/{flow}/all?format=csvdata" for flow in flows],
        ),
        (
            "SDMX-ML 2.1 structure-specific (every dataflow)",
            "xml",
            [f"/sdmx/data/{flow}/all?format=structurespecificdata" for flow in flows],
        ),
        (
            "SDMX-JSON 1.0 (every dataflow, in turn)",
            "json",
            [f"/sdmx/data/{flow}/all?format=jsondata" for flow in flows],
        ),
    ]
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        for name, kind, urls in cases:
            started = time.perf_counter()
            size = rows = 0
            with PeakRss(proc) as peak:
                for url in urls:
                    got_size, got_rows = await _download(client, url, kind)
                    size += got_size
                    rows += got_rows
            seconds = time.perf_counter() - started
            counted = f"{rows / seconds:9,.0f} rows/s" if kind != "json" else "      (n/a) rows/s"
            print(
                f"{name:48s} {seconds:6.1f} s {counted} {size / 2**20:7.1f} MiB  "
                f"peak rss={peak.peak / 2**20:.0f} MiB (+{(peak.peak - idle) / 2**20:.0f} MiB "
                f"over idle)" + (f" rows={rows:,}" if kind != "json" else "")
            )


async def _pages(base: str, dsn: str, repeats: int = 15) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        total = await conn.fetchval("SELECT count(*) FROM observations")
        before_last = await conn.fetchval(
            "SELECT id FROM observations ORDER BY id OFFSET $1 LIMIT 1", max(0, total - 101)
        )
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for label, after in (("first", None), ("last", encode_cursor([before_last]))):
            latencies = []
            for _ in range(repeats):
                started = time.perf_counter()
                response = await client.post(
                    "/graphql", json={"query": PAGE, "variables": {"after": after}}
                )
                latencies.append(time.perf_counter() - started)
                body = response.json()
                if "errors" in body:
                    raise SystemExit(str(body["errors"]))
            page = body["data"]["observations"]
            print(
                f"keyset page {label:5s} of {total:,} rows: median "
                f"{statistics.median(latencies) * 1000:6.1f} ms, min {min(latencies) * 1000:6.1f} ms "
                f"({len(page['edges'])} rows, hasNextPage={page['pageInfo']['hasNextPage']})"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lnob-bench-exports-"))
    url = os.environ.get("BENCH_DATABASE_URL") or embedded.start(folder, delete_on_exit=True)
    url = Settings.from_env({"DATABASE_URL": url}).database_url or url
    dsn = embedded.psql_url(url)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        from lnob_api.seed import seed

        engine = create_engine(url, pool_size=1)
        async with engine.begin() as conn:
            await seed(conn, demo=False)
        await engine.dispose()
        started = time.perf_counter()
        # Enough datasets that each one's share of rows fits in its key space (bench/data.py
        # draws distinct keys per dataset; Denmark's five regions allow about 1,800 each).
        per_coalition = max(20, args.observations // 10_000)
        counts = await generate(
            dsn, observations=args.observations, datasets_per_coalition=per_coalition
        )
        print(
            f"data: {counts['datasets']} datasets, {counts['observations']:,} observations "
            f"(generated in {time.perf_counter() - started:.1f} s)"
        )
        connection = await asyncpg.connect(dsn)
        flows = [
            f"DF_LNOB_{r['code']}"
            for r in await connection.fetch("SELECT code FROM coalitions ORDER BY code")
        ]
        await connection.close()
        port = _port()
        proc = _start_server(url, folder, port, 1)
        try:
            base = f"http://127.0.0.1:{port}"
            await _exports(base, proc, flows)
            await _pages(base, dsn)
        finally:
            proc.send_signal(2)
            proc.wait(timeout=30)
    finally:
        embedded.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
