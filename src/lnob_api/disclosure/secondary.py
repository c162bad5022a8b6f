"""Secondary suppression: which shown cells must be hidden too, so no hidden value follows.

A pure algorithm (no database, no framework). The rules:

- A *table* is the cells of one dataset version, indicator (or SDG target), area, period and
  unit; its cells differ only in their disaggregation dimensions (the
  five built-in ones and any extra ones; an extra dimension a cell does not name counts as
  ``_T``, the total). Units compare in ASCII upper case (``models.units``).
- A *group* is, for one dimension, a total (``_T`` there) with its categories there, all other
  dimensions equal. A cell belongs to one group per dimension.
- A group is *additive* (total = sum of categories) when its unit counts things
  (``models.units.is_count_unit``), or when every cell of the group has a sample size: sample
  sizes add up,
  and shares and means add up weighted by them (total% x n_total = sum of category% x n_cat),
  so for percentages, and any other unit, the group is additive exactly when all its sample
  sizes are known. Groups that are not additive carry no relation and are left alone.
- Within an additive group a single hidden cell equals the total minus the shown categories
  (or the sum of the categories when the total is the hidden one). So while some group has
  exactly one hidden cell, hide one more in it: the smallest shown category (by sample size,
  then value, then id), or the total when no category is left. Groups overlap across
  dimensions, so this runs to a fixed point.
- Groups combine: relations of several groups can pin a cell even when every group has two
  hidden cells. After the fixed point, the table's relations are solved exactly (Gauss-Jordan
  elimination over the hidden cells, in integers); for a hidden cell that is still determined,
  one more cell of one of its groups is hidden, and both steps repeat.
- A group's categories are taken to be complete. Where a table misses some of them, the
  relations can contradict each other and pin a cell whatever is hidden; such cells are left
  as they are (hiding more would not help, and the relation they follow from is false).

Cells with a NULL value count as shown (conservative). The result depends only on the cells,
not on their order, and running the algorithm on its own output hides nothing more.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lnob_api.models.units import ascii_upper, is_count_unit

TOTAL = "_T"

# The built-in dimension columns of an observation; extra ones come from its ``dimensions``.
BUILT_IN_DIMENSIONS = ("sex", "age", "disability_status", "urbanisation", "group_code")
_EXTRA_PREFIX = "dimensions."


@dataclass(frozen=True, slots=True)
class Cell:
    """One observation as the algorithm sees it."""

    id: int
    table: Hashable
    # (dimension, code) pairs; a dimension a cell does not list is the total for it.
    dimensions: tuple[tuple[str, str], ...]
    unit: str
    value: float | None
    sample_size: int | None
    primary: bool


def normal_unit(unit: str) -> str:
    """The unit as tables compare it (``primary.normal_unit``)."""
    return ascii_upper(unit)


def cell_from_row(row: Mapping[Any, Any]) -> Cell:
    """A cell from an observation row of one dataset version holding ``id``, ``indicator_id``
    (and ``target_code`` where observations have one), ``area_code``, ``period``, ``unit``, the
    built-in dimension columns, ``dimensions`` (extra ones), ``value``, ``sample_size`` and
    ``primary`` (whether the cell is a small one)."""
    dims = [(name, str(row[name])) for name in BUILT_IN_DIMENSIONS]
    for key, code in sorted((row["dimensions"] or {}).items()):
        text = code if isinstance(code, str) else json.dumps(code, sort_keys=True)
        dims.append((_EXTRA_PREFIX + key, text))
    unit = normal_unit(row["unit"] or "")
    return Cell(
        id=int(row["id"]),
        table=(row["indicator_id"], row.get("target_code"), row["area_code"], row["period"], unit),
        dimensions=tuple(dims),
        unit=unit,
        value=None if row["value"] is None else float(row["value"]),
        sample_size=None if row["sample_size"] is None else int(row["sample_size"]),
        primary=bool(row["primary"]),
    )


def secondary_suppression(cells: Iterable[Cell]) -> frozenset[int]:
    """Ids of the cells to hide in addition to the primary ones (never a primary one)."""
    tables: dict[Hashable, list[Cell]] = defaultdict(list)
    for cell in cells:
        tables[cell.table].append(cell)
    chosen: set[int] = set()
    for members in tables.values():
        if any(c.primary for c in members):
            chosen |= _Table(sorted(members, key=lambda c: c.id)).protect()
    return frozenset(chosen)


def smallest_first(cell: Cell) -> tuple[bool, int, bool, float, int]:
    """The order in which shown cells are chosen to be hidden: least informative first."""
    return (
        cell.sample_size is None,
        cell.sample_size or 0,
        cell.value is None,
        cell.value or 0.0,
        cell.id,
    )


@dataclass(slots=True)
class _Group:
    totals: list[int]
    categories: list[int]
    members: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.members = sorted(self.totals + self.categories)


class _Table:
    """One table's cells (sorted by id), its additive groups and the hidden set."""

    def __init__(self, cells: Sequence[Cell]) -> None:
        self.cells = cells
        self.hidden = {i for i, c in enumerate(cells) if c.primary}
        self.groups = _additive_groups(cells)
        self.groups_of: dict[int, list[int]] = defaultdict(list)
        for g, group in enumerate(self.groups):
            for i in group.members:
                self.groups_of[i].append(g)
        # Cells the relations pin even with every cell hidden: only a table whose categories
        # are incomplete has them (its relations contradict each other); hiding more cannot
        # free them, so they do not drive suppression.
        self.forced = set(derivable(self.relations(), set(range(len(cells)))))

    def protect(self) -> set[int]:
        while True:
            self._close_groups()
            extra = self._break_combinations()
            if extra is None:
                break
            self.hidden.add(extra)
        return {self.cells[i].id for i in self.hidden if not self.cells[i].primary}

    def _close_groups(self) -> None:
        """Until no group has exactly one hidden cell, hide a second one in such groups."""
        pending = deque(range(len(self.groups)))
        queued = set(pending)
        while pending:
            g = pending.popleft()
            queued.discard(g)
            group = self.groups[g]
            if sum(i in self.hidden for i in group.members) != 1:
                continue
            pick = self._complement(group)
            if pick is None:
                continue
            self.hidden.add(pick)
            for other in self.groups_of[pick]:
                if other not in queued:
                    pending.append(other)
                    queued.add(other)

    def _complement(self, group: _Group) -> int | None:
        """The smallest shown category of the group, else its smallest shown total."""
        for candidates in (group.categories, group.totals):
            shown = [i for i in candidates if i not in self.hidden]
            if shown:
                return min(shown, key=lambda i: smallest_first(self.cells[i]))
        return None

    def _break_combinations(self) -> int | None:
        """A cell to hide so that a hidden cell pinned by several relations together is freed
        (None when no hidden cell is determined, or nothing is left to hide)."""
        determined = [h for h in derivable(self.relations(), self.hidden) if h not in self.forced]
        if not determined:
            return None
        touching = [g for h in determined for g in self.groups_of[h]]
        # Prefer a group of a determined cell; fall back on any group with a hidden cell.
        fallback = [g for g, grp in enumerate(self.groups) if self.hidden & set(grp.members)]
        for g in [*touching, *fallback]:
            pick = self._complement(self.groups[g])
            if pick is not None:
                return pick
        return None

    def relations(self) -> list[tuple[list[int], list[int]]]:
        return [(g.totals, g.categories) for g in self.groups]


