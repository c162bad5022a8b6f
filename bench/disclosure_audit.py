"""Benchmark of disclosure control: secondary suppression and the attacker's audit.

    .venv/bin/python -m bench.disclosure_audit [--cells 100000] [--small 0.08] [--seed 7]

Builds, in memory, a coalition's published cells across an area hierarchy (a country, 10
subdivisions, 10 wards each), a period hierarchy (a year and its quarters), a sex x age
breakdown, several indicators each with a corrected second version and a linked dataset on the
same population: the shape of what the audit reads from the database, without the database
(the SQL read is a separate, ordinary scan). Then times ``suppression.protect_each_indicator``
(the pattern a publish computes) and ``audit.audit`` over the protected result (what every
publish and ``lnob-api disclosure audit`` run), and prints peak memory. Figures only: nothing
here asserts a time.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import time
import tracemalloc
from dataclasses import replace

from lnob_api.disclosure.audit import audit, components
from lnob_api.disclosure.model import AuditCell, Protection
from lnob_api.disclosure.relations import build
from lnob_api.disclosure.suppression import protect_each_indicator

THRESHOLD = 5
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
SEXES = ("F", "M")
AGES = ("Y0T14", "Y15T64", "Y_GE65")


def areas() -> dict[str, str | None]:
    tree: dict[str, str | None] = {"KE": None}
    for s in range(10):
        sub = f"KE-{s:02d}"
        tree[sub] = "KE"
        for w in range(10):
            tree[f"{sub}-W{w}"] = sub
    return tree


def _sum(
    base: dict[tuple[str, str, str, str], int],
    leaves: list[str],
    quarters: tuple[str, ...],
    sexes: tuple[str, ...],
    ages: tuple[str, ...],
) -> int:
    return sum(base[(a, q, s, g)] for a in leaves for q in quarters for s in sexes for g in ages)


def table(
    rng: random.Random, tree: dict[str, str | None], small: float
) -> dict[tuple[str, str, str, str], int]:
    """Every cell (area, period, sex, age; '_T' for totals) from random finest counts."""
    leaves = [a for a in tree if a.count("-") == 2]
    base = {
        (a, q, s, g): rng.randint(0, 4) if rng.random() < small else rng.randint(5, 80)
        for a in leaves
        for q in QUARTERS
        for s in SEXES
        for g in AGES
    }
    below: dict[str, list[str]] = {a: [a] if a in leaves else [] for a in tree}
    for leaf in leaves:
        sub = tree[leaf]
        assert sub is not None
        below[sub].append(leaf)
        below["KE"].append(leaf)
    out = {}
    for area in tree:
        for period in ("2020", *QUARTERS):
            quarters = QUARTERS if period == "2020" else (period,)
            for sex in ("_T", *SEXES):
                for age in ("_T", *AGES):
                    out[(area, period, sex, age)] = _sum(
                        base,
                        below[area],
                        quarters,
                        SEXES if sex == "_T" else (sex,),
                        AGES if age == "_T" else (age,),
                    )
    return out


def coalition(
    target: int, small: float, seed: int
) -> tuple[list[AuditCell], dict[str, str | None]]:
    rng = random.Random(seed)
    tree = areas()
    ids = itertools.count(1)
    cells: list[AuditCell] = []
    dataset = itertools.count(1)
    for indicator in itertools.count(1):
        values = table(rng, tree, small)
        corrected = dict(values)
        # The second version corrects one ward's quarter (and so its totals) by one person.
        key = rng.choice(
            [k for k in values if k[0].count("-") == 2 and k[1] != "2020" and "_T" not in k]
        )
        for k in values:
            if (
                (k[0] in (key[0], tree[key[0]], "KE"))
                and k[1] in (key[1], "2020")
                and k[2] in (key[2], "_T")
                and k[3] in (key[3], "_T")
            ):
                corrected[k] += 1
        lineage = next(dataset)
        linked = next(dataset)
        versions = [
            (lineage, lineage, 1, values, True),
            (lineage + 100000, lineage, 2, corrected, True),
            (linked, linked, 1, values, False),
        ]
        for dataset_id, lineage_id, version, data, full in versions:
            for (area, period, sex, age), value in data.items():
                if not full and age != "_T":
                    continue  # the linked dataset: by sex only
                period_code = "2020" if period == "2020" else f"2020-{period}"
                dims = tuple(d for d in (("age", age), ("sex", sex)) if d[1] != "_T")
                cells.append(
                    AuditCell(
                        next(ids),
                        dataset_id,
                        lineage_id,
                        version,
                        f"I{indicator}",
                        area,
                        period_code,
                        "PERSONS",
                        dims,
                        float(value),
                        None,
                        True,
                        0 < value < THRESHOLD,
                    )
                )
        if len(cells) >= target:
            return cells, tree
    raise AssertionError("unreachable")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--small", type=float, default=0.08, help="share of small finest cells")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    cells, tree = coalition(args.cells, args.small, args.seed)
    primary = sum(c.primary for c in cells)
    print(
        f"cells: {len(cells)}, primary (small): {primary}, datasets: {len({c.dataset_id for c in cells})}"
    )
    protection = Protection(THRESHOLD)

    start, cpu = time.perf_counter(), time.process_time()
    result = protect_each_indicator(cells, protection, parents=tree)
    protect_s, protect_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"secondary suppression: {protect_s:.1f} s ({protect_cpu:.1f} s CPU), {len(result.secondary)} secondary cells, {result.rounds} rounds (most for one indicator), {len(result.unresolved)} unresolved"
    )
    print(f"  withheld share: {(primary + len(result.secondary)) / len(cells):.1%} of cells")

    hidden = result.secondary | {c.id for c in cells if c.primary}
    published = [replace(c, shown=c.id not in hidden) for c in cells]
    start, cpu = time.perf_counter(), time.process_time()
    system = build(published, parents=tree)
    built_s = time.perf_counter() - start
    found = audit(system, protection)
    audit_s, audit_cpu = time.perf_counter() - start, time.process_time() - cpu
    # Memory apart (tracemalloc slows Python down several times): the same audit, traced.
    tracemalloc.start()
    audit(build(published, parents=tree), protection)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    comps = [c for c in components(system) if c.targets]
    largest = max((len(c.variables) for c in comps), default=0)
    print(
        f"audit: {audit_s:.1f} s ({audit_cpu:.1f} s CPU; {built_s:.1f} s building {len(system.relations)} relations), {len(found)} narrowed, {len(comps)} components with small cells, largest {largest} withheld quantities"
    )
    print(
        f"peak memory: audit {peak / 2**20:.0f} MiB traced (Python objects), process RSS {rss_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
