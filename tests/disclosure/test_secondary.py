"""Secondary suppression, the pure algorithm: examples, then properties over random tables.

The property tests check the result with their own code, not the module's: they rebuild each
table's additive groups from how the table was generated, and judge what an attacker can derive
by exact rank computations over the shown and hidden cells.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import examples

from lnob_api.disclosure.secondary import (
    Cell,
    cell_from_row,
    derivable,
    secondary_suppression,
)

THRESHOLD = 5
T = "_T"


def cell(
    id: int,
    sex: str = T,
    age: str = T,
    *,
    n: int | None = 100,
    value: float | None = None,
    unit: str = "NUMBER",
    table: object = "t",
    extra: dict[str, str] | None = None,
) -> Cell:
    dims = [("sex", sex), ("age", age), *sorted((extra or {}).items())]
    return Cell(
        id=id,
        table=table,
        dimensions=tuple(dims),
        unit=unit,
        value=float(n or 0) if value is None else value,
        sample_size=n,
        primary=n is not None and n < THRESHOLD,
    )


class TestOneGroup:
    def test_the_complement_of_a_small_category_is_hidden(self) -> None:
        # given: total 100 = F 3 + M 97, F small
        cells = [cell(1, n=100), cell(2, "F", n=3), cell(3, "M", n=97)]
        # when
        hidden = secondary_suppression(cells)
        # then: M hidden too; the total stays shown
        assert hidden == {3}

    def test_the_smallest_shown_category_is_chosen(self) -> None:
        # given: 100 = 3 + 40 + 57, the smallest shown category is the one of 40
        cells = [cell(1, n=100), cell(2, "F", n=3), cell(3, "M", n=57), cell(4, "O", n=40)]
        # when / then
        assert secondary_suppression(cells) == {4}

    def test_ties_on_sample_size_go_by_value_then_id(self) -> None:
        # given: two categories of 40 (values 9 and 8), then two equal ones
        by_value = [
            cell(1, n=100, value=20.0),
            cell(2, "F", n=3, value=3.0),
            cell(3, "M", n=40, value=9.0),
            cell(4, "O", n=40, value=8.0),
        ]
        by_id = [*by_value[:2], cell(5, "M", n=40, value=8.0), cell(4, "O", n=40, value=8.0)]
        # when / then
        assert secondary_suppression(by_value) == {4}
        assert secondary_suppression(by_id) == {4}

    def test_a_hidden_total_takes_a_category_with_it(self) -> None:
        # given: the total is small (PERCENT with every sample size known)
        cells = [
            cell(1, n=4, value=50.0, unit="PERCENT"),
            cell(2, "F", n=30, value=40.0, unit="PERCENT"),
            cell(3, "M", n=20, value=60.0, unit="PERCENT"),
        ]
        # when / then
        assert secondary_suppression(cells) == {3}

    def test_a_lone_category_hides_its_total(self) -> None:
        # given: the total and its only category are the same number
        cells = [cell(1, n=None, value=3.0), cell(2, "F", n=3), cell(3, age="Y15T24", n=80)]
        # when / then: the total is hidden, and with it a cell of the total's age group
        assert secondary_suppression(cells) == {1, 3}

    def test_two_hidden_cells_need_nothing_more(self) -> None:
        # given
        cells = [cell(1, n=100), cell(2, "F", n=3), cell(3, "M", n=4), cell(4, "O", n=93)]
        # when / then
        assert secondary_suppression(cells) == frozenset()

    def test_nothing_is_hidden_without_a_small_cell(self) -> None:
        # given
        cells = [cell(1, n=100), cell(2, "F", n=50), cell(3, "M", n=50)]
        # when / then
        assert secondary_suppression(cells) == frozenset()


class TestAdditivity:
    def test_percentages_with_every_sample_size_known_are_additive(self) -> None:
        # given: 40% of 100 = 10% of 3 + x% of 97 gives x away
        cells = [
            cell(1, n=100, value=40.0, unit="PERCENT"),
            cell(2, "F", n=3, value=10.0, unit="PERCENT"),
            cell(3, "M", n=97, value=40.9, unit="PERCENT"),
        ]
        # when / then
        assert secondary_suppression(cells) == {3}

    def test_percentages_with_an_unknown_sample_size_are_not(self) -> None:
        # given: the male sample size is unknown, so the weighted relation cannot be solved
        cells = [
            cell(1, n=100, value=40.0, unit="PERCENT"),
            cell(2, "F", n=3, value=10.0, unit="PERCENT"),
            cell(3, "M", n=None, value=40.9, unit="PERCENT"),
        ]
        # when / then
        assert secondary_suppression(cells) == frozenset()

    def test_counts_are_additive_whatever_the_sample_sizes(self) -> None:
        # given: counts add up even when a sample size is unknown
        cells = [
            cell(1, n=None, value=100.0, unit="persons"),
            cell(2, "F", n=3, value=3.0, unit="persons"),
            cell(3, "M", n=None, value=97.0, unit="persons"),
        ]
        # when / then
        assert secondary_suppression(cells) == {3}

    def test_tables_do_not_mix(self) -> None:
        # given: the same coordinates in two tables (two periods, say)
        cells = [
            cell(1, n=100, table="2020"),
            cell(2, "F", n=3, table="2020"),
            cell(3, "M", n=97, table="2020"),
            cell(4, n=100, table="2021"),
            cell(5, "F", n=50, table="2021"),
            cell(6, "M", n=50, table="2021"),
        ]
        # when / then
        assert secondary_suppression(cells) == {3}

    def test_an_extra_dimension_left_out_is_the_total(self) -> None:
        # given: a cell without EDU is the total of the EDU categories
        cells = [
            cell(1, n=100),
            cell(2, n=3, extra={"dimensions.EDU": "PRIMARY"}),
            cell(3, n=97, extra={"dimensions.EDU": "SECONDARY"}),
        ]
        # when / then
        assert secondary_suppression(cells) == {3}


class TestOverlappingGroups:
    def test_a_complement_opens_the_groups_it_belongs_to(self) -> None:
        # given: a 2x2 table with margins; F x Y1 is small
        cells = [
            cell(1, n=100),
            cell(2, "F", n=40),
            cell(3, "M", n=60),
            cell(4, age="Y1", n=30),
            cell(5, age="Y2", n=70),
            cell(6, "F", "Y1", n=3),
            cell(7, "F", "Y2", n=37),
            cell(8, "M", "Y1", n=27),
            cell(9, "M", "Y2", n=33),
        ]
        # when
        hidden = secondary_suppression(cells)
        # then: a rectangle of four interior cells, margins shown
        assert hidden == {7, 8, 9}

    def test_relations_that_pin_a_cell_together_are_broken(self) -> None:
        # given: a table where every group ends with two hidden cells, yet rows C1 and C2 and
        # column C2 together give C1xC0 + C2xC0 away, and column C0 then gives C3xC0
        sizes = {
            ("_T", "_T"): 13,
            ("_T", "C0"): 0,
            ("_T", "C1"): 24,
            ("_T", "C2"): 2,
            ("C0", "_T"): 3,
            ("C0", "C0"): 27,
            ("C0", "C1"): 19,
            ("C0", "C2"): 23,
            ("C1", "_T"): 20,
            ("C1", "C0"): 23,
            ("C1", "C1"): 29,
            ("C1", "C2"): 8,
            ("C2", "_T"): 13,
            ("C2", "C0"): 11,
            ("C2", "C1"): 25,
            ("C2", "C2"): 7,
            ("C3", "_T"): 1,
            ("C3", "C0"): 16,
            ("C3", "C1"): 16,
            ("C3", "C2"): 16,
        }
        cells = [
            replace(cell(i, s, a, n=n), primary=(s, a) == ("C3", "_T"))
            for i, ((s, a), n) in enumerate(sizes.items(), start=1)
        ]
        small = {c.id for c in cells if c.primary}
        # when
        hidden = small | secondary_suppression(cells)
        # then: no hidden cell follows from the relations, alone or combined
        assert determined(relations_of(cells), hidden) == set()
        assert determined(relations_of(cells), small | group_rule_only(cells)) != set()


class TestIncompleteTables:
    def test_contradictory_relations_do_not_hide_everything(self) -> None:
        # given: C0 x _T and C0 x A are missing, so the relations (taken as complete) force
        # C0 x B = 0 whatever is shown; that small cell cannot be protected by hiding more
        sizes = {
            ("_T", "_T"): 100,
            ("_T", "A"): 40,
            ("_T", "B"): 60,
            ("C1", "_T"): 97,
            ("C1", "A"): 40,
            ("C1", "B"): 57,
            ("C0", "B"): 3,
        }
        cells = [cell(i, s, a, n=n) for i, ((s, a), n) in enumerate(sizes.items(), start=1)]
        # when
        hidden = secondary_suppression(cells)
        # then: its group's complement and the cascade from it, but the margins stay
        assert hidden == {2, 3, 5, 6}


class TestDerivable:
    def test_one_unknown_in_a_relation_is_determined(self) -> None:
        assert derivable([([0], [1, 2])], {1}) == [1]

    def test_two_unknowns_are_not(self) -> None:
        assert derivable([([0], [1, 2])], {1, 2}) == []

    def test_relations_combine(self) -> None:
        # x + y, y + z and x + z known: all three follow
        relations = [([0], [1, 2]), ([3], [2, 4]), ([5], [1, 4])]
        assert derivable(relations, {1, 2, 4}) == [1, 2, 4]


class TestCellFromRow:
    def test_a_row_becomes_a_cell(self) -> None:
        # given
        row = {
            "id": 7,
            "indicator_id": 3,
            "area_code": "KE",
            "period": "2020",
            "unit": "percent",
            "sex": "F",
            "age": "_T",
            "disability_status": "_T",
            "urbanisation": "U",
            "group_code": "_T",
            "dimensions": {"EDU": "ISCED11_1", "WAVE": 2},
            "value": 12,
            "sample_size": 3,
            "primary": True,
        }
        # when
        found = cell_from_row(row)
        # then
        assert found.table == (3, None, "KE", "2020", "PERCENT")
        assert dict(found.dimensions) == {
            "sex": "F",
            "age": "_T",
            "disability_status": "_T",
            "urbanisation": "U",
            "group_code": "_T",
            "dimensions.EDU": "ISCED11_1",
            "dimensions.WAVE": "2",
        }
        assert (found.value, found.sample_size, found.primary) == (12.0, 3, True)


# ---- properties ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A generated table and the structure it was generated from."""

    cells: list[Cell]
    names: list[str]
    codes: list[list[str]]  # per dimension: _T first, then its categories
    counts: bool

    def at(self) -> dict[tuple[str, ...], Cell]:
        return {tuple(dict(c.dimensions)[n] for n in self.names): c for c in self.cells}


