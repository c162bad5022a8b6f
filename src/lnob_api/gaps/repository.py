"""SQL of the disaggregation gap report: which disaggregations each coalition's data, and the
official reference values of its country, report for each indicator.

Community data is read through the observations' scoped select (``OBSERVATIONS.scoped``:
``visibility.observation_visible`` and suppression), so only data the caller may read counts,
and a withheld cell counts by its structure alone (what it shows: its built-in dimensions and
its table's breakdown dimensions), never by what it withholds. Official reference values are
public reference data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.auth.principal import Principal
from lnob_api.gaps.model import COLUMNS, EXTRA_KEYS, GROUPS, Disaggregation
from lnob_api.models.observation import TOTAL
from lnob_api.models.tables import areas, coalitions, datasets, indicators, observations
from lnob_api.models.tables import official_values as official
from lnob_api.observation.repository import OBSERVATIONS


@dataclass(slots=True)
class Coverage:
    """How one source (community or official data) reports one disaggregation."""

    cells: int = 0
    shown_cells: int = 0
    areas: int = 0
    datasets: int = 0
    latest: date | None = None
    categories: list[str] = field(default_factory=list)

    @property
    def reported(self) -> bool:
        return self.cells > 0


@dataclass(slots=True)
class Found:
    """One (coalition, indicator) pair with data: its coverage per disaggregation."""

    coalition_id: int
    indicator_id: int
    cells: int
    shown_cells: int
    datasets: int
    groups: list[str]
    by: dict[Disaggregation, Coverage]


def _sources(
    rows: Any, level: ColumnElement[Any], *, extra: bool
) -> dict[Disaggregation, list[tuple[ColumnElement[bool], ColumnElement[Any]]]]:
    """(condition, category) pairs that show each disaggregation in ``rows``."""
    out: dict[Disaggregation, list[tuple[ColumnElement[bool], ColumnElement[Any]]]] = {
        d: [] for d in Disaggregation
    }
    for d, column in COLUMNS.items():
        out[d].append((rows.c[column] != TOTAL, rows.c[column]))
    for d, codes in GROUPS.items():
        out[d].append((rows.c.group_code.in_(codes), sa.literal("GROUP:") + rows.c.group_code))
    if extra:
        for d, keys in EXTRA_KEYS.items():
            for key in keys:
                value = rows.c.dimensions[key].astext
                out[d].append((rows.c.dimensions.has_key(key), sa.literal(f"{key}:") + value))
    out[Disaggregation.SUBNATIONAL].append((level != "COUNTRY", sa.cast(level, sa.String)))
    return out


def _aggregates(
    rows: Any, level: ColumnElement[Any], *, extra: bool, shown: ColumnElement[bool]
) -> list[Any]:
    columns: list[Any] = []
    for d, pairs in _sources(rows, level, extra=extra).items():
        hit = sa.or_(*(cond for cond, _ in pairs))
        name = d.value.lower()
        columns += [
            sa.func.count().filter(hit).label(f"{name}_cells"),
            sa.func.count().filter(sa.and_(hit, shown)).label(f"{name}_shown"),
            sa.func.count(sa.distinct(rows.c.area_code)).filter(hit).label(f"{name}_areas"),
            sa.func.max(rows.c.period_end).filter(hit).label(f"{name}_latest"),
        ]
        if "dataset_id" in rows.c:
            columns.append(
                sa.func.count(sa.distinct(rows.c.dataset_id)).filter(hit).label(f"{name}_datasets")
            )
        categories = [
            sa.func.array_agg(sa.distinct(category)).filter(cond) for cond, category in pairs
        ]
        joined: Any = categories[0]
        for more in categories[1:]:
            joined = sa.func.array_cat(joined, more)
        columns.append(sa.type_coerce(joined, pg.ARRAY(sa.String)).label(f"{name}_categories"))
    return columns


def _coverage(row: Any, d: Disaggregation) -> Coverage:
    name = d.value.lower()
    mapping = row._mapping
    return Coverage(
        cells=int(mapping[f"{name}_cells"]),
        shown_cells=int(mapping[f"{name}_shown"]),
        areas=int(mapping[f"{name}_areas"]),
        datasets=int(mapping.get(f"{name}_datasets") or 0),
        latest=mapping[f"{name}_latest"],
        categories=sorted({c for c in mapping[f"{name}_categories"] or () if c is not None}),
    )


async def community(
    conn: AsyncConnection | AsyncSession,
    principal: Principal,
    *,
    coalition_ids: Sequence[int] | None,
    indicator_ids: Sequence[int] | None,
) -> list[Found]:
    """Coverage of the coalitions' data the principal reads, per (coalition, indicator)."""
    scoped = OBSERVATIONS.scoped(principal).where(observations.c.indicator_id.is_not(None))
    rows = scoped.subquery("o")
    owner = datasets.alias("d")
    area = areas.alias("a")
    filters: list[ColumnElement[bool]] = []
    if coalition_ids is not None:
        filters.append(owner.c.coalition_id.in_(list(coalition_ids)))
    if indicator_ids is not None:
        filters.append(rows.c.indicator_id.in_(list(indicator_ids)))
    groups = sa.func.array_agg(sa.distinct(rows.c.group_code)).filter(rows.c.group_code != TOTAL)
    stmt = (
        sa.select(
            owner.c.coalition_id,
            rows.c.indicator_id,
            sa.func.count().label("cells"),
            sa.func.count().filter(sa.not_(rows.c.suppressed)).label("shown"),
            sa.func.count(sa.distinct(rows.c.dataset_id)).label("datasets"),
            sa.type_coerce(groups, pg.ARRAY(sa.String)).label("groups"),
            *_aggregates(rows, area.c.level, extra=True, shown=sa.not_(rows.c.suppressed)),
        )
        .select_from(
            rows.join(owner, owner.c.id == rows.c.dataset_id).join(
                area, area.c.code == rows.c.area_code
            )
        )
        .where(*filters)
        .group_by(owner.c.coalition_id, rows.c.indicator_id)
    )
    return [
        Found(
            coalition_id=int(row.coalition_id),
            indicator_id=int(row.indicator_id),
            cells=int(row.cells),
            shown_cells=int(row.shown),
            datasets=int(row.datasets),
            groups=sorted(g for g in row.groups or () if g is not None),
            by={d: _coverage(row, d) for d in Disaggregation},
        )
        for row in await conn.execute(stmt)
    ]


