"""SQL of the catalog: released datasets the principal may know of, and what describes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.declare.entities import DATASET, PUBLICATION
from lnob_api.models.enums import DatasetStatus, MemberRole
from lnob_api.models.tables import (
    areas,
    coalitions,
    dataset_indicators,
    datasets,
    indicators,
    observations,
    organisations,
    publication_datasets,
    publications,
)
from lnob_api.models.tables import coalition_members as members
from lnob_api.models.tables import sdg_goals as goals
from lnob_api.models.tables import sdg_targets as targets


async def listed(
    conn: AsyncConnection, principal: Principal, *, slug: str | None = None
) -> list[Any]:
    """Published current datasets whose metadata the principal may see (drafts, retractions
    and superseded versions are not offered), one row per slug (the latest such version), with
    their coalition, area, the lead organisation's website and ``readable``: whether the
    principal may read the data too (else the catalog lists it as restricted)."""
    area = areas.alias("area")
    country = areas.alias("country")
    website = (
        sa.select(organisations.c.website)
        .select_from(members.join(organisations, organisations.c.id == members.c.organisation_id))
        .where(
            members.c.coalition_id == coalitions.c.id,
            members.c.role == MemberRole.LEAD.value,
            organisations.c.website.is_not(None),
        )
        .order_by(organisations.c.id)
        .limit(1)
        .scalar_subquery()
    )
    clauses = [
        visibility.dataset_visible(principal),
        datasets.c.status == DatasetStatus.PUBLISHED.value,
        visibility.current_version(),
    ]
    if slug is not None:
        clauses.append(datasets.c.slug == slug)
    latest = (
        sa.select(
            datasets.c.id,
            datasets.c.slug,
            datasets.c.title,
            datasets.c.description,
            datasets.c.license,
            datasets.c.version,
            datasets.c.visibility,
            datasets.c.published_at,
            datasets.c.updated_at,
            datasets.c.collection_start,
            datasets.c.collection_end,
            *DATASET.columns(DATASET.dcat, datasets),
            visibility.dataset_data_visible(principal).label("readable"),
            coalitions.c.code.label("coalition_code"),
            coalitions.c.name.label("coalition_name"),
            website.label("website"),
            sa.func.coalesce(datasets.c.area_code, coalitions.c.code).label("area_code"),
            sa.func.coalesce(area.c.name, country.c.name).label("area_name"),
            sa.func.coalesce(area.c.level, country.c.level).label("area_level"),
        )
        .select_from(
            datasets.join(coalitions, coalitions.c.id == datasets.c.coalition_id)
            .outerjoin(area, area.c.code == datasets.c.area_code)
            .join(country, country.c.code == coalitions.c.code)
        )
        .add_columns(
            sa.func.row_number()
            .over(partition_by=datasets.c.slug, order_by=datasets.c.version.desc())
            .label("rank")
        )
        .where(*clauses)
        .subquery("latest")
    )
    stmt = sa.select(latest).where(latest.c.rank == 1).order_by(latest.c.id)
    return list((await conn.execute(stmt)).all())


async def indicators_of(conn: AsyncConnection, dataset_ids: Sequence[int]) -> list[Any]:
    """(dataset_id, indicator code and title, goal code and short title)."""
    stmt = (
        sa.select(
            dataset_indicators.c.dataset_id,
            indicators.c.code,
            indicators.c.title,
            goals.c.code.label("goal"),
            goals.c.short_title.label("goal_title"),
        )
        .select_from(
            dataset_indicators.join(
                indicators, indicators.c.id == dataset_indicators.c.indicator_id
            )
            .join(targets, targets.c.code == indicators.c.target_code)
            .join(goals, goals.c.code == targets.c.goal_code)
        )
        .where(dataset_indicators.c.dataset_id.in_(dataset_ids))
        .order_by(dataset_indicators.c.dataset_id, indicators.c.sort_key)
    )
    return list((await conn.execute(stmt)).all())


async def coverage(
    conn: AsyncConnection, principal: Principal, dataset_ids: Sequence[int]
) -> dict[int, tuple[Any, Any]]:
    """First and last day covered by each dataset's readable observations."""
    stmt = (
        sa.select(
            observations.c.dataset_id,
            sa.func.min(observations.c.period_start),
            sa.func.max(observations.c.period_end),
        )
        .where(
            visibility.observation_visible(principal),
            observations.c.dataset_id.in_(dataset_ids),
        )
        .group_by(observations.c.dataset_id)
    )
    return {row[0]: (row[1], row[2]) for row in await conn.execute(stmt)}


async def publications_of(
    conn: AsyncConnection, principal: Principal, dataset_ids: Sequence[int]
) -> list[Any]:
    """(dataset_id, slug, title, published_on and the declared DCAT columns) of the
    publications the principal may see that draw on each dataset (others are not named)."""
    stmt = (
        sa.select(
            publication_datasets.c.dataset_id,
            publications.c.slug,
            publications.c.title,
            publications.c.published_on,
            *PUBLICATION.columns(PUBLICATION.dcat, publications),
        )
        .select_from(
            publication_datasets.join(
                publications, publications.c.id == publication_datasets.c.publication_id
            )
        )
        .where(
            visibility.publication_visible(principal),
            publication_datasets.c.dataset_id.in_(dataset_ids),
        )
        .order_by(publication_datasets.c.dataset_id, publications.c.id)
    )
    return list((await conn.execute(stmt)).all())
