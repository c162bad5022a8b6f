"""Perturbation and the attacker's audit: a perturbed count is an interval to the attacker, not
a value; the audit and the suppression pattern must hold against exactly that.

The attacker here is written in the test (``scipy.optimize.linprog`` over the table's
relations), independent of the product's audit code.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from scipy.optimize import linprog
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.disclosure.disclosure_world import World
from tests.disclosure.test_perturbation import KEY, Perturbed

from lnob_api.auth.keys import KeyStore
from lnob_api.disclosure import perturbation
from lnob_api.disclosure import service as disclosure
from lnob_api.disclosure.audit import audit, intervals
from lnob_api.disclosure.model import AuditCell, Kind, Protection
from lnob_api.disclosure.relations import build
from lnob_api.models.enums import Perturbation

THRESHOLD = 5
BASES = {Perturbation.ROUND_3: 3, Perturbation.ROUND_5: 5}


def attacker_interval(
    shown: dict[int, float], base: int, small: int, parts: list[int], total: int
) -> tuple[float, float]:
    """The attacker's bounds on cell ``small`` of a one-way table (``total`` = sum of
    ``parts``) from values rounded to ``base``: each shown value v says the truth is within
    v ± (base - 1), and at least the threshold when v > 0 (shown cells are not small)."""
    cells = [total, *parts]
    col = {c: i for i, c in enumerate(cells)}
    bounds = []
    for c in cells:
        if c in shown:
            v = shown[c]
            low = max(v - (base - 1), THRESHOLD if v > 0 else 0, 0)
            # a shown 0 is a true 0, or a count up to base - 1 that is not small
            zero_high = base - 1 if base - 1 >= THRESHOLD else 0
            high = v + (base - 1) if v > 0 else zero_high
            bounds.append((low, high))
        else:
            bounds.append((0, None))
    row = [0.0] * len(cells)
    row[col[total]] = 1.0
    for p in parts:
        row[col[p]] = -1.0
    found = []
    for sign in (1.0, -1.0):
        cost = [0.0] * len(cells)
        cost[col[small]] = sign
        result = linprog(cost, A_eq=[row], b_eq=[0.0], bounds=bounds, method="highs")
        assert result.status in (0, 3)
        found.append(sign * result.fun if result.status == 0 else float("inf"))
    return found[0], found[1]


def cell(cid: int, value: float, *, sex: str, shown: bool, known: Any = None) -> AuditCell:
    dims = () if sex == "_T" else (("sex", sex),)
    return AuditCell(
        id=cid,
        dataset_id=1,
        lineage_id=1,
        version=1,
        indicator=(1, None),
        area="KE-01",
        period="2023",
        unit="PERSONS",
        dimensions=dims,
        value=value,
        sample_size=None,
        shown=shown,
        primary=0 < value < THRESHOLD,
        known=known,
    )


class TestTheReferenceAndTheSql:
    async def test_sql_perturbs_exactly_as_the_published_rule(self, conn: AsyncConnection) -> None:
        # given values and cell keys, including the edges of the ptable's rows
        rng = random.Random(9)
        pairs = [(float(rng.choice(range(0, 40))), rng.random()) for _ in range(600)]
        pairs += [(float(v), k) for v in range(8) for k in (0.0, 0.05, 0.1, 0.5, 0.9, 0.95)]
        values = sa.values(sa.column("v", sa.Float), sa.column("k", sa.Float), name="t").data(pairs)
        for method in Perturbation:
            # when
            stmt = sa.select(
                values.c.v,
                values.c.k,
                perturbation.perturbed_sql(sa.literal(method.value), values.c.v, values.c.k),
            )
            rows = (await conn.execute(stmt)).all()
            # then
            assert [r[2] for r in rows] == [perturbation.perturb(method, r[0], r[1]) for r in rows]

    async def test_cell_keys_are_stable_and_spread(self, conn: AsyncConnection) -> None:
        # when the same identities are keyed twice, and under another secret
        parts = [sa.literal(i) for i in range(3)]
        key = perturbation.cell_key_sql(sa.literal(KEY), parts)
        other = perturbation.cell_key_sql(sa.literal("another secret"), parts)
        ids = sa.select(sa.func.generate_series(1, 2000).label("i")).subquery()
        keyed = perturbation.cell_key_sql(sa.literal(KEY), [ids.c.i])
        spread = await conn.scalar(sa.select(sa.func.array_agg(keyed)).select_from(ids))
        # then
        assert await conn.scalar(sa.select(key)) == await conn.scalar(sa.select(key))
        assert await conn.scalar(sa.select(key)) != await conn.scalar(sa.select(other))
        assert all(0 <= k < 1 for k in spread)
        assert [sum(1 for k in spread if b / 10 <= k < (b + 1) / 10) > 120 for b in range(10)] == [
            True
        ] * 10

    @pytest.mark.parametrize("method", [m for m in Perturbation if m is not Perturbation.NONE])
    def test_the_known_interval_always_holds_the_truth(self, method: Perturbation) -> None:
        rng = random.Random(3)
        for _ in range(2000):
            truth = float(rng.choice([0, *range(THRESHOLD, 60)]))
            shown = perturbation.perturb(method, truth, rng.random())
            low, high = perturbation.known_interval(method, shown, THRESHOLD) or (0, 0)
            assert low <= truth <= high, (truth, shown)
            assert high - low <= 2 * perturbation.max_error(method)


class TestTheAuditOnARoundedTable:
    @pytest.mark.parametrize("method", list(BASES))
    def test_it_bounds_a_small_cell_as_an_independent_attacker_does(
        self, method: Perturbation
    ) -> None:
        base = BASES[method]
        rng = random.Random(11)
        for _ in range(40):
            # given a total and three categories, one of them small and withheld, the others
            # shown rounded to the base
            parts = [rng.randint(5, 40), rng.randint(5, 40), rng.randint(1, 4)]
            values = {1: float(sum(parts)), 2: parts[0], 3: parts[1], 4: parts[2]}
            shown = {
                c: perturbation.perturb(method, v, rng.random())
                for c, v in values.items()
                if c != 4
            }
            cells = [
                cell(
                    c,
                    v,
                    sex=s,
                    shown=c != 4,
                    known=(
                        perturbation.known_interval(method, shown[c], THRESHOLD) if c != 4 else None
                    ),
                )
                for (c, v), s in zip(values.items(), ("_T", "F", "M", "X"), strict=True)
            ]
            system = build(cells, parents={})
            protection = Protection(THRESHOLD)
            # when
            product = intervals(system, protection)[(4, Kind.VALUE)]
            findings = audit(system, protection)
            # then the product's interval is the independent attacker's
            expected = attacker_interval(shown, base, 4, [2, 3, 4], 1)
            assert product == pytest.approx(expected), (values, shown)
            need = protection.interval(Kind.VALUE, values[4])
            narrowed = expected[0] > need[0] + 1e-6 or expected[1] < need[1] - 1e-6
            assert bool(findings) is narrowed

    def test_rounded_values_taken_as_exact_would_mislead_the_audit(self) -> None:
        # given a table whose rounded values do not add up
        values = {1: 57.0, 2: 30.0, 3: 24.0, 4: 3.0}
        shown = {1: 55.0, 2: 30.0, 3: 25.0}
        cells_exact = [
            cell(c, v, sex=s, shown=c != 4)
            for (c, v), s in zip(values.items(), ("_T", "F", "M", "X"), strict=True)
        ]
        # when the shown values count as exact, the small cell follows by subtraction (so the
        # exact audit asks for more suppression), while from the rounded values the attacker
        # only knows the interval the interval-aware audit computes
        exact = intervals(build(cells_exact, parents={}), Protection(THRESHOLD))
        fuzzy_cells = [
            cell(
                c,
                v,
                sex=s,
                shown=c != 4,
                known=perturbation.known_interval(Perturbation.ROUND_5, shown[c], THRESHOLD)
                if c != 4
                else None,
            )
            for (c, v), s in zip(values.items(), ("_T", "F", "M", "X"), strict=True)
        ]
        fuzzy = intervals(build(fuzzy_cells, parents={}), Protection(THRESHOLD))
        # then
        assert exact[(4, Kind.VALUE)] == pytest.approx((3.0, 3.0))
        assert fuzzy[(4, Kind.VALUE)] == pytest.approx(attacker_interval(shown, 5, 4, [2, 3, 4], 1))
        assert fuzzy[(4, Kind.VALUE)][1] - fuzzy[(4, Kind.VALUE)][0] >= 8


class TestTheAuditThroughTheService:
    async def test_a_rounded_coalition_audits_clean_against_what_outsiders_read(
        self, conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore
    ) -> None:
        # given a published table with small cells, whose coalition then rounds to base 5
        counts = {
            (1, "2023", "_T"): 57,
            (1, "2023", "F"): 54,
            (1, "2023", "M"): 3,
            (2, "2023", "_T"): 41,
            (2, "2023", "F"): 39,
            (2, "2023", "M"): 2,
        }
        world = World(conn, client, signing_keys)
        table = await Perturbed(world).build("ROUND_5", counts=counts)
        # when
        report = await disclosure.audit_coalition(conn, world.coalition["code"])
        cells = await table.cells("anonymous")
        # then the product's audit finds nothing, and neither does the test's attacker over
        # what an anonymous caller reads
        assert report.clean, report
        for area in (world.area1, world.area2):
            read = {sex: cells[(area, "2023", sex)] for sex in ("_T", "F", "M")}
            ids = {"_T": 1, "F": 2, "M": 3}
            shown = {ids[s]: c["value"] for s, c in read.items() if not c["suppressed"]}
            assert all(c["perturbed"] for s, c in read.items() if not c["suppressed"])
            small = table.truth[(area, "2023", "M")]
            assert read["M"]["suppressed"]
            low, high = attacker_interval(shown, 5, 3, [2, 3], 1)
            assert low <= max(0.0, small - THRESHOLD) + 1e-6
            assert high >= small + THRESHOLD - 1e-6