def _additive_groups(cells: Sequence[Cell]) -> list[_Group]:
    """The additive groups of one table, in a deterministic order."""
    names = sorted({name for c in cells for name, _ in c.dimensions})
    coords = []
    for c in cells:
        given = dict(c.dimensions)
        coords.append(tuple(given.get(name, TOTAL) for name in names))
    found: dict[tuple[int, tuple[str, ...]], tuple[list[int], list[int]]] = {}
    for i, coord in enumerate(coords):
        for d in range(len(names)):
            totals, categories = found.setdefault((d, coord[:d] + coord[d + 1 :]), ([], []))
            (totals if coord[d] == TOTAL else categories).append(i)
    counts = all(is_count_unit(c.unit) for c in cells)
    groups = []
    for key in sorted(found):
        totals, categories = found[key]
        if not totals or not categories:
            continue
        if counts or all(cells[i].sample_size is not None for i in totals + categories):
            groups.append(_Group(totals, categories))
    return groups


def derivable(relations: Sequence[tuple[list[int], list[int]]], hidden: set[int]) -> list[int]:
    """Hidden cells whose value follows from the shown ones and the relations
    (each relation: every total equals the sum of the categories), sorted.

    Exact Gauss-Jordan elimination over the hidden cells, with sparse integer rows: a hidden
    cell is determined when the relations combine into one that holds it alone.
    """
    pivots: dict[int, dict[int, int]] = {}
    for totals, categories in relations:
        for t in totals:
            row = {t: 1} if t in hidden else {}
            row.update((c, -1) for c in categories if c in hidden)
            for col in [c for c in row if c in pivots]:
                if col in row:
                    row = _eliminate(row, pivots[col], col)
            if not row:
                continue
            col = min(row)
            for other, prow in pivots.items():
                if col in prow:
                    pivots[other] = _eliminate(prow, row, col)
            pivots[col] = row
    return sorted(col for col, row in pivots.items() if len(row) == 1)


def _eliminate(row: dict[int, int], pivot: dict[int, int], col: int) -> dict[int, int]:
    """``row`` less a multiple of ``pivot`` so that ``col`` drops out, in lowest terms."""
    a, b = pivot[col], row[col]
    out: dict[int, int] = {}
    for k in row.keys() | pivot.keys():
        x = row.get(k, 0) * a - pivot.get(k, 0) * b
        if x:
            out[k] = x
    divisor = math.gcd(*out.values()) if out else 1
    return {k: x // divisor for k, x in out.items()} if divisor > 1 else out
