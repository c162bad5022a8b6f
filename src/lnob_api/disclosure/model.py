"""The protection model's vocabulary: cells as an audience reads them, the quantities an attacker
can bound, and the protection interval each sensitive quantity must keep.

Pure (no database). Sizes of groups are what disclosure control protects:

- A **count** cell (a unit that counts people or households) has one quantity, its value.
- A **rate or mean** cell with a known sample size ``n`` has two: ``n`` (the size of the group,
  what makes a cell small) and its **numerator** ``value x n`` (for percentages ``value x n /
  100``, the number of people with the attribute). Sample sizes add up over categories, areas
  and periods, and so do numerators (``total% x n_total = sum of category% x n_cat``), so both
  are linear in what is published; the rate itself is their quotient, not linear, and follows
  once both are pinned. A rate without ``n`` carries no linear relation (and no protection).

Protection levels follow tau-ARGUS: a sensitive quantity ``x`` is protected when the attacker's
interval ``[lo, hi]`` reaches ``lo <= x - LPL`` (or 0, since counts are never negative) and
``hi >= x + UPL``. Group sizes (counts, ``n``) take the coalition's threshold on each side: an
attacker must not tell a group of 3 from an empty one or from one of 8. Numerators are
magnitudes and take a share of their value on each side (``rate_share``, default 10 %), as
tau-ARGUS's p % rule does for magnitude tables.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum

from lnob_api.disclosure.primary import COUNT_UNITS

# Units whose numerator (value x n / 100) is a count bounded by n.
PERCENT_UNITS = frozenset({"PERCENT", "PERCENTAGE", "PCT", "%"})

DEFAULT_RATE_SHARE = 0.10


class Kind(StrEnum):
    VALUE = "VALUE"  # a count cell's value
    SAMPLE_SIZE = "SAMPLE_SIZE"  # a rate's or mean's n
    NUMERATOR = "NUMERATOR"  # value x n (/ 100 for percentages)


@dataclass(frozen=True, slots=True)
class AuditCell:
    """One observation as an audience reads it, with the true numbers the audit knows.

    ``dimensions`` lists the disaggregations that are not the total (``_T`` is left out);
    ``shown`` says whether the audience reads the value and sample size; ``primary`` whether
    the cell is small (sensitive). Cells with negative ids are virtual (e.g. the sample size of
    a dataset's whole population, read from its provenance). ``known`` is the interval the
    audience can put the value in when it reads it perturbed."""

    id: int
    dataset_id: int
    lineage_id: int
    version: int
    indicator: Hashable
    area: str
    period: str
    unit: str
    dimensions: tuple[tuple[str, str], ...]
    value: float | None
    sample_size: int | None
    shown: bool
    primary: bool
    # When the audience reads the value perturbed (``perturbation``): the interval it can put
    # the true value in from what it reads. None: the shown value is exact.
    known: tuple[float, float] | None = None

    @property
    def population(self) -> tuple[Hashable, str, str, str, tuple[tuple[str, str], ...]]:
        """What the cell describes, whatever dataset or version holds it."""
        return (self.indicator, self.area, self.period, self.unit, self.dimensions)


Q = tuple[int, Kind]  # a quantity: (cell id, kind)


def quantities(cell: AuditCell) -> dict[Kind, float]:
    """The cell's linear quantities and their true values."""
    if cell.unit in COUNT_UNITS:  # units are normalised when cells are made
        return {} if cell.value is None else {Kind.VALUE: cell.value}
    if cell.sample_size is None:
        return {}
    out = {Kind.SAMPLE_SIZE: float(cell.sample_size)}
    if cell.value is not None:
        scale = 100.0 if cell.unit in PERCENT_UNITS else 1.0
        out[Kind.NUMERATOR] = cell.value * cell.sample_size / scale
    return out


@dataclass(frozen=True, slots=True)
class Protection:
    """Protection levels: ``threshold`` each side for group sizes, ``rate_share`` of the value
    each side for numerators."""

    threshold: int
    rate_share: float = DEFAULT_RATE_SHARE

    def interval(self, kind: Kind, true: float) -> tuple[float, float]:
        """The interval the attacker's bounds must reach (lower side clipped at 0)."""
        side = self.rate_share * abs(true) if kind is Kind.NUMERATOR else float(self.threshold)
        return max(0.0, true - side), true + side
