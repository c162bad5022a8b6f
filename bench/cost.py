"""Query cost analysis and meetsCriteria: figures only, nothing asserted.

    .venv/bin/python -m bench.cost [--observations 100000] [--repeats 200]

Starts its own embedded PostgreSQL (or uses BENCH_DATABASE_URL), migrates, seeds and
generates the benchmark data (bench/data.py), then prints:
- the cost analysis's overhead per operation: the same operations run through the schema with
  and without the cost extension, interleaved (A B, B A, ...), medians and their ratio; and the
  static cost computation alone, and a token-bucket take in the process and in Redis;
- meetsCriteria with 20, 45, 60 and 100 codes: ``count(*)`` of the observations filter as
  written before (one nested ``IN (subquery)`` per code, cut off after --timeout seconds) and
  now (one grouped subquery).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa

from bench.data import generate
from bench.run import WORKLOADS
from graphql import parse
from lnob_api import models
from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded, migrate
from lnob_api.db.request import EngineDatabase, RequestDb
from lnob_api.graphql.context import Context
from lnob_api.graphql.cost import QueryCost
from lnob_api.graphql.cost_model import (
    CostRules,
    Operation,
    actual_cost,
    prepare,
    requested_cost,
)
from lnob_api.graphql.schema import LnobSchema, Mutation, Query, _types, schema
from lnob_api.observation import repository as observation_repo

CODES = (20, 45, 60, 100)
CRITERIA = 100
observations = models.Observation.__table__
datasets = models.Dataset.__table__
criteria = models.QualityCriterion.__table__
dataset_criteria = models.DatasetQualityCriterion.__table__


def _old_filter(codes: list[str]) -> sa.ColumnElement[bool]:
    """meetsCriteria as it was: one ``datasets.id IN (...)`` per code, nested in the
    observation filter."""
    per_code = [
        datasets.c.id.in_(
            sa.select(dataset_criteria.c.dataset_id)
            .join(criteria, criteria.c.id == dataset_criteria.c.criterion_id)
            .where(criteria.c.code == code)
        )
        for code in codes
    ]
    return observations.c.dataset_id.in_(sa.select(datasets.c.id).where(*per_code))


async def _criteria(dsn: str) -> None:
    """100 criteria for one coalition; half its datasets meet all, the others a random part."""
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT count(*) FROM quality_criteria WHERE code LIKE 'BQ-%'"):
            return
        coalition = await conn.fetchval("SELECT min(id) FROM coalitions")
        ids = [
            await conn.fetchval(
                "INSERT INTO quality_criteria (coalition_id, code, label) VALUES ($1, $2, $3) "
                "RETURNING id",
                coalition,
                f"BQ-{i:03}",
                f"Bench criterion {i}",
            )
            for i in range(CRITERIA)
        ]
        rng = random.Random(7)
        rows = []
        for n, (dataset,) in enumerate(
            await conn.fetch("SELECT id FROM datasets WHERE coalition_id = $1", coalition)
        ):
            chosen = ids if n % 2 == 0 else rng.sample(ids, rng.randint(10, CRITERIA - 1))
            rows.extend((dataset, c) for c in chosen)
        await conn.executemany(
            "INSERT INTO dataset_quality_criteria (dataset_id, criterion_id) VALUES ($1, $2)", rows
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _count(conn: asyncpg.Connection, where: sa.ColumnElement[bool], cutoff: float) -> str:
    stmt = sa.select(sa.func.count()).select_from(observations).where(where)
    sql = str(stmt.compile(dialect=_dialect(), compile_kwargs={"literal_binds": True}))
    await conn.execute(f"SET statement_timeout = {int(cutoff * 1000)}")
    started = time.perf_counter()
    try:
        rows = await conn.fetchval(sql)
    except asyncpg.QueryCanceledError:
        return f"> {cutoff:.0f} s (cancelled)"
    return f"{(time.perf_counter() - started) * 1000:9.1f} ms ({rows} rows)"


def _dialect() -> Any:
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()


async def _meets_criteria(dsn: str, cutoff: float) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for n in CODES:
            codes = [f"BQ-{i:03}" for i in range(n)]
            new = sa.and_(*observation_repo.filters(meets_criteria=codes))
            before = await _count(conn, _old_filter(codes), cutoff)
            after = await _count(conn, new, cutoff)
            print(f"meetsCriteria {n:3d} codes: before {before:>28s}   after {after}")
    finally:
        await conn.close()


async def _overhead(url: str, repeats: int) -> None:
    without = LnobSchema(
        query=Query,
        mutation=Mutation,
        types=_types(),
        config=schema.config,
        extensions=[e for e in schema.extensions if e is not QueryCost],
    )
    engine = create_engine(url, pool_size=2)
    database = EngineDatabase(engine)
    settings = Settings(env="test")

    async def run(target: LnobSchema, query: str, variables: dict[str, Any]) -> Any:
        from lnob_api.auth.principal import ANONYMOUS

        context = Context(principal=ANONYMOUS, db=RequestDb(database), settings=settings)
        started = time.perf_counter()
        result = await target.execute(query, variable_values=variables, context_value=context)
        elapsed = time.perf_counter() - started
        if result.errors:
            raise SystemExit(f"{result.errors}")
        return elapsed, result.data

    rules = CostRules(default_page=20, max_page=settings.max_page_size)
    for name, (query, variables) in WORKLOADS.items():
        times: dict[str, list[float]] = {"with": [], "without": []}
        data = None
        for i in range(repeats):
            order = [("with", schema), ("without", without)]
            for label, target in order if i % 2 == 0 else reversed(order):
                elapsed, data = await run(target, query, variables)
                times[label].append(elapsed)
        with_ms = statistics.median(times["with"][5:]) * 1000
        without_ms = statistics.median(times["without"][5:]) * 1000
        # The extension's own work, alone: coerce variables, plan, requested and actual cost.
        document = parse(query)
        started = time.perf_counter()
        for _ in range(200):
            op = prepare(schema._schema, document, None, variables, rules)
            assert isinstance(op, Operation)
            requested, actual = requested_cost(op), actual_cost(op, data)
        work_us = (time.perf_counter() - started) / 200 * 1e6
        print(
            f"overhead {name:7s}: with {with_ms:7.2f} ms, without {without_ms:7.2f} ms, "
            f"ratio {with_ms / without_ms:5.3f}; the cost work alone {work_us:6.1f} us "
            f"({100 * work_us / 1000 / without_ms:.1f} % of the operation; "
            f"requested {requested}, actual {actual})"
        )
    await engine.dispose()


async def _buckets(repeats: int) -> None:
    from lnob_api.ratelimit import Limiter

    for label, limiter in (
        ("process", Limiter(60_000)),
        ("redis", Limiter(60_000, redis_url="redis://127.0.0.1:6379/0", prefix="lnob-bench:")),
    ):
        started = time.perf_counter()
        for i in range(repeats):
            await limiter.take(f"k{i % 10}", 5)
        each = (time.perf_counter() - started) / repeats * 1e6
        print(f"token bucket take ({label}): {each:7.1f} us")
        await limiter.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lnob-bench-cost-"))
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
        counts = await generate(dsn, observations=args.observations)
        await _criteria(dsn)
        print(f"data: {counts['datasets']} datasets, {counts['observations']:,} observations")
        await _overhead(url, args.repeats)
        await _buckets(args.repeats * 10)
        await _meets_criteria(dsn, args.timeout)
    finally:
        if not os.environ.get("BENCH_DATABASE_URL"):
            embedded.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
