"""Benchmark of perturbation: what ROUND_3, ROUND_5 and CELL_KEY cost in accuracy, and what they
cost on the read path.

    .venv/bin/python -m bench.perturbation [--tables 200] [--seed 5]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--rows 300000]

Accuracy: generated count tables of the shape coalitions publish (a country, 10 subdivisions
of 10 wards each, sex x age breakdowns with totals, counts from a few to a few thousand, many
of them small), primary-suppressed at the threshold (5) as the read paths do, then perturbed by
each method with a random cell key per cell (``perturbation.perturb``, the rule the SQL follows
exactly: a test checks it). Printed per method, over the cells outsiders read:
- mean absolute error, and the share of cells whose value changed;
- max and mean relative error of the totals (country, subdivision, ward totals, all ``_T``),
  and the max over totals of 100 or more;
- the additivity gap: |perturbed total - sum of its perturbed parts| (mean, max).

Suppression (with ``--audit-cells N``): the cells of ``bench.disclosure_audit`` (hierarchies,
versions, linked datasets), protected (``protect_each_indicator``) and audited as published by
a coalition with each method (perturbed counts are intervals to the attacker): time, secondary
cells and findings, against NONE.

Read path (with ``--database-url``): the SQL of the read paths over ``--rows`` rows of a
temporary table shaped like ``observations``, exact against each method (cell key digest and
ptable lookup in PostgreSQL), in rows per second (best of 3). Figures only: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from lnob_api.disclosure import perturbation as pt
from lnob_api.models.enums import Perturbation

THRESHOLD = 5
SEXES = ("F", "M")
AGES = ("Y0T14", "Y15T64", "Y_GE65")
METHODS = (Perturbation.ROUND_3, Perturbation.ROUND_5, Perturbation.CELL_KEY)

Key = tuple[str, str, str]  # (area, sex, age); "_T" for totals


def areas() -> dict[str, list[str]]:
    """Each parent area's children: KE -> 10 subdivisions -> 10 wards each."""
    tree: dict[str, list[str]] = {"KE": []}
    for s in range(10):
        sub = f"KE-{s:02d}"
        tree["KE"].append(sub)
        tree[sub] = [f"{sub}-W{w}" for w in range(10)]
    return tree


def table(rng: random.Random, tree: dict[str, list[str]]) -> dict[Key, int]:
    """Every cell from random finest counts (wards x sex x age), totals added up."""
    wards = [w for kids in tree.values() for w in kids if w not in tree]
    finest = {
        (w, s, a): int(rng.lognormvariate(2.2, 1.3)) for w in wards for s in SEXES for a in AGES
    }
    cells: dict[Key, int] = {}

    def leaves(area: str) -> list[str]:
        return [area] if area not in tree else [x for k in tree[area] for x in leaves(k)]

    for area in [*tree, *wards]:
        under = leaves(area)
        for sex in (*SEXES, "_T"):
            for age in (*AGES, "_T"):
                cells[(area, sex, age)] = sum(
                    finest[(w, s, a)]
                    for w in under
                    for s in (SEXES if sex == "_T" else (sex,))
                    for a in (AGES if age == "_T" else (age,))
                )
    return cells


def parts_of(key: Key, tree: dict[str, list[str]]) -> Iterator[list[Key]]:
    """The additive groups a total heads: its sexes, its ages, its child areas."""
    area, sex, age = key
    if sex == "_T":
        yield [(area, s, age) for s in SEXES]
    if age == "_T":
        yield [(area, sex, a) for a in AGES]
    if area in tree:
        yield [(child, sex, age) for child in tree[area]]


def accuracy(tables: int, seed: int) -> None:
    rng = random.Random(seed)
    tree = areas()
    stats: dict[Perturbation, dict[str, list[float]]] = {
        m: {"abs": [], "changed": [], "total_rel": [], "big_rel": [], "gap": []} for m in METHODS
    }
    cells_read = 0
    for _ in range(tables):
        cells = table(rng, tree)
        shown = {k: v for k, v in cells.items() if not 0 < v < THRESHOLD}
        cells_read += len(shown)
        keys = {k: rng.random() for k in shown}
        for method in METHODS:
            noisy = {k: pt.perturb(method, float(v), keys[k]) for k, v in shown.items()}
            s = stats[method]
            s["abs"].extend(abs(noisy[k] - v) for k, v in shown.items())
            s["changed"].extend(float(noisy[k] != v) for k, v in shown.items())
            for k, v in shown.items():
                if v > 0 and "_T" in k:
                    s["total_rel"].append(abs(noisy[k] - v) / v)
                    if v >= 100:
                        s["big_rel"].append(abs(noisy[k] - v) / v)
                for group in parts_of(k, tree):
                    if all(p in noisy for p in group):
                        s["gap"].append(abs(noisy[k] - sum(noisy[p] for p in group)))
    print(
        f"accuracy: {tables} tables, {cells_read:,} cells read by outsiders"
        f" (threshold {THRESHOLD}; small cells withheld, not perturbed)"
    )
    print(
        f"{'method':<10} {'MAE':>6} {'changed':>8} {'max rel. err. totals':>21}"
        f" {'mean rel. err. totals':>22} {'max, totals >= 100':>19} {'additivity gap mean/max':>24}"
    )
    for method, s in stats.items():
        print(
            f"{method.value:<10} {statistics.fmean(s['abs']):>6.3f}"
            f" {statistics.fmean(s['changed']):>8.1%} {max(s['total_rel']):>21.2%}"
            f" {statistics.fmean(s['total_rel']):>22.3%} {max(s['big_rel']):>19.2%}"
            f" {statistics.fmean(s['gap']):>16.2f} / {max(s['gap']):.0f}"
        )


