"""The linear relations an attacker can write down over the cells one audience reads.

Each relation is ``lower <= sum(coef x quantity) <= upper`` over the quantities of
``model.quantities`` (counts, sample sizes, numerators); every quantity is also >= 0, and a
percentage's numerator is at most its n. The relations assumed, and why a disclosure-control
reviewer would grant an attacker each of them:

- **Breakdowns** (``_T`` against categories): in one dataset version, indicator, area, period
  and unit, the total of a dimension is the sum of its categories (other dimensions equal).
  Counts add up, and so do sample sizes and numerators of rates and means.
- **Area hierarchy**: in one version, a parent area's cell is the sum of the same cell in its
  direct child areas (local areas register under a subdivision, subdivisions under a country).
- **Period hierarchy**: a year is the sum of its halves, quarters, months or ISO weeks; a half of
  its quarters or months; a quarter of its months; a month of its days (flows add up; stocks do
  not, and their relations are dropped by the truth test below).
- **Same population**: cells of one coalition with the same indicator, area, period, unit and
  breakdown describe the same people, whichever dataset or version holds them (the second
  survey that shows 117 of 120; the superseded version that shows the cell the new one
  withholds). The attacker knows they are about equal: the band is the true difference.
- **Share x n**: a percentage with its n gives a count (``rate x n / 100``), equal to the count
  cell of the same key in a count table.
- **Provenance n**: a dataset's recorded sample size is the n of its whole population at its
  area, where the table itself gives none (80 respondents, 76 shown: the rest is 4).

The audit knows the true values, so it keeps only relations that hold: an aggregate that holds
exactly (or within the rounding of rates, 1 %) is an equality; one whose parts fall short of the
total (categories, areas or periods missing) still gives ``total >= parts``, which holds for
non-negative quantities; one whose parts exceed the total (inconsistent data, or stocks over
periods) is dropped, since an attacker relying on it is misled, not informed.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lnob_api.disclosure.model import PERCENT_UNITS, AuditCell, Kind, Q, quantities
from lnob_api.disclosure.primary import COUNT_UNITS

INF = math.inf
_COUNT_TOL = 1e-6
_RATE_TOL = 0.01  # relative: rates are published rounded


@dataclass(frozen=True, slots=True)
class Relation:
    """``lower <= sum(coef x quantity) <= upper``; ``label`` says what it is, for people."""

    terms: tuple[tuple[Q, float], ...]
    lower: float
    upper: float
    label: str


@dataclass(slots=True)
class System:
    """Everything an audience reads, as quantities (true values, shown or not) and relations."""

    truth: dict[Q, float]
    shown: set[Q]
    primary: set[Q]
    cells: dict[int, AuditCell]
    relations: list[Relation]
    keep_all: bool = False
    # Shown quantities the audience reads perturbed: what it knows is an interval, so they are
    # variables within those bounds (not constants) in the attacker's LP.
    fuzz: dict[Q, tuple[float, float]] = field(default_factory=dict)
    # The perturbed quantities that share a relation with a withheld one (``focus``): only
    # these are intervals in the LP. Every other shown quantity counts as known exactly, which
    # credits the attacker with more than it reads (so the audit errs on the safe side) and
    # keeps the LP as small as without perturbation.
    near: set[Q] = field(default_factory=set)

    def hide(self, cell_id: int) -> None:
        """Withhold one more cell (its quantities become variables; call ``focus`` before the
        next LP)."""
        for kind in Kind:
            self.shown.discard((cell_id, kind))
            self.fuzz.pop((cell_id, kind), None)
            self.near.discard((cell_id, kind))

    def constant(self, q: Q) -> bool:
        """Whether the LP takes the quantity as known exactly (shown, and not a perturbed one
        next to a withheld quantity)."""
        return q in self.shown and q not in self.near

    def focus(self) -> None:
        """Recompute ``near`` for the quantities withheld now."""
        if not self.fuzz:
            self.near = set()
            return
        self.near = {
            q
            for rel in self.relations
            if any(t not in self.shown for t, _ in rel.terms)
            for q, _ in rel.terms
            if q in self.fuzz
        }


def build(
    cells: Iterable[AuditCell],
    *,
    parents: Mapping[str, str | None],
    provenance_n: Mapping[int, tuple[str | None, int]] | None = None,
    keep_all: bool = False,
) -> System:
    """The system of one audience. ``parents`` maps area codes to their parent's code;
    ``provenance_n`` maps dataset ids to (dataset area, recorded sample size). With
    ``keep_all``, relations among shown quantities are kept too (for a caller that hides more
    cells in the same system)."""
    real = sorted(cells, key=lambda c: c.id)  # the order of the input must not matter
    virtual = _provenance_cells(real, provenance_n or {})
    everything = real + virtual
    system = System({}, set(), set(), {c.id: c for c in everything}, [], keep_all)
    for cell in everything:
        for kind, true in quantities(cell).items():
            q = (cell.id, kind)
            system.truth[q] = true
            if cell.shown:
                system.shown.add(q)
                if kind is Kind.VALUE and cell.known is not None:
                    system.fuzz[q] = cell.known
            if cell.primary:
                system.primary.add(q)
    add = _Adder(system)
    _breakdowns(everything, add)
    _areas(real, parents, add)
    _periods(real, add)
    _same_population(real, add)
    _share_times_n(real, add)
    _percent_bounds(real, add)
    return system


class _Adder:
    """Adds relations that hold on the true values and involve a withheld quantity."""

    def __init__(self, system: System) -> None:
        self.system = system
        # Perturbed cells are unknowns too: a relation among them can narrow a withheld one.
        self.withheld = {c.id for c in system.cells.values() if not c.shown} | {
            q[0] for q in system.fuzz
        }

    def needed(self, total: int, parts: Sequence[int]) -> bool:
        """Whether a relation over these cells can matter (one of them is withheld)."""
        return self.system.keep_all or total in self.withheld or not self.withheld.isdisjoint(parts)

    def aggregate(
        self, total: int, parts: Sequence[int], label: str, *, partial: bool = False
    ) -> None:
        """``total = sum(parts)`` for every kind the cells share; ``partial``: parts are known to
        be missing, so only ``total >= parts`` can hold."""
        truth = self.system.truth
        for kind in Kind:
            if (total, kind) not in truth:
                continue
            known = [p for p in parts if (p, kind) in truth]
            if not known:
                continue
            terms = ((total, kind), *(((p, kind)) for p in known))
            coefs = (1.0, *([-1.0] * len(known)))
            residual = sum(c * truth[q] for q, c in zip(terms, coefs, strict=True))
            scale = sum(abs(truth[q]) for q in terms)
            tol = (_RATE_TOL if kind is Kind.NUMERATOR else _COUNT_TOL) * max(scale, 1.0)
            short = partial or len(known) < len(parts)
            if abs(residual) <= tol and not short:
                low, high = -abs(residual), abs(residual)
            elif residual >= -tol:
                low, high = min(0.0, residual), INF
            else:
                continue
            self.add(tuple(zip(terms, coefs, strict=True)), low, high, f"{label} ({kind.lower()})")

    def equal(self, a: Q, b: Q, label: str, *, scale_b: float = 1.0) -> None:
        truth = self.system.truth
        if a not in truth or b not in truth:
            return
        diff = truth[a] - scale_b * truth[b]
        self.add(((a, 1.0), (b, -scale_b)), -abs(diff), abs(diff), label)

    def add(self, terms: tuple[tuple[Q, float], ...], low: float, high: float, label: str) -> None:
        if not self.system.keep_all and all(self.system.constant(q) for q, _ in terms):
            return
        self.system.relations.append(Relation(terms, low, high, label))


def _where(cell: AuditCell) -> str:
    return f"{cell.area} {cell.period}"


def _table(cell: AuditCell) -> Hashable:
    return (cell.dataset_id, cell.indicator, cell.area, cell.period, cell.unit)


def _breakdowns(cells: Sequence[AuditCell], add: _Adder) -> None:
    """Within a table, each dimension's total against its categories."""
    by_key: dict[Hashable, int] = {}
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for cell in cells:
        by_key[(_table(cell), cell.dimensions)] = cell.id
        for i, (name, _) in enumerate(cell.dimensions):
            rest = cell.dimensions[:i] + cell.dimensions[i + 1 :]
            groups[(_table(cell), rest, name)].append(cell.id)
    # Cells come sorted by id, so the dicts' insertion order is deterministic.
    for (table, rest, name), parts in groups.items():
        total = by_key.get((table, rest))
        if total is not None and add.needed(total, parts):
            cell = add.system.cells[total]
            add.aggregate(total, parts, f"{name} total = categories, {_where(cell)}")


