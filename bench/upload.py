"""Upload benchmark: a large CSV through the upload service (the path of ``lnob-api upload``).

    .venv/bin/python -m bench.upload [--rows 1000000]

Starts its own embedded PostgreSQL in a temporary folder (or uses BENCH_DATABASE_URL), migrates,
seeds the reference data, creates an editor and a draft dataset in KE, writes a CSV of N rows
(indicators x KE counties x months x sex x age, all keys distinct), uploads it in one
transaction and prints rows/s and this process's peak resident memory (psutil, sampled every
10 ms in a thread), then uploads the same file again (a no-op by content hash).
Figures only: nothing here asserts a time or a size.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded, migrate

INDICATORS = ["1.1.1", "1.2.1", "4.1.1", "5.5.1", "10.2.1"]
SEXES = ["F", "M", "_T"]
AGES = ["Y15T24", "Y25T64", "Y_GE65", "_T"]


class PeakMemory:
    """Samples this process's resident set size in a thread; ``peak`` is the largest seen."""

    def __init__(self, interval: float = 0.01) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self.peak = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def _periods(count: int) -> list[str]:
    months = (f"{2000 + m // 12}-{m % 12 + 1:02d}" for m in itertools.count())
    return list(itertools.islice(months, count))


def write_csv(path: Path, rows: int, areas: list[str]) -> int:
    """Write ``rows`` observations with distinct keys; returns the file size in bytes."""
    rng = random.Random(2030)
    per_period = len(INDICATORS) * len(areas) * len(SEXES) * len(AGES)
    periods = _periods(-(-rows // per_period))
    combos = itertools.product(periods, INDICATORS, areas, SEXES, AGES)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("indicator,area,period,value,unit,sample_size,sex,age,obs_status\n")
        for period, indicator, area, sex, age in itertools.islice(combos, rows):
            value = round(rng.uniform(0, 100), 2)
            out.write(
                f"{indicator},{area},{period},{value},PERCENT,{rng.randint(5, 900)},{sex},{age},A\n"
            )
    return path.stat().st_size


async def _setup(engine: AsyncEngine) -> tuple[str, int, list[str]]:
    """An editor and a draft dataset in KE; returns the editor's e-mail, the dataset id and the
    KE county codes."""
    async with engine.begin() as conn:
        coalition_id = await conn.scalar(sa.text("SELECT id FROM coalitions WHERE code = 'KE'"))
        user_id = await conn.scalar(
            sa.text(
                "INSERT INTO users (email, name) VALUES ('bench@example.org', 'Bench') "
                "ON CONFLICT DO NOTHING RETURNING id"
            )
        ) or await conn.scalar(sa.text("SELECT id FROM users WHERE email = 'bench@example.org'"))
        await conn.execute(
            sa.text(
                "INSERT INTO coalition_user_roles (coalition_id, user_id, role) "
                "VALUES (:c, :u, 'EDITOR') ON CONFLICT DO NOTHING"
            ),
            {"c": coalition_id, "u": user_id},
        )
        dataset_id = await conn.scalar(
            sa.text(
                "INSERT INTO datasets (coalition_id, slug, title, status) "
                "VALUES (:c, :s, 'Upload benchmark', 'DRAFT') RETURNING id"
            ),
            {"c": coalition_id, "s": f"bench-upload-{int(time.time())}"},
        )
        await conn.execute(
            sa.text(
                "INSERT INTO dataset_indicators (dataset_id, indicator_id) "
                "SELECT :d, id FROM indicators WHERE code = ANY(:codes)"
            ),
            {"d": dataset_id, "codes": INDICATORS},
        )
        areas = (
            await conn.scalars(
                sa.text(
                    "SELECT code FROM areas WHERE country_code = 'KE' AND level = 'SUBDIVISION' "
                    "ORDER BY code"
                )
            )
        ).all()
    return "bench@example.org", int(dataset_id), list(areas)


async def _upload(engine: AsyncEngine, email: str, dataset_id: int, path: Path) -> Any:
    from lnob_api.dataset.service import Actor
    from lnob_api.upload import service
    from lnob_api.upload.mapping import ColumnMapping

    async with engine.begin() as conn:
        session = AsyncSession(bind=conn, expire_on_commit=False, autoflush=False)
        principal = await service.principal_for_user(session, email)
        with path.open("rb") as file:
            report = await service.upload(
                session,
                Actor(principal),
                dataset_id=dataset_id,
                file=file,
                filename=path.name,
                mapping=ColumnMapping(),
            )
        await session.flush()
        await session.close()
    return report


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="lnob-bench-upload-"))
    url = os.environ.get("BENCH_DATABASE_URL") or embedded.start(folder, delete_on_exit=True)
    url = Settings.from_env({"DATABASE_URL": url}).database_url or url
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        from lnob_api.seed import seed

        engine = create_engine(url, pool_size=1)
        async with engine.begin() as conn:
            await seed(conn, demo=False)
        email, dataset_id, areas = await _setup(engine)
        path = folder / "observations.csv"
        started = time.perf_counter()
        size = write_csv(path, args.rows, areas)
        print(
            f"file: {args.rows} rows, {size / 2**20:.0f} MiB "
            f"(written in {time.perf_counter() - started:.1f} s)"
        )
        baseline = psutil.Process().memory_info().rss
        with PeakMemory() as memory:
            started = time.perf_counter()
            report = await _upload(engine, email, dataset_id, path)
            seconds = time.perf_counter() - started
        print(
            f"upload: {report.rows_written} rows in {seconds:.1f} s = "
            f"{report.rows_written / seconds:,.0f} rows/s; peak RSS {memory.peak / 2**20:.0f} MiB "
            f"(before the upload {baseline / 2**20:.0f} MiB; problems {report.problem_count})"
        )
        with PeakMemory() as memory:
            started = time.perf_counter()
            again = await _upload(engine, email, dataset_id, path)
            seconds = time.perf_counter() - started
        print(
            f"same file again: duplicate={again.duplicate_of_previous_upload} in {seconds:.2f} s; "
            f"peak RSS {memory.peak / 2**20:.0f} MiB"
        )
        await engine.dispose()
    finally:
        embedded.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