# --- read path ------------------------------------------------------------------------------

_DDL = """
CREATE TEMP TABLE bench_obs AS
SELECT g AS id, 1 + g % 40 AS indicator_id, NULL::text AS target_code,
       'KE-' || lpad((g % 47)::text, 2, '0') AS area_code, (2015 + g % 9)::text AS period,
       'PERSONS'::text AS unit, (ARRAY['F','M','_T'])[1 + g % 3] AS sex,
       (ARRAY['Y0T14','Y15T64','_T'])[1 + g / 3 % 3] AS age, '_T'::text AS disability_status,
       '_T'::text AS urbanisation, '_T'::text AS group_code, '{}'::jsonb AS dimensions,
       (g::bigint * 7919 % 3000)::float8 AS value,
       replace(gen_random_uuid()::text, '-', '') AS perturbation_key
FROM generate_series(1, :rows) AS g
"""


async def read_path(url: str, rows: int) -> None:
    from lnob_api.config import Settings
    from lnob_api.db import create_engine

    engine = create_engine(
        Settings.from_env({"DATABASE_URL": url}).database_url or url, pool_size=1
    )
    obs = sa.table(
        "bench_obs",
        *(
            sa.column(name)
            for name in (
                "id",
                "indicator_id",
                "target_code",
                "area_code",
                "period",
                "unit",
                "sex",
                "age",
                "disability_status",
                "urbanisation",
                "group_code",
            )
        ),
        sa.column("dimensions", pg.JSONB),
        sa.column("value", sa.Float),
        sa.column("perturbation_key", sa.Text),
    )
    async with engine.connect() as conn:
        await conn.execute(sa.text(_DDL), {"rows": rows})
        await conn.execute(sa.text("ANALYZE bench_obs"))
        print(f"read path: {rows:,} rows, sum(value) as read (best of 3)")
        base = None
        for method in (Perturbation.NONE, *METHODS):
            value = pt.perturbed_sql(
                sa.literal(method.value), obs.c.value, pt.observation_cell_key(obs, obs)
            )
            stmt = sa.select(sa.func.sum(value if method is not Perturbation.NONE else obs.c.value))
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                await conn.execute(stmt)
                best = min(best, time.perf_counter() - start)
            base = base or best
            print(
                f"  {method.value:<10} {rows / best:>12,.0f} rows/s"
                f"  ({best * 1e6 / rows:.2f} us/row, x{best / base:.2f})"
            )
    await engine.dispose()


def suppression(target: int) -> None:
    from dataclasses import replace

    from bench.disclosure_audit import coalition
    from lnob_api.disclosure.audit import audit
    from lnob_api.disclosure.model import Protection
    from lnob_api.disclosure.relations import build
    from lnob_api.disclosure.suppression import protect_each_indicator

    cells, tree = coalition(target, 0.08, 7)
    rng = random.Random(1)
    keys: dict[object, float] = {}
    print(f"suppression: {len(cells):,} cells, {sum(c.primary for c in cells):,} small")
    for method in (Perturbation.NONE, *METHODS):
        marked = []
        for c in cells:
            key = keys.setdefault(c.population, rng.random())
            shown = pt.perturb(method, c.value or 0.0, key)
            marked.append(replace(c, known=pt.known_interval(method, shown, THRESHOLD)))
        start = time.perf_counter()
        result = protect_each_indicator(marked, Protection(THRESHOLD), parents=tree)
        protect_s = time.perf_counter() - start
        hidden = result.secondary | {c.id for c in marked if c.primary}
        published = [replace(c, shown=c.id not in hidden) for c in marked]
        start = time.perf_counter()
        found = audit(build(published, parents=tree), Protection(THRESHOLD))
        audit_s = time.perf_counter() - start
        print(
            f"  {method.value:<10} protect {protect_s:6.1f} s, {len(result.secondary):,} secondary"
            f" ({len(hidden) / len(cells):.1%} withheld), {len(result.unresolved)} unresolved;"
            f" audit {audit_s:5.1f} s, {len(found)} narrowed"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--audit-cells", type=int, default=0)
    args = parser.parse_args()
    accuracy(args.tables, args.seed)
    if args.audit_cells:
        suppression(args.audit_cells)
    if args.database_url:
        asyncio.run(read_path(args.database_url, args.rows))
    else:
        print("read path: give --database-url to measure it")


if __name__ == "__main__":
    main()
