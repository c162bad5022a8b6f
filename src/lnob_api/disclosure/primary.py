"""Primary suppression: which cells are too small to show outside the owning coalition.

The rule, written once: ``is_primary`` states it in Python (for the secondary-suppression
algorithm and the audit), ``primary_sql`` states the same rule as a SQL expression (for
``access.visibility.suppressed``, which every read path applies). A test checks that both
agree on every kind of cell.

A cell is *primary* (withheld from everyone outside the owning coalition) when the group of
people its value describes is smaller than the coalition's threshold:

- **Counts** (a unit in ``COUNT_UNITS``: persons, households...): the value *is* the group
  size. A count with ``0 < value < threshold`` is primary, whether or not it has a sample
  size. Zero is an empty cell: nobody to protect, as tau-ARGUS and sdcTable treat empty cells
  by default. A count that also carries a sample size (a weighted survey estimate) is primary
  when that sample size is under the threshold too.
- **Rates, percentages, means and every other unit**: the group size is the cell's own
  sample size, else the dataset's provenance ``sampleSize``; primary when that n is under
  the threshold. A cell with a value and no known n cannot be protected (nothing says how
  many people it describes), so it is primary too; uploads and publishing warn about such
  cells (``unprotectable``).
- A cell without a value (and without a small n) has nothing to withhold.

Units compare in ASCII upper case, and stored units are canonical (``models.units``: one
definition of a count unit for SQL and Python, and for the rule and the algorithms that rely on
the additivity of counts).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.models.units import COUNT_UNITS, ascii_upper, is_count_unit

__all__ = ["COUNT_UNITS", "DEFAULT_THRESHOLD", "is_count_unit", "is_primary", "normal_unit"]

DEFAULT_THRESHOLD = 5


def normal_unit(unit: str | None) -> str:
    """The unit as the rule compares it: ``normal_unit_sql`` in Python."""
    return ascii_upper(unit or "")


def group_size(
    unit: str | None, value: float | None, sample_size: int | None, provenance_n: int | None
) -> float | None:
    """How many people (or households) the cell describes, None when nobody knows."""
    if is_count_unit(unit):
        return value
    return sample_size if sample_size is not None else provenance_n


def is_primary(
    unit: str | None,
    value: float | None,
    sample_size: int | None,
    threshold: int,
    provenance_n: int | None = None,
) -> bool:
    """Whether the cell is primary-suppressed (see the module docstring for the rule)."""
    small_n = sample_size is not None and sample_size < threshold
    if is_count_unit(unit):
        return small_n or (value is not None and 0 < value < threshold)
    n = sample_size if sample_size is not None else provenance_n
    if n is None:
        return value is not None
    return n < threshold


def is_unprotectable(
    unit: str | None, value: float | None, sample_size: int | None, provenance_n: int | None
) -> bool:
    """A rate or mean with a value whose n is unknown: withheld, and worth a warning."""
    return (
        not is_count_unit(unit)
        and value is not None
        and sample_size is None
        and provenance_n is None
    )


def normal_unit_sql(unit: ColumnElement[str]) -> ColumnElement[str]:
    """``normal_unit`` in SQL: ASCII letters only, whatever the database's collation (glibc's
    ``upper`` maps the dotless i to I; ``ascii_upper`` does not). Stored units are canonical
    (``ck_observations_unit_canonical``, NOT NULL), so nothing is trimmed."""
    return sa.func.upper(sa.type_coerce(unit, sa.String).collate("C"))


def count_unit_sql(unit: ColumnElement[str]) -> ColumnElement[bool]:
    """``is_count_unit(unit)`` in SQL. The units are written into the statement (constants,
    never input): as bind parameters, a prepared statement's generic plan built the ``IN``
    list's array again for every row it tested."""
    units = [sa.literal_column(f"'{u}'", sa.String) for u in sorted(COUNT_UNITS)]
    assert all(u.isalpha() and u.isascii() for u in COUNT_UNITS)
    return normal_unit_sql(unit).in_(units)


def primary_sql(
    *,
    unit: ColumnElement[str],
    value: ColumnElement[float | None],
    sample_size: ColumnElement[int | None],
    threshold: ColumnElement[int],
    provenance_n: ColumnElement[int | None],
) -> ColumnElement[bool]:
    """``is_primary`` as a SQL expression over the cell's columns (never NULL: read paths
    negate it and mask with it). A CASE on the unit rather than ``count AND is_count OR other
    AND NOT is_count``: the unit's normalisation (string functions) runs once per row, not
    twice (the masking of every observation read evaluates this)."""
    small_n = sa.and_(sample_size.is_not(None), sample_size < threshold)
    zero = sa.literal_column("0", sa.Integer)  # written, not bound, as count_unit_sql's units
    count = sa.or_(small_n, sa.and_(value.is_not(None), value > zero, value < threshold))
    # ``n < threshold`` is NULL exactly when n is unknown (the threshold never is): then a cell
    # with a value is primary. One COALESCE of n, where ``n IS NULL AND value IS NOT NULL OR n
    # IS NOT NULL AND n < threshold`` wrote (and evaluated) it three times.
    n = sa.func.coalesce(sample_size, provenance_n)
    other = sa.func.coalesce(n < threshold, value.is_not(None))
    return sa.case((count_unit_sql(unit), count), else_=other)


def observation_primary(
    observations: sa.FromClause, dataset: sa.FromClause, coalition: sa.FromClause
) -> ColumnElement[bool]:
    """``primary_sql`` for observation rows joined to their dataset version (its provenance
    ``sample_size``) and coalition (its ``suppression_threshold``)."""
    return primary_sql(
        unit=observations.c.unit,
        value=observations.c.value,
        sample_size=observations.c.sample_size,
        threshold=coalition.c.suppression_threshold,
        provenance_n=dataset.c.sample_size,
    )
