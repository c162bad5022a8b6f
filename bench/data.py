"""A deterministic data set for benchmarks, loaded with COPY.

Creates one benchmark coalition-sized slice per seeded coalition: datasets (all PUBLIC and
PUBLISHED so that anonymous load sees them), each covering a few indicators, and observations
spread over subdivisions, periods and disaggregations.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

INDICATORS = ["1.1.1", "1.2.1", "1.3.1", "3.8.1", "4.1.1", "5.5.1", "8.5.2", "10.2.1", "16.7.1"]
SEXES = ["F", "M", "_T"]
AGES = ["Y15T24", "Y25T64", "Y_GE65", "_T"]


async def generate(
    dsn: str, *, observations: int, datasets_per_coalition: int = 20
) -> dict[str, int]:
    """Insert the benchmark rows; returns counts. Idempotent: skips when already present."""
    conn = await asyncpg.connect(dsn)
    try:
        present = await conn.fetchval("SELECT count(*) FROM datasets WHERE slug LIKE 'bench-%'")
        if present:
            total = await conn.fetchval("SELECT count(*) FROM observations")
            return {"datasets": int(present), "observations": int(total)}
        rng = random.Random(2030)
        coalitions = await conn.fetch("SELECT id, code FROM coalitions ORDER BY code")
        indicator_ids = {
            r["code"]: r["id"]
            for r in await conn.fetch(
                "SELECT id, code FROM indicators WHERE code = ANY($1)", INDICATORS
            )
        }
        areas = {
            c["code"]: [
                r["code"]
                for r in await conn.fetch(
                    "SELECT code FROM areas WHERE country_code = $1 AND level = 'SUBDIVISION'",
                    c["code"],
                )
            ]
            or [c["code"]]
            for c in coalitions
        }
        published = datetime(2022, 1, 1, tzinfo=UTC)
        dataset_rows: list[tuple[Any, ...]] = []
        for c in coalitions:
            for i in range(datasets_per_coalition):
                dataset_rows.append(
                    (
                        c["id"],
                        f"bench-{c['code'].lower()}-{i}",
                        f"Benchmark survey {c['code']} {i}",
                        "PUBLISHED",
                        "PUBLIC",
                        published,
                    )
                )
        await conn.copy_records_to_table(
            "datasets",
            records=dataset_rows,
            columns=["coalition_id", "slug", "title", "status", "visibility", "published_at"],
        )
        datasets = await conn.fetch(
            "SELECT d.id, c.code FROM datasets d JOIN coalitions c ON c.id = d.coalition_id"
            " WHERE d.slug LIKE 'bench-%' ORDER BY d.id"
        )
        links: list[tuple[int, int]] = []
        covered: dict[int, list[int]] = {}
        for d in datasets:
            chosen = rng.sample(INDICATORS, 3)
            covered[d["id"]] = [indicator_ids[code] for code in chosen]
            links += [(d["id"], indicator_ids[code]) for code in chosen]
        await conn.copy_records_to_table(
            "dataset_indicators", records=links, columns=["dataset_id", "indicator_id"]
        )
        rows = _observations(rng, datasets, covered, areas, observations)
        await conn.copy_records_to_table(
            "observations",
            records=rows,
            columns=[
                "dataset_id",
                "indicator_id",
                "area_code",
                "period",
                "period_start",
                "period_end",
                "value",
                "unit",
                "sample_size",
                "sex",
                "age",
            ],
        )
        await conn.execute("ANALYZE")
        return {"datasets": len(datasets), "observations": len(rows)}
    finally:
        await conn.close()


def _observations(
    rng: random.Random,
    datasets: list[Any],
    covered: dict[int, list[int]],
    areas: dict[str, list[str]],
    total: int,
) -> list[tuple[Any, ...]]:
    """``total`` distinct observations spread over the datasets as evenly as their key spaces
    allow (a small country has few areas: its datasets run out of keys sooner)."""
    pools: dict[int, list[tuple[int, str, int, str, str]]] = {}
    for d in datasets:
        keys = [
            (i, a, y, s, g)
            for i in covered[d["id"]]
            for a in areas[d["code"]]
            for y in range(2015, 2025)
            for s in SEXES
            for g in AGES
        ]
        rng.shuffle(keys)
        pools[d["id"]] = keys
    rows: list[tuple[Any, ...]] = []
    while len(rows) < total and any(pools.values()):
        for d in datasets:
            pool = pools[d["id"]]
            if not pool or len(rows) >= total:
                continue
            indicator, area, year, sex, age = pool.pop()
            rows.append(
                (
                    d["id"],
                    indicator,
                    area,
                    str(year),
                    date(year, 1, 1),
                    date(year, 12, 31),
                    round(rng.uniform(1, 95), 1),
                    "PERCENT",
                    rng.randint(2, 400),
                    sex,
                    age,
                )
            )
    return rows
