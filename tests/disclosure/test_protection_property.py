"""Property: after secondary suppression (disclosure.suppression.protect), an independent
attacker's LP over every shown cell narrows no small cell below its protection interval.

Generated coalitions: areas three levels deep (country, two subdivisions, two or three wards
each), a year and its four quarters, a sex breakdown, two or three linked datasets of the same
population (different breakdowns) and a corrected second version of the first; counts, or
percentages with their sample sizes (then the attacker bounds the n of each group). The attacker
here is written from the generated structure (its own relations and LP), not from the
product's relations or audit code. A twentieth of the hypothesis profile's count of examples
(tests/conftest.py: 5 with ``ci``, the default; 15 with ``long``): each solves an LP per cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from tests.helpers import examples

from lnob_api.disclosure.model import AuditCell, Protection
from lnob_api.disclosure.suppression import protect

THRESHOLD = 5
EXAMPLES = examples(1 / 20, least=3)
SEXES = ("_T", "F", "M")
PERIODS = ("2020", "2020-Q1", "2020-Q2", "2020-Q3", "2020-Q4")


@dataclass
class World:
    areas: dict[str, str | None]  # code -> parent
    cells: list[AuditCell]
    # (dataset, area, period, sex) -> cell id
    index: dict[tuple[int, str, str, str], int]
    # Percentages with their n (the attacker bounds n) instead of counts.
    rates: bool = False

    def size(self, cell: AuditCell) -> float:
        """The protected group size: a count's value, a percentage's n."""
        return float(cell.sample_size or 0) if self.rates else cell.value or 0.0


def _leaves(areas: dict[str, str | None]) -> list[str]:
    parents = set(areas.values())
    return [a for a in areas if a not in parents]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    areas: dict[str, str | None] = {"KE": None}
    for s in range(2):
        sub = f"KE-{s + 1}"
        areas[sub] = "KE"
        for w in range(draw(st.integers(2, 3))):
            areas[f"{sub}-W{w + 1}"] = sub
    leaves = _leaves(areas)
    small = st.integers(0, 6)
    base = {
        (a, q, sex): draw(st.one_of(small, st.integers(0, 40)))
        for a in leaves
        for q in PERIODS[1:]
        for sex in ("F", "M")
    }
    # The corrected version changes one finest cell.
    fix_key = draw(st.sampled_from(sorted(base)))
    fix_by = draw(st.integers(1, 3))
    corrected = dict(base)
    corrected[fix_key] += fix_by
    datasets = draw(st.integers(2, 3))
    rates = draw(st.booleans())
    # With percentages: how many of each finest group have the attribute.
    hits = {key: draw(st.integers(0, n)) for key, n in base.items()} if rates else {}
    cells: list[AuditCell] = []
    index: dict[tuple[int, str, str, str], int] = {}
    ids = itertools.count(1)
    # dataset 1 (lineage 1, v1 and v2 corrected): everything; dataset 2: sex totals only;
    # dataset 3: the year only.
    plan: list[tuple[int, int, int, dict[Any, int], tuple[str, ...], tuple[str, ...]]] = [
        (1, 1, 1, base, SEXES, PERIODS),
        (2, 1, 2, corrected, SEXES, PERIODS),
        (3, 3, 1, base, ("_T",), PERIODS),
    ]
    if datasets == 3:
        plan.append((4, 4, 1, base, SEXES, ("2020",)))
    for dataset, lineage, version, values, sexes, periods in plan:
        for area, period, sex in itertools.product(areas, periods, sexes):
            value = _total(values, areas, area, period, sex)
            share = None
            if rates and value:
                share = 100.0 * _total(hits, areas, area, period, sex) / value
            cid = next(ids)
            index[(dataset, area, period, sex)] = cid
            cells.append(
                AuditCell(
                    id=cid,
                    dataset_id=dataset,
                    lineage_id=lineage,
                    version=version,
                    indicator="1.1.1",
                    area=area,
                    period=period,
                    unit="PERCENT" if rates else "PERSONS",
                    dimensions=() if sex == "_T" else (("sex", sex),),
                    value=share if rates else float(value),
                    sample_size=value if rates else None,
                    shown=True,
                    primary=value < THRESHOLD,
                )
            )
    return World(areas, cells, index, rates)


def _below(areas: dict[str, str | None], area: str) -> Iterator[str]:
    kids = [a for a, p in areas.items() if p == area]
    if not kids:
        yield area
    for kid in kids:
        yield from _below(areas, kid)


def _total(
    values: dict[Any, int], areas: dict[str, str | None], area: str, period: str, sex: str
) -> int:
    quarters = PERIODS[1:] if period == "2020" else (period,)
    sexes = ("F", "M") if sex == "_T" else (sex,)
    return sum(values[(a, q, s)] for a in _below(areas, area) for q in quarters for s in sexes)


def attacker_constraints(world: World) -> list[dict[int, float]]:
    """Rows (cell id -> coefficient) that sum to 0, as the attacker knows the tables: sex
    total = F + M, area = its child areas, year = its quarters, and the same population in the
    linked datasets and the two versions (equal where the versions agree)."""
    rows: list[dict[int, float]] = []
    by_id = {c.id: c for c in world.cells}
    for (dataset, area, period, sex), cid in world.index.items():

        def at(a: str = area, p: str = period, s: str = sex, d: int = dataset) -> int | None:
            return world.index.get((d, a, p, s))

        if sex == "_T" and at(s="F") is not None:
            rows.append({cid: 1.0, at(s="F"): -1.0, at(s="M"): -1.0})  # type: ignore[dict-item]
        kids = [a for a, p in world.areas.items() if p == area]
        if kids:
            rows.append({cid: 1.0, **{at(a=k): -1.0 for k in kids}})  # type: ignore[dict-item]
        if period == "2020" and at(p="2020-Q1") is not None:
            rows.append({cid: 1.0, **{at(p=q): -1.0 for q in PERIODS[1:]}})  # type: ignore[dict-item]
        for other in (2, 3, 4):
            twin = world.index.get((other, area, period, sex))
            if (
                dataset == 1
                and twin is not None
                and world.size(by_id[twin]) == world.size(by_id[cid])
            ):
                rows.append({cid: 1.0, twin: -1.0})
    return rows


def attack(world: World, hidden: set[int]) -> dict[int, tuple[float, float]]:
    """The attacker's interval for every hidden small cell."""
    by_id = {c.id: c for c in world.cells}
    unknown = sorted(hidden)
    col = {cid: i for i, cid in enumerate(unknown)}
    a_rows, b = [], []
    for row in attacker_constraints(world):
        if not any(cid in col for cid in row):
            continue
        coefs = np.zeros(len(unknown))
        rhs = 0.0
        for cid, coef in row.items():
            if cid in col:
                coefs[col[cid]] += coef
            else:
                rhs -= coef * world.size(by_id[cid])
        a_rows.append(coefs)
        b.append(rhs)
    a_eq = np.array(a_rows) if a_rows else None
    out = {}
    for cid in unknown:
        if not by_id[cid].primary:
            continue
        bounds = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(unknown))
            c[col[cid]] = sign
            r = linprog(c, A_eq=a_eq, b_eq=b if a_rows else None, bounds=(0, None), method="highs")
            bounds.append(sign * r.fun if r.status == 0 else (np.inf if sign < 0 else 0.0))
        out[cid] = (bounds[0], bounds[1])
    return out


class TestProtectionHolds:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(world=worlds())
    def test_no_small_cell_is_narrowed(self, world: World) -> None:
        # when
        result = protect(world.cells, Protection(THRESHOLD), parents=world.areas)
        hidden = {c.id for c in world.cells if c.primary} | set(result.secondary)
        # then
        assert not result.unresolved
        by_id = {c.id: c for c in world.cells}
        for cid, (lo, hi) in attack(world, hidden).items():
            value = world.size(by_id[cid])
            assert lo <= max(0.0, value - THRESHOLD) + 1e-6, (cid, value, lo, hi)
            assert hi >= value + THRESHOLD - 1e-6, (cid, value, lo, hi)

    @settings(max_examples=examples(1 / 100, least=3), deadline=None)
    @given(world=worlds())
    def test_it_is_deterministic_and_idempotent(self, world: World) -> None:
        first = protect(world.cells, Protection(THRESHOLD), parents=world.areas)
        again = protect(list(reversed(world.cells)), Protection(THRESHOLD), parents=world.areas)
        assert first.secondary == again.secondary
        assert not ({c.id for c in world.cells if c.primary} & first.secondary)
