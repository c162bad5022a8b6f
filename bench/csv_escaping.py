"""What formula escaping (``export.repository.csv_cell``) costs the CSV exports.

    .venv/bin/python -m bench.csv_escaping [--observations 200000] [--repeats 5]

Starts its own embedded PostgreSQL (or uses BENCH_DATABASE_URL), generates data
(bench/data.py), then streams the CSV export's and SDMX-CSV's COPY statements, as a
partnership admin would read them, alternately with the escaping and with it replaced by the
bare columns, in one process, and prints the median rows/s and MB/s of each. Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.data import generate
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded, migrate
from lnob_api.export import repository as export_repo
from lnob_api.sdmx import repository as sdmx_repo

ADMIN = Principal(kind=PrincipalKind.USER, is_partnership_admin=True)


async def _stream(engine: Any, build: Callable[[], sa.Select[Any]]) -> tuple[int, int, float]:
    """(rows, bytes, seconds) of one COPY of ``build()``."""
    async with engine.connect() as conn:
        started = time.perf_counter()
        size = lines = 0
        async for chunk in export_repo.copy_csv(conn, build()):
            size += len(chunk)
            lines += chunk.count(b"\n")
        return lines - 1, size, time.perf_counter() - started


async def _compare(
    engine: Any, name: str, build: Callable[[], sa.Select[Any]], repeats: int
) -> None:
    escaped = export_repo.csv_cell
    runs: dict[str, list[tuple[int, int, float]]] = {"escaped": [], "bare": []}
    for _ in range(repeats):
        for mode in ("escaped", "bare"):
            export_repo.csv_cell = escaped if mode == "escaped" else (lambda column: column)
            try:
                runs[mode].append(await _stream(engine, build))
            finally:
                export_repo.csv_cell = escaped
    for mode, found in runs.items():
        rows = found[0][0]
        seconds = statistics.median(r[2] for r in found)
        mb = statistics.median(r[1] for r in found) / 2**20
        print(
            f"{name:10} {mode:8} {rows:>9,} rows  {rows / seconds:>10,.0f} rows/s  {mb / seconds:6.1f} MB/s"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lnob-bench-csv-"))
    url = os.environ.get("BENCH_DATABASE_URL") or embedded.start(folder, delete_on_exit=True)
    url = Settings.from_env({"DATABASE_URL": url}).database_url or url
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        from lnob_api.seed import seed

        engine = create_engine(url, pool_size=2)
        async with engine.begin() as conn:
            await seed(conn, demo=False)
        per_coalition = max(20, args.observations // 10_000)
        await generate(
            embedded.psql_url(url),
            observations=args.observations,
            datasets_per_coalition=per_coalition,
        )
        await _compare(engine, "csv", lambda: export_repo.csv_select(ADMIN, []), args.repeats)
        await _compare(
            engine,
            "sdmx-csv",
            lambda: sdmx_repo.csv_select(ADMIN, [], flow="DF_LNOB_KE", version=1, attributes=True),
            args.repeats,
        )
        await engine.dispose()
    finally:
        embedded.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