DIMENSIONS = ["sex", "age", "disability_status", "urbanisation", "dimensions.EDU"]


@st.composite
def tables(draw: st.DrawFn, *, small: bool = True) -> Table:
    """2-3 dimensions of 2-4 categories plus totals, consistent additive sample sizes (some
    under the threshold when ``small``), counts or percentages; sometimes cells are missing
    (with the totals above them) or a sample size unknown."""
    names = draw(st.permutations(DIMENSIONS))[: draw(st.integers(2, 3))]
    codes = [[T, *(f"C{k}" for k in range(draw(st.integers(2, 4))))] for _ in names]
    counts = draw(st.booleans())
    low = 0 if small else THRESHOLD
    interior = list(itertools.product(*(c[1:] for c in codes)))
    sizes = {
        key: draw(st.one_of(st.integers(low, 6), st.integers(THRESHOLD, 60))) for key in interior
    }
    shares = {key: draw(st.integers(0, 100)) for key in interior}
    if not small:
        sizes = {k: max(v, THRESHOLD) for k, v in sizes.items()}
    every = list(itertools.product(*codes))
    missing = totals_above(draw(st.sets(st.sampled_from(every), max_size=2)))
    unknown = draw(st.sets(st.sampled_from(every), max_size=2)) if not counts else set()
    ids = draw(st.permutations(range(1, len(every) + 1)))
    cells = []
    for i, key in zip(ids, every, strict=True):
        if key in missing:
            continue
        inside = [k for k in interior if all(a in (T, b) for a, b in zip(key, k, strict=True))]
        n = sum(sizes[k] for k in inside)
        weighted = sum(shares[k] * sizes[k] for k in inside)
        value = float(n) if counts else (round(weighted / n, 3) if n else 0.0)
        known = None if key in unknown and n >= THRESHOLD else n
        cells.append(
            Cell(
                id=i,
                table="t",
                dimensions=tuple(zip(names, key, strict=True)),
                unit="NUMBER" if counts else "PERCENT",
                value=value,
                sample_size=known,
                primary=known is not None and known < THRESHOLD,
            )
        )
    return Table(cells, names, codes, counts)


