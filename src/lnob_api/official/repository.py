"""Official reference values: a public source, filters, the side-by-side comparison, writes.

Official values are public reference data (like areas and the SDG framework): no visibility
predicate. The comparison reads community values only through the observations' scoped source
(``observation.repository.OBSERVATIONS``), so visibility and small-cell suppression hold there
exactly as on every other path: a withheld value is NULL, and so is its gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.auth.principal import Principal
from lnob_api.db.request import RequestDb, Row
from lnob_api.declare.conditions import Condition, Conditions, equal
from lnob_api.declare.official import OFFICIAL_VALUE
from lnob_api.models.tables import areas, coalitions, indicators, observations, official_values
from lnob_api.models.tables import sdg_targets as targets
from lnob_api.observation import repository as observation_repo
from lnob_api.observation.periods import period_bounds
from lnob_api.read.relations import Source, ToOne, order_by

DIMENSIONS = ("sex", "age", "disability_status", "urbanisation", "group_code")
# The comparison answers in one list; past this many rows, ask for narrower areas or periods.
MAX_COMPARISON_ROWS = 10_000


def _scoped(_principal: Principal) -> sa.Select[Any]:
    """Every official value (public), with the code of its indicator or target."""
    code = sa.func.coalesce(indicators.c.code, official_values.c.target_code)
    return sa.select(official_values, code.label("indicator_code")).select_from(
        official_values.outerjoin(indicators, indicators.c.id == official_values.c.indicator_id)
    )


OFFICIAL_VALUES = Source("OfficialValue", official_values, _scoped, order_by(official_values, "id"))
OFFICIAL_VALUE_BY_ID = ToOne(OFFICIAL_VALUES)


def _in_area(column: ColumnElement[Any], codes: Sequence[str]) -> ColumnElement[bool]:
    """``column`` is one of ``codes`` or an area below one of them."""
    wanted = [c.strip().upper() for c in codes]
    return column.in_(
        sa.select(areas.c.code).where(
            sa.or_(areas.c.code.in_(wanted), areas.c.ancestors.overlap(wanted))
        )
    )


def _measured(indicator_code: str) -> ColumnElement[bool]:
    """Values of the indicator with this code, or of the SDG target with this code."""
    code = indicator_code.strip()
    return sa.or_(
        official_values.c.target_code == code.lower(),
        official_values.c.indicator_id.in_(
            sa.select(indicators.c.id).where(indicators.c.code == code)
        ),
    )


def _periods(table: sa.Table) -> dict[str, Condition]:
    """Rows of ``table`` starting on or after ``period_from``'s start and ending on or before
    ``period_to``'s end (SDMX periods, as for observations)."""
    return {
        "period_from": lambda period: (
            table.c.period_start >= _edge(period, "periodFrom", end=False)
        ),
        "period_to": lambda p: table.c.period_end <= _edge(p, "periodTo", end=True),
    }


# The ``officialValues`` filter (all given conditions must hold).
filters = Conditions(
    indicator_code=_measured,
    area_codes=lambda codes: _in_area(official_values.c.area_code, codes),
    **_periods(official_values),
    source=equal(official_values.c.source_name, str.strip),
    **OFFICIAL_VALUE.conditions.conditions,
)
_COMMUNITY_PERIODS = Conditions(**_periods(observations))


def _edge(period: str, field: str, *, end: bool) -> Any:
    from lnob_api.errors import InvalidInput

    try:
        start, last = period_bounds(period.strip())
    except InvalidInput as exc:
        raise InvalidInput(field, exc.message.partition(": ")[2], code=exc.reason) from None
    return last if end else start


async def measure_of(db: RequestDb, code: str) -> tuple[str, Any] | None:
    """("indicator", id) or ("target", code) for an indicator or SDG target code."""
    found = await db.scalar(sa.select(indicators.c.id).where(indicators.c.code == code.strip()))
    if found is not None:
        return "indicator", int(found)
    target = code.strip().lower()
    if await db.scalar(sa.select(sa.exists().where(targets.c.code == target))):
        return "target", target
    return None


def _community(
    principal: Principal,
    measure: tuple[str, Any],
    areas_: Sequence[str] | None,
    period_from: str | None,
    period_to: str | None,
) -> sa.Subquery:
    """The principal's view of observations for the measure (suppressed values are NULL)."""
    kind, key = measure
    scoped = observation_repo.OBSERVATIONS.scoped(principal)
    if kind == "indicator":
        scoped = scoped.where(observations.c.indicator_id == key)
    else:
        column = observations.c.get("target_code")
        scoped = scoped.where(column == key if column is not None else sa.false())
    where = observation_repo.filters(area_codes=list(areas_) if areas_ is not None else None)
    where += _COMMUNITY_PERIODS(period_from=period_from, period_to=period_to)
    # Observations with free extra dimensions have no official counterpart: kept, unmatched.
    plain = (observations.c.dimensions == sa.cast(sa.literal("{}"), pg.JSONB)).label("plain")
    return scoped.where(*where).add_columns(plain).subquery("community")


