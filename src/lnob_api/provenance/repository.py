"""Provenance SQL: quality criteria (sources, relations, writes), provenance filters over
datasets and observations, and writes to the marginalised-group vocabularies.

An observation's provenance is its own value where set, else its dataset's. Filters say this
in SQL (own value matches, or own value NULL and the dataset's matches) as semi-joins, so
they compose with any scoped SELECT over the observations or datasets table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api import models
from lnob_api.db.rows import lock_by_id
from lnob_api.domain_kit.sql import exists, replace_link_rows, taken
from lnob_api.models.tables import coalitions, datasets, observations
from lnob_api.models.tables import dataset_quality_criteria as dataset_criteria
from lnob_api.models.tables import marginalised_groups as groups
from lnob_api.models.tables import quality_criteria as criteria
from lnob_api.read.relations import Source, Through, ToMany, ToOne, order_by, public

# A coalition's checklist is public metadata, like its marginalised groups.
CRITERIA = Source(
    "QualityCriterion",
    criteria,
    public(criteria),
    order_by(criteria, "coalition_id", "code", "id"),
)
CRITERION_BY_ID = ToOne(CRITERIA)
CRITERIA_BY_COALITION = ToMany(CRITERIA, "coalition_id", order_by(criteria, "code", "id"))
CRITERIA_BY_DATASET = Through(
    CRITERIA, dataset_criteria, "dataset_id", "criterion_id", order=order_by(criteria, "code", "id")
)

# --- filters ------------------------------------------------------------------------------


def meeting_ids(codes: Sequence[str]) -> sa.Select[tuple[int]]:
    """Ids of the datasets meeting every criterion code given: one pass over the dataset's
    criteria grouped by dataset, linear in the number of codes. (One ``IN (subquery)`` per code
    nested the plan and grew steeply: 45 codes took 4 s, 100 over 100 s.)"""
    wanted = sorted({code.strip().upper() for code in codes})
    return (
        sa.select(dataset_criteria.c.dataset_id)
        .join(criteria, criteria.c.id == dataset_criteria.c.criterion_id)
        .where(criteria.c.code == sa.any_(sa.literal(wanted, ARRAY(sa.Text))))
        .group_by(dataset_criteria.c.dataset_id)
        .having(sa.func.count(sa.distinct(criteria.c.code)) == len(wanted))
    )


def _meeting(codes: Sequence[str]) -> list[ColumnElement[bool]]:
    """A dataset must meet every criterion named (no condition without codes)."""
    return [datasets.c.id.in_(meeting_ids(codes))] if codes else []


def _conditions(
    table: sa.Table,
    producer_types: Sequence[str] | None,
    methods: Sequence[str] | None,
    washington_group: bool | None,
) -> dict[str, ColumnElement[bool]]:
    """Conditions on the inheritable columns of ``table``, by column name."""
    found: dict[str, ColumnElement[bool]] = {}
    if producer_types is not None:
        found["producer_type"] = table.c.producer_type.in_(list(producer_types))
    if methods is not None:
        found["method"] = table.c.method.in_(list(methods))
    if washington_group is not None:
        found["washington_group"] = table.c.washington_group.is_(washington_group)
    return found


def dataset_filters(
    *,
    producer_types: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    washington_group: bool | None = None,
    meets_criteria: Sequence[str] | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses over ``datasets``. ``washington_group`` false keeps datasets that say
    they did not use the Short Set, not those that do not say; ``meets_criteria`` keeps
    datasets meeting every criterion code given."""
    where = list(_conditions(datasets, producer_types, methods, washington_group).values())
    return where + _meeting(meets_criteria or [])


def observation_filters(
    *,
    producer_types: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    washington_group: bool | None = None,
    meets_criteria: Sequence[str] | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses over ``observations`` on the effective provenance: the observation's own
    value, or its dataset's where it has none. Quality criteria are the dataset's."""
    where: list[ColumnElement[bool]] = []
    own = _conditions(observations, producer_types, methods, washington_group)
    of_dataset = _conditions(datasets, producer_types, methods, washington_group)
    for column, condition in own.items():
        inherits = sa.and_(
            observations.c[column].is_(None),
            observations.c.dataset_id.in_(sa.select(datasets.c.id).where(of_dataset[column])),
        )
        where.append(sa.or_(condition, inherits))
    if meets_criteria:
        # = ANY(ARRAY(...)): the few dataset ids are found once, as for the other code filters.
        meeting = sa.func.array(meeting_ids(meets_criteria).scalar_subquery())
        where.append(observations.c.dataset_id == sa.any_(meeting))
    return where


def criterion_filters(*, coalition_codes: Sequence[str] | None) -> list[ColumnElement[bool]]:
    if coalition_codes is None:
        return []
    codes = [c.strip().upper() for c in coalition_codes]
    return [
        criteria.c.coalition_id.in_(sa.select(coalitions.c.id).where(coalitions.c.code.in_(codes)))
    ]


def group_filters(*, country: str | None, include_shared: bool) -> list[ColumnElement[bool]]:
    """Groups of one country's vocabulary (plus the shared one with ``include_shared``), or,
    without a country, every group (only coalitions' own without ``include_shared``)."""
    own: ColumnElement[bool] = groups.c.coalition_id.is_not(None)
    if country is not None:
        own = groups.c.coalition_id.in_(
            sa.select(coalitions.c.id).where(coalitions.c.code == country.strip().upper())
        )
    if include_shared:
        return [sa.or_(own, groups.c.coalition_id.is_(None))] if country is not None else []
    return [own]


# --- quality criteria writes -----------------------------------------------------------------


async def lock_criterion(
    session: AsyncSession, criterion_id: int
) -> models.QualityCriterion | None:
    return await lock_by_id(session, models.QualityCriterion, criterion_id)


async def criterion_code_taken(
    session: AsyncSession, coalition_id: int, code: str, *, except_id: int | None = None
) -> bool:
    return await exists(
        session,
        criteria.c.coalition_id == coalition_id,
        criteria.c.code == code,
        criteria.c.id != (except_id or -1),
    )


async def criterion_uses(session: AsyncSession, criterion_id: int) -> int:
    """How many dataset versions claim the criterion."""
    stmt = sa.select(sa.func.count()).where(dataset_criteria.c.criterion_id == criterion_id)
    return int(await session.scalar(stmt) or 0)


async def criteria_by_code(
    session: AsyncSession, coalition_id: int, codes: Iterable[str]
) -> dict[str, int]:
    rows = await session.execute(
        sa.select(criteria.c.code, criteria.c.id).where(
            criteria.c.coalition_id == coalition_id, criteria.c.code.in_(list(codes))
        )
    )
    return {str(code): int(pk) for code, pk in rows}


async def replace_dataset_criteria(
    session: AsyncSession, dataset_id: int, criterion_ids: Sequence[int]
) -> None:
    await replace_link_rows(
        session, dataset_criteria, ("dataset_id", dataset_id), "criterion_id", criterion_ids
    )


async def dataset_criterion_ids(session: AsyncSession, dataset_id: int) -> list[int]:
    rows = await session.scalars(
        sa.select(dataset_criteria.c.criterion_id).where(
            dataset_criteria.c.dataset_id == dataset_id
        )
    )
    return [int(r) for r in rows]


# --- marginalised group writes ---------------------------------------------------------------


async def lock_group(session: AsyncSession, group_id: int) -> models.MarginalisedGroup | None:
    return await lock_by_id(session, models.MarginalisedGroup, group_id)


group_code_taken = taken(groups.c.code)
