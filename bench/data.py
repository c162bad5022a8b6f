"""A deterministic data set for benchmarks, loaded with COPY.

Creates one benchmark coalition-sized slice per seeded coalition: datasets (all PUBLIC and
PUBLISHED so that anonymous load sees them), each covering a few indicators, and observations
spread over subdivisions, periods and disaggregations.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
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


# Invisible rows (bench/invisible.py): per coalition, DRAFT datasets and COALITION-only
# published ones, which an outside agency cannot read, over the same indicators and areas as
# the visible data so that filters do not tell them apart.
HIDDEN_PER_COALITION = {"DRAFT": 10, "COALITION": 5}


async def _hidden_datasets(conn: asyncpg.Connection) -> list[Any]:
    present = await conn.fetch(
        "SELECT d.id FROM datasets d WHERE d.slug LIKE 'bench-hidden-%' ORDER BY d.id"
    )
    if present:
        return present
    rows: list[tuple[Any, ...]] = []
    published = datetime(2022, 1, 1, tzinfo=UTC)
    for c in await conn.fetch("SELECT id, code FROM coalitions ORDER BY code"):
        for kind, n in HIDDEN_PER_COALITION.items():
            for i in range(n):
                draft = kind == "DRAFT"
                rows.append(
                    (
                        c["id"],
                        f"bench-hidden-{kind.lower()}-{c['code'].lower()}-{i}",
                        f"Unreleased survey {c['code']} {i}",
                        "DRAFT" if draft else "PUBLISHED",
                        "PUBLIC" if draft else "COALITION",
                        None if draft else published,
                    )
                )
    await conn.copy_records_to_table(
        "datasets",
        records=rows,
        columns=["coalition_id", "slug", "title", "status", "visibility", "published_at"],
    )
    return await conn.fetch("SELECT id FROM datasets WHERE slug LIKE 'bench-hidden-%' ORDER BY id")


async def add_invisible(dsn: str, total: int) -> int:
    """Top the invisible observations up to ``total`` (generated inside PostgreSQL: 2.5 M rows
    take about a minute); returns how many there are. Row ``g`` goes to hidden dataset
    ``g % n`` on day ``g // n``, so keys stay unique as the set grows."""
    conn = await asyncpg.connect(dsn)
    try:
        hidden = await _hidden_datasets(conn)
        ids = [r["id"] for r in hidden]
        present = int(
            await conn.fetchval("SELECT count(*) FROM observations WHERE dataset_id = ANY($1)", ids)
        )
        if present >= total:
            return present
        async with conn.transaction(), _without_indexes(conn, total - present > 100_000):
            await _insert_invisible(conn, ids, present, total)
        await conn.execute("ANALYZE observations")
        await conn.execute("ANALYZE datasets")
        return total
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def _without_indexes(conn: asyncpg.Connection, drop: bool) -> AsyncIterator[None]:
    """Drop the observations' secondary indexes (and the unique key) for a bulk insert and
    build them again afterwards: several times faster than maintaining them row by row."""
    if not drop:
        yield
        return
    found = await conn.fetch(
        """SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl,
                  c.conname, pg_get_constraintdef(c.oid) AS condef
           FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
                AND c.conrelid = i.indrelid
           WHERE i.indrelid = 'observations'::regclass AND NOT i.indisprimary"""
    )
    for r in found:
        if r["conname"]:
            await conn.execute(f'ALTER TABLE observations DROP CONSTRAINT "{r["conname"]}"')
        else:
            await conn.execute(f"DROP INDEX {r['name']}")
    yield
    await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for r in found:
        if r["conname"]:
            await conn.execute(
                f'ALTER TABLE observations ADD CONSTRAINT "{r["conname"]}" {r["condef"]}'
            )
        else:
            await conn.execute(r["ddl"])


async def _insert_invisible(conn: asyncpg.Connection, ids: list[int], start: int, end: int) -> None:
    await conn.execute(
        """
            WITH hidden AS (
              SELECT d.id, ordinality - 1 AS idx, coalesce(
                (SELECT array_agg(a.code ORDER BY a.code) FROM areas a
                  WHERE a.country_code = c.code AND a.level = 'SUBDIVISION'),
                ARRAY[c.code]) AS areas
              FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ordinality)
              JOIN datasets d ON d.id = u.id JOIN coalitions c ON c.id = d.coalition_id
            ), ind AS (SELECT array_agg(id ORDER BY code) AS ids FROM indicators
                       WHERE code = ANY($4))
            INSERT INTO observations (dataset_id, indicator_id, area_code, period, period_start,
                                      period_end, value, unit, sample_size, sex, age)
            SELECT h.id, ind.ids[1 + g % cardinality(ind.ids)],
                   h.areas[1 + (g / $5) % cardinality(h.areas)],
                   to_char(day, 'YYYY-MM-DD'), day, day, 1 + (g * 7919 % 940) / 10.0, 'PERCENT',
                   2 + g % 399, ($6::text[])[1 + g % 3], ($7::text[])[1 + g % 4]
            FROM generate_series($2::bigint, $3::bigint - 1) AS g
            JOIN hidden h ON h.idx = g % $5
            CROSS JOIN ind
            CROSS JOIN LATERAL (SELECT date '1950-01-01' + (g / $5)::int AS day) AS p
            """,
        ids,
        start,
        end,
        INDICATORS,
        len(ids),
        SEXES,
        AGES,
    )


async def agency_client(dsn: str) -> str:
    """A statistics agency outside every coalition, its OAuth client (``data:read``) and a
    grant to one public dataset (so the grant predicates run; it opens no extra rows)."""
    conn = await asyncpg.connect(dsn)
    try:
        client = await conn.fetchval(
            "SELECT client_id FROM oauth_clients WHERE client_id = 'bench-agency'"
        )
        if client:
            return str(client)
        org = await conn.fetchval(
            "INSERT INTO organisations (slug, name, kind) VALUES"
            " ('bench-agency', 'Benchmark statistics office', 'STATISTICS_AGENCY') RETURNING id"
        )
        client_pk = await conn.fetchval(
            "INSERT INTO oauth_clients (client_id, name, organisation_id, scopes, grant_types)"
            " VALUES ('bench-agency', 'Benchmark agency puller', $1, ARRAY['data:read'],"
            " ARRAY['client_credentials']) RETURNING id",
            org,
        )
        target = await conn.fetchrow(
            "SELECT id, coalition_id FROM datasets WHERE slug LIKE 'bench-%'"
            " AND slug NOT LIKE 'bench-hidden-%' ORDER BY id LIMIT 1"
        )
        await conn.execute(
            "INSERT INTO grants (coalition_id, dataset_id, client_id) VALUES ($1, $2, $3)",
            target["coalition_id"],
            target["id"],
            client_pk,
        )
        return "bench-agency"
    finally:
        await conn.close()