def _official(
    measure: tuple[str, Any],
    areas_: Sequence[str] | None,
    period_from: str | None,
    period_to: str | None,
) -> sa.Subquery:
    kind, key = measure
    column = (
        official_values.c.indicator_id if kind == "indicator" else official_values.c.target_code
    )
    where = filters(area_codes=areas_, period_from=period_from, period_to=period_to)
    return (
        sa.select(official_values, sa.true().label("plain"))
        .where(column == key, *where)
        .subquery("official")
    )


async def comparison(
    db: RequestDb,
    principal: Principal,
    *,
    measure: tuple[str, Any],
    area_codes: Sequence[str] | None,
    period_from: str | None,
    period_to: str | None,
    limit: int = MAX_COMPARISON_ROWS,
) -> Sequence[Row]:
    """Community and official values for the same area, period and dimensions, side by side
    (a full outer join: either side may be missing), with ``gap`` = community - official, NULL
    when either value is missing or withheld, or when their units differ."""
    c = _community(principal, measure, area_codes, period_from, period_to)
    o = _official(measure, area_codes, period_from, period_to)
    keys = ("area_code", "period", *DIMENSIONS, "plain")
    on = sa.and_(*(c.c[k] == o.c[k] for k in keys))
    both = {
        k: sa.func.coalesce(c.c[k], o.c[k]).label(k)
        for k in ("area_code", "period", "period_start", *DIMENSIONS)
    }
    units_differ = sa.and_(
        c.c.unit != "", o.c.unit != "", sa.func.lower(c.c.unit) != sa.func.lower(o.c.unit)
    )
    stmt = (
        sa.select(
            *both.values(),
            c.c.id.label("observation_id"),
            c.c.value.label("community_value"),
            sa.func.coalesce(c.c.suppressed, sa.false()).label("suppressed"),
            c.c.unit.label("community_unit"),
            o.c.id.label("official_value_id"),
            o.c.value.label("official_value"),
            o.c.unit.label("official_unit"),
            o.c.source_name.label("official_source"),
            o.c.source_url.label("official_source_url"),
            o.c.retrieved_on.label("official_retrieved_on"),
            sa.case((units_differ, sa.null()), else_=c.c.value - o.c.value).label("gap"),
        )
        .select_from(c.join(o, on, full=True))
        .order_by(
            both["area_code"],
            both["period_start"],
            both["period"],
            *(both[k] for k in DIMENSIONS),
            o.c.source_name.asc().nulls_first(),
            c.c.id.asc().nulls_first(),
        )
        .limit(limit + 1)
    )
    return await db.all(stmt)


# Writes ---------------------------------------------------------------------------------------


async def global_indicators(session: AsyncSession, codes: Sequence[str]) -> dict[str, int]:
    """Ids of global SDG indicators by code (custom indicators have no official values)."""
    rows = await session.execute(
        sa.select(indicators.c.code, indicators.c.id).where(
            indicators.c.code.in_(list(codes)), indicators.c.coalition_id.is_(None)
        )
    )
    return {r.code: int(r.id) for r in rows}


async def area_countries(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    rows = await session.execute(
        sa.select(areas.c.code, areas.c.country_code).where(areas.c.code.in_(list(codes)))
    )
    return {r.code: r.country_code for r in rows}


async def coalition_codes(session: AsyncSession, ids: Sequence[int]) -> list[str]:
    rows = await session.scalars(sa.select(coalitions.c.code).where(coalitions.c.id.in_(list(ids))))
    return list(rows)


async def upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert the rows; a row whose key (measure, area, period, dimensions, source) exists
    replaces that value. Returns (inserted, updated)."""
    inserted = updated = 0
    columns = sorted({name for row in rows for name in row})
    # One multi-row VALUES per batch (every row with the same keys), well under 32767 binds.
    for start in range(0, len(rows), 1000):
        batch = [{c: row.get(c) for c in columns} for row in rows[start : start + 1000]]
        insert = pg.insert(official_values).values(batch)
        stmt: Any = insert.on_conflict_do_update(
            constraint="uq_official_values_key",
            set_={
                "value": insert.excluded.value,
                "unit": insert.excluded.unit,
                "source_url": insert.excluded.source_url,
                "retrieved_on": insert.excluded.retrieved_on,
                "note": insert.excluded.note,
                "updated_at": sa.func.now(),
            },
        ).returning(sa.literal_column("xmax = 0").label("inserted"))
        for (new,) in await session.execute(stmt):
            if new:
                inserted += 1
            else:
                updated += 1
    return inserted, updated