def _areas(cells: Sequence[AuditCell], parents: Mapping[str, str | None], add: _Adder) -> None:
    """A parent area's cell against its child areas' cells, in one version."""
    by_key: dict[Hashable, int] = {}
    children: dict[Hashable, list[int]] = defaultdict(list)
    for cell in cells:
        rest = (cell.dataset_id, cell.indicator, cell.period, cell.unit, cell.dimensions)
        by_key[(rest, cell.area)] = cell.id
        parent = parents.get(cell.area)
        if parent is not None:
            children[(rest, parent)].append(cell.id)
    for key, parts in children.items():
        total = by_key.get(key)
        if total is not None and add.needed(total, parts):
            cell = add.system.cells[total]
            add.aggregate(total, parts, f"area {cell.area} = its parts, {cell.period}")


_PERIOD = re.compile(
    r"^(?P<y>\d{4})(?:-(?:S(?P<s>[12])|Q(?P<q>[1-4])|W(?P<w>\d{2})|(?P<m>\d{2})(?:-(?P<d>\d{2}))?))?$"
)


def period_parents(period: str) -> list[tuple[str, str]]:
    """(parent period, child level) for each coarser period that ``period`` adds up into."""
    match = _PERIOD.match(period)
    if match is None:
        return []
    year = match["y"]
    if match["s"]:
        return [(year, "S")]
    if match["q"]:
        q = int(match["q"])
        return [(year, "Q"), (f"{year}-S{1 + (q - 1) // 2}", "Q")]
    if match["w"]:
        return [(year, "W")]
    if match["d"]:
        return [(f"{year}-{match['m']}", "D")]
    if match["m"]:
        m = int(match["m"])
        return [
            (year, "M"),
            (f"{year}-S{1 + (m - 1) // 6}", "M"),
            (f"{year}-Q{1 + (m - 1) // 3}", "M"),
        ]
    return []


