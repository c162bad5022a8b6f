"""Perturbation of the counts outsiders read, for coalitions that want more than suppression.

A coalition chooses one method (``models.Coalition.perturbation``); it applies to the value of
every **count** cell (a unit of ``primary.COUNT_UNITS``) shown to a principal outside the
owning coalition, on every read path, after suppression (a withheld cell stays withheld).
Insiders read exact values. Rates, means and sample sizes stay exact: the protection interval
of a rate already comes from its n, and noise on a rate has no unbiased rule that keeps it in
range and consistent with its n.

- ``CELL_KEY``: the cell-key method of the Australian Bureau of Statistics (TableBuilder) and
  the UK Office for National Statistics (Census 2021 tables). Each cell gets a fixed key in
  [0, 1): SHA-256 of the coalition's secret (``perturbation_key``, random, never shown) and the
  cell's identity (indicator, area, period, unit and every dimension), so the same cell in
  another dataset, version or path gets the same key. The noise is read from the published
  perturbation table ``PTABLE`` at (true value, cell key): the same cell always gets the same
  noise, averaging repeated reads gains nothing, the noise is unbiased (mean 0 on every row),
  at most ``MAX_NOISE`` either way, never negative output, and a count from 1 to 4 is never
  shown exact (its row has no 0).
- ``ROUND_3``/``ROUND_5``: unbiased random rounding to a multiple of the base, decided by the
  same cell key (a residue r rounds up with probability r / base), so the same cell always
  rounds the same way. Error under the base; totals are rounded on their own (not additive).

What an attacker learns from a shown perturbed count is an interval (``known_interval``); the
audit (``audit.audit``) uses those intervals instead of exact values.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.disclosure.primary import normal_unit_sql
from lnob_api.models.enums import Perturbation

# The published perturbation table: for each true count (row; the last row serves every larger
# count), the noise values and their probabilities. The cell key picks the noise: the first
# entry whose cumulative probability exceeds it.
PTABLE: dict[int, tuple[tuple[int, float], ...]] = {
    0: ((0, 1.0),),
    1: ((-1, 0.5), (1, 0.5)),
    2: ((-2, 0.1), (-1, 0.4), (1, 0.4), (2, 0.1)),
    3: ((-2, 0.1), (-1, 0.4), (1, 0.4), (2, 0.1)),
    4: ((-2, 0.1), (-1, 0.4), (1, 0.4), (2, 0.1)),
    5: ((-2, 0.05), (-1, 0.2), (0, 0.5), (1, 0.2), (2, 0.05)),
}
TOP_ROW = max(PTABLE)
MAX_NOISE = max(abs(j) for row in PTABLE.values() for j, _ in row)

BASES = {Perturbation.ROUND_3: 3, Perturbation.ROUND_5: 5}

# 2^32: the cell key is the first four bytes of the digest over this.
_KEY_SPACE = 4294967296.0


def max_error(method: Perturbation) -> int:
    """The largest difference between a shown count and the true one (0: exact)."""
    if method is Perturbation.CELL_KEY:
        return MAX_NOISE
    if method in BASES:
        return BASES[method] - 1
    return 0


def ptable_row(value: float) -> int:
    return min(max(round(value), 0), TOP_ROW)


def noise(value: float, key: float) -> int:
    """The cell-key noise for a true count and a cell key in [0, 1)."""
    cumulative = 0.0
    row = PTABLE[ptable_row(value)]
    for j, p in row:
        cumulative += p
        if key < cumulative:
            return j
    return row[-1][0]


def perturb(method: Perturbation, value: float, key: float) -> float:
    """What an outsider reads for a count ``value`` with cell key ``key`` (the reference the
    SQL of ``perturbed_sql`` follows; a test checks that both agree)."""
    if method is Perturbation.CELL_KEY:
        return max(value + noise(value, key), 0.0)
    if method in BASES:
        base = BASES[method]
        low = base * (value // base)
        return low + (base if key < (value - low) / base else 0)
    return value


def known_interval(
    method: Perturbation, shown: float, threshold: int, *, integral: bool = True
) -> tuple[float, float] | None:
    """The interval an attacker who knows the method, the ptable and the threshold can put the
    true count in, from its shown (perturbed) value; None when the value is exact.

    Shown cells are not small: a true count is 0 or at least ``threshold``; a true 0 is shown
    as 0 by every method, so a shown positive value has a true count of at least the threshold.
    Non-integral counts (weighted estimates) round by up to the whole base."""
    error = float(max_error(method))
    if error == 0:
        return None
    if method in BASES and not integral:
        error = float(BASES[method])
    if shown <= 0:
        high = error if threshold <= error else 0.0
        return 0.0, high
    return max(shown - error, float(threshold), 0.0), shown + error


# --- SQL ------------------------------------------------------------------------------------


def _fixed(value: float | str) -> Any:
    """A constant of this module written into the statement rather than bound: a generic plan
    then holds no parameter for it, and every read of outsiders' observations carries this
    expression (``observation.repository``), several times over in a windowed page."""
    if isinstance(value, str):
        assert re.fullmatch(r"[A-Za-z0-9_|]*", value), value  # codes only, never input
        return sa.literal_column(f"'{value}'", sa.String)
    if isinstance(value, float):
        return sa.literal_column(f"{value!r}::float8", sa.Float)
    return sa.literal_column(str(int(value)), sa.Integer)


def cell_key_sql(secret: ColumnElement[Any], parts: Sequence[ColumnElement[Any]]) -> Any:
    """The cell key in [0, 1): the first 4 bytes of SHA-256(secret | identity parts), read as
    an unsigned integer. ``perturbed_sql`` writes it twice (once per kind of method): each
    copy is an expression PostgreSQL prepares on every execution of the statement."""
    empty = _fixed("")
    text = sa.func.concat_ws(
        _fixed("|"), secret, *(sa.func.coalesce(sa.cast(p, sa.Text), empty) for p in parts)
    )
    digest = sa.func.sha256(sa.func.convert_to(text, _fixed("UTF8")))
    hex_word = _fixed("x") + sa.func.encode(
        sa.func.substring(digest, _fixed(1), _fixed(4)), _fixed("hex")
    )
    word = sa.cast(sa.cast(hex_word, pg.BIT(32)), sa.BigInteger)
    return word / _fixed(_KEY_SPACE)


def _array(values: Sequence[float], item: Any, cast: str) -> Any:
    text = ",".join(repr(v) for v in values)
    return sa.type_coerce(sa.literal_column(f"(ARRAY[{text}]::{cast}[])"), pg.ARRAY(item))


def _flat_ptable() -> tuple[list[float], list[int]]:
    """The ptable as one sorted list of thresholds and the noise of each bucket between them:
    row r's entries split [r, r + 1) at r plus their cumulative probabilities, so that
    ``row + key`` falls in the bucket of its row's entry (the key is a multiple of 2^-32
    below 1 and the row at most ``TOP_ROW``: the sum is exact)."""
    thresholds: list[float] = []
    noises: list[int] = []
    for row, entries in sorted(PTABLE.items()):
        if row:
            thresholds.append(float(row))
        bounds = itertools.accumulate(p for _, p in entries[:-1])
        thresholds += [row + round(b, 12) for b in bounds]
        noises += [j for j, _ in entries]
    return thresholds, noises


_THRESHOLDS, _NOISES = _flat_ptable()


def _noise_sql(value: ColumnElement[float], key: Any) -> Any:
    """The ptable's noise for (value, key): one ``width_bucket`` over every row's thresholds
    (``_flat_ptable``), so the key (a digest) is written, and computed, once."""
    row = sa.func.least(sa.func.greatest(sa.func.round(value), _fixed(0)), _fixed(TOP_ROW))
    where = sa.func.width_bucket(row + key, _array(_THRESHOLDS, sa.Float, "float8")) + _fixed(1)
    return _array(_NOISES, sa.Integer, "int")[where]


def perturbed_sql(method: ColumnElement[str], value: ColumnElement[float], key: Any) -> Any:
    """``perturb`` in SQL: the value as outsiders read it under the coalition's ``method``.
    The rounding methods share one branch (their base by method), so the key appears twice."""
    rounded = [_fixed(m.value) for m in BASES]
    base = sa.case(*((method == _fixed(m.value), _fixed(b)) for m, b in BASES.items()))
    low = base * sa.func.floor(value / base)
    up = sa.case((key < (value - low) / base, base), else_=_fixed(0))
    cell_key = sa.func.greatest(value + _noise_sql(value, key), _fixed(0.0))
    return sa.type_coerce(
        sa.case(
            (method == _fixed(Perturbation.CELL_KEY.value), cell_key),
            (method.in_(rounded), low + up),
            else_=value,
        ),
        sa.Float,
    )


def observation_cell_key(observations: sa.FromClause, coalitions: sa.FromClause) -> Any:
    """The cell key of observation rows (joined to their coalition): the same for the same
    population in any dataset or version of the coalition."""
    parts = [
        observations.c.indicator_id,
        observations.c.target_code,
        observations.c.area_code,
        observations.c.period,
        normal_unit_sql(observations.c.unit),
        observations.c.sex,
        observations.c.age,
        observations.c.disability_status,
        observations.c.urbanisation,
        observations.c.group_code,
        observations.c.dimensions,
    ]
    return cell_key_sql(coalitions.c.perturbation_key, parts)


def observation_perturbed(observations: sa.FromClause, coalitions: sa.FromClause) -> Any:
    """The value of observation rows as outsiders read them when their coalition perturbs (the
    value itself under NONE); the caller decides who gets it and for which units."""
    return perturbed_sql(
        coalitions.c.perturbation,
        observations.c.value,
        observation_cell_key(observations, coalitions),
    )