def totals_above(keys: Iterable[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """The cells, and every total above them: a table without these still has true relations
    (a group keeps all its categories whenever it keeps its total)."""
    found = set()
    for key in keys:
        given = [k for k, code in enumerate(key) if code != T]
        for r in range(len(given) + 1):
            for chosen in itertools.combinations(given, r):
                found.add(tuple(T if k in chosen else code for k, code in enumerate(key)))
    return found


def groups_of(table: Table) -> list[list[Cell]]:
    """The additive groups, rebuilt from the generated structure: total first, then categories."""
    at = table.at()
    found = []
    for d, _ in enumerate(table.names):
        others = [codes for k, codes in enumerate(table.codes) if k != d]
        for rest in itertools.product(*others):
            keys = [(*rest[:d], code, *rest[d:]) for code in table.codes[d]]
            members = [at[k] for k in keys if k in at]
            if not members or members[0] is not at.get(keys[0]) or len(members) < 2:
                continue
            if table.counts or all(c.sample_size is not None for c in members):
                found.append(members)
    return found


def relations_of(cells: Sequence[Cell]) -> list[list[tuple[int, int]]]:
    """(cell id, coefficient) lists, each summing to zero, for a table of sex x age cells."""
    table = Table(
        list(cells),
        ["sex", "age"],
        [[T, *sorted({dict(c.dimensions)[n] for c in cells} - {T})] for n in ("sex", "age")],
        counts=True,
    )
    return [[(g[0].id, 1), *((c.id, -1) for c in g[1:])] for g in groups_of(table)]


def determined(relations: list[list[tuple[int, int]]], hidden: set[int]) -> set[int]:
    """Hidden cells an attacker can compute from the shown ones. Moving the shown cells to the
    right-hand side leaves a system over the hidden ones; a hidden cell is free exactly when
    some solution of the homogeneous system (a null-space vector) moves it."""
    columns = sorted(hidden)
    matrix = [[Fraction(dict(rel).get(c, 0)) for c in columns] for rel in relations]
    pivots: list[int] = []
    r = 0
    for col in range(len(columns)):
        found = next((k for k in range(r, len(matrix)) if matrix[k][col]), None)
        if found is None:
            continue
        matrix[r], matrix[found] = matrix[found], matrix[r]
        matrix[r] = [x / matrix[r][col] for x in matrix[r]]
        for k in range(len(matrix)):
            if k != r and matrix[k][col]:
                factor = matrix[k][col]
                matrix[k] = [a - factor * b for a, b in zip(matrix[k], matrix[r], strict=True)]
        pivots.append(col)
        r += 1
    free = [c for c in range(len(columns)) if c not in pivots]
    moved = set()
    for f in free:
        # the null-space vector with this free variable at 1 and the others at 0
        moved.add(columns[f])
        for row, p in enumerate(pivots):
            if matrix[row][f]:
                moved.add(columns[p])
    return hidden - moved


def group_rule_only(cells: Sequence[Cell]) -> set[int]:
    """The per-group rule alone, to show that it is not enough (see the test using it)."""
    hidden = {c.id for c in cells if c.primary}
    relations = relations_of(cells)
    by_id = {c.id: c for c in cells}
    changed = True
    while changed:
        changed = False
        for rel in relations:
            ids = [i for i, _ in rel]
            if sum(i in hidden for i in ids) == 1:
                shown = [by_id[i] for i in ids[1:] if i not in hidden] or [by_id[ids[0]]]
                hidden.add(min(shown, key=lambda c: (c.sample_size, c.value, c.id)).id)
                changed = True
    return hidden - {c.id for c in cells if c.primary}


def hidden_after(table: Table) -> set[int]:
    return {c.id for c in table.cells if c.primary} | secondary_suppression(table.cells)


class TestProperties:
    @settings(deadline=None)  # the profile's count (tests/conftest.py)
    @given(tables())
    def test_every_group_with_a_hidden_cell_has_two(self, table: Table) -> None:
        # when
        hidden = hidden_after(table)
        # then: solving any group's relation leaves at least two unknowns, or none
        for group in groups_of(table):
            assert sum(c.id in hidden for c in group) != 1, group

    @settings(deadline=None)  # the profile's count (tests/conftest.py)
    @given(tables())
    def test_no_hidden_value_follows_from_all_shown_ones(self, table: Table) -> None:
        # given
        relations = [[(g[0].id, 1), *((c.id, -1) for c in g[1:])] for g in groups_of(table)]
        # when
        hidden = hidden_after(table)
        # then: no combination of the relations isolates a hidden cell
        assert determined(relations, hidden) == set()

    @settings(max_examples=examples(1 / 3), deadline=None)
    @given(tables(), st.randoms(use_true_random=False))
    def test_it_is_deterministic(self, table: Table, rng: random.Random) -> None:
        # given
        shuffled = table.cells[:]
        rng.shuffle(shuffled)
        # when / then
        assert secondary_suppression(shuffled) == secondary_suppression(table.cells)

    @settings(max_examples=examples(1 / 3), deadline=None)
    @given(tables())
    def test_it_is_idempotent(self, table: Table) -> None:
        # given
        hidden = hidden_after(table)
        again = [replace(c, primary=c.id in hidden) for c in table.cells]
        # when / then: treating the result as given hides nothing more
        assert secondary_suppression(again) == frozenset()

    @settings(max_examples=examples(1 / 3), deadline=None)
    @given(tables())
    def test_primary_cells_stay_hidden(self, table: Table) -> None:
        # when
        secondary = secondary_suppression(table.cells)
        # then
        primary = {c.id for c in table.cells if c.primary}
        assert not primary & secondary
        assert primary <= hidden_after(table)

    @settings(max_examples=examples(1 / 3), deadline=None)
    @given(tables(small=False))
    def test_nothing_is_hidden_when_no_cell_is_small(self, table: Table) -> None:
        assert secondary_suppression(table.cells) == frozenset()