def _periods(cells: Sequence[AuditCell], add: _Adder) -> None:
    """A period's cell against the cells of each finer level within it, in one version."""
    by_key: dict[Hashable, int] = {}
    children: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for cell in cells:
        rest = (cell.dataset_id, cell.indicator, cell.area, cell.unit, cell.dimensions)
        by_key[(rest, cell.period)] = cell.id
        for parent, level in period_parents(cell.period):
            children[(rest, parent, level)].append(cell.id)
    for (rest, parent, level), parts in children.items():
        total = by_key.get((rest, parent))
        if total is not None and add.needed(total, parts):
            cell = add.system.cells[total]
            add.aggregate(total, parts, f"period {parent} = its {level} parts, {cell.area}")


def _same_population(cells: Sequence[AuditCell], add: _Adder) -> None:
    """Cells of the same population in different datasets or versions are about equal."""
    by_population: dict[Hashable, list[AuditCell]] = defaultdict(list)
    for cell in cells:
        by_population[cell.population].append(cell)
    for group in by_population.values():
        if len(group) < 2:
            continue
        first = group[0]
        for other in group[1:]:
            if not add.needed(first.id, [other.id]):
                continue
            how = "versions" if other.lineage_id == first.lineage_id else "linked datasets"
            label = f"same population in {how}, {_where(first)}"
            for kind in Kind:
                add.equal((other.id, kind), (first.id, kind), label)


def _share_times_n(cells: Sequence[AuditCell], add: _Adder) -> None:
    """A percentage's numerator equals the count of the same key in a count table."""
    if not any(cell.unit in PERCENT_UNITS for cell in cells):
        return
    counts: dict[Hashable, list[int]] = defaultdict(list)
    for cell in cells:
        if cell.unit in COUNT_UNITS:
            counts[(cell.indicator, cell.area, cell.period, cell.dimensions)].append(cell.id)
    for cell in cells:
        if cell.unit not in PERCENT_UNITS:
            continue
        for count_id in counts.get((cell.indicator, cell.area, cell.period, cell.dimensions), []):
            add.equal(
                (cell.id, Kind.NUMERATOR),
                (count_id, Kind.VALUE),
                f"share x n = count, {_where(cell)}",
            )


def _percent_bounds(cells: Sequence[AuditCell], add: _Adder) -> None:
    """A percentage's numerator is at most its n (at most 100 %)."""
    truth = add.system.truth
    for cell in cells:
        num, n = (cell.id, Kind.NUMERATOR), (cell.id, Kind.SAMPLE_SIZE)
        if cell.unit in PERCENT_UNITS and num in truth and n in truth:
            add.add(((num, 1.0), (n, -1.0)), -INF, 0.0, f"share <= 100 %, {_where(cell)}")


def _provenance_cells(
    cells: Sequence[AuditCell], provenance_n: Mapping[int, tuple[str | None, int]]
) -> list[AuditCell]:
    """A shown virtual grand total carrying the dataset's recorded sample size, for each rate
    table at the dataset's area (any area when the dataset names none and has only one) whose
    grand total gives no n."""
    tables: dict[Hashable, list[AuditCell]] = defaultdict(list)
    for cell in cells:
        if cell.dataset_id in provenance_n and cell.unit not in COUNT_UNITS:
            tables[_table(cell)].append(cell)
    virtual: list[AuditCell] = []
    areas_of: dict[int, set[str]] = defaultdict(set)
    for cell in cells:
        areas_of[cell.dataset_id].add(cell.area)
    for members in tables.values():
        first = members[0]
        area, n = provenance_n[first.dataset_id]
        at_area = first.area == area or (area is None and len(areas_of[first.dataset_id]) == 1)
        grand = [c for c in members if not c.dimensions]
        if not at_area or any(c.sample_size is not None for c in grand):
            continue
        virtual.append(
            AuditCell(
                id=-(len(virtual) + 1),
                dataset_id=first.dataset_id,
                lineage_id=first.lineage_id,
                version=first.version,
                indicator=first.indicator,
                area=first.area,
                period=first.period,
                unit=first.unit,
                dimensions=(),
                value=None,
                sample_size=n,
                shown=True,
                primary=False,
            )
        )
    return virtual