async def official_coverage(
    conn: AsyncConnection | AsyncSession, *, countries: Sequence[str], indicator_ids: Sequence[int]
) -> dict[tuple[str, int], dict[Disaggregation, Coverage]]:
    """Coverage of the official reference values, per (country code, indicator id)."""
    if not countries or not indicator_ids:
        return {}
    area = areas.alias("a")
    stmt = (
        sa.select(
            area.c.country_code,
            official.c.indicator_id,
            *_aggregates(official, area.c.level, extra=False, shown=sa.true()),
        )
        .select_from(official.join(area, area.c.code == official.c.area_code))
        .where(
            area.c.country_code.in_(list(countries)),
            official.c.indicator_id.in_(list(indicator_ids)),
        )
        .group_by(area.c.country_code, official.c.indicator_id)
    )
    return {
        (str(row.country_code), int(row.indicator_id)): {
            d: _coverage(row, d) for d in Disaggregation
        }
        for row in await conn.execute(stmt)
    }


async def coalitions_by_code(
    conn: AsyncConnection | AsyncSession, codes: Sequence[str] | None
) -> list[Any]:
    """(id, code, name) of the coalitions with these codes (all, when None), by code."""
    stmt = sa.select(coalitions.c.id, coalitions.c.code, coalitions.c.name).order_by(
        coalitions.c.code
    )
    if codes is not None:
        stmt = stmt.where(coalitions.c.code.in_(list(codes)))
    return list(await conn.execute(stmt))


async def indicators_by(
    conn: AsyncConnection | AsyncSession, *, ids: Sequence[int] = (), codes: Sequence[str] = ()
) -> list[Any]:
    """(id, code, title, sort_key) of indicators by id or code."""
    stmt = (
        sa.select(indicators.c.id, indicators.c.code, indicators.c.title, indicators.c.sort_key)
        .where(sa.or_(indicators.c.id.in_(list(ids)), indicators.c.code.in_(list(codes))))
        .order_by(indicators.c.sort_key)
    )
    return list(await conn.execute(stmt))
