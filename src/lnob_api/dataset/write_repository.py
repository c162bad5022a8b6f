"""Dataset writes: the SQL the dataset service needs beyond ORM adds (lookups, links, copies)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.domain_kit.sql import Links, exists
from lnob_api.models.enums import PRE_RELEASE
from lnob_api.models.tables import consents, datasets, observations
from lnob_api.models.tables import dataset_groups as group_links
from lnob_api.models.tables import dataset_indicators as links


async def project_coalition(session: AsyncSession, project_id: int) -> int | None:
    found = await session.scalar(
        sa.select(models.Project.coalition_id).where(models.Project.id == project_id)
    )
    return int(found) if found is not None else None


async def area_exists(session: AsyncSession, code: str) -> bool:
    return await exists(session, models.Area.code == code.upper())


async def indicators_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, Any]:
    rows = await session.execute(
        sa.select(models.Indicator.code, models.Indicator.id, models.Indicator.coalition_id).where(
            models.Indicator.code.in_(list(codes))
        )
    )
    return {r.code: r for r in rows}


async def groups_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, int]:
    rows = await session.execute(
        sa.select(models.MarginalisedGroup.code, models.MarginalisedGroup.id).where(
            models.MarginalisedGroup.code.in_(list(codes))
        )
    )
    return {r.code: int(r.id) for r in rows}


async def slug_taken(session: AsyncSession, slug: str, *, lineage_id: int | None = None) -> bool:
    if lineage_id is not None:
        return await exists(session, datasets.c.slug == slug, datasets.c.lineage_id != lineage_id)
    return await exists(session, datasets.c.slug == slug)


async def lock(
    session: AsyncSession, dataset_id: int, principal: Principal | None = None
) -> models.Dataset | None:
    """The dataset row, locked for update for the rest of the transaction; with a
    ``principal``, only when they may see it (a hidden dataset is not found)."""
    stmt = sa.select(models.Dataset).where(models.Dataset.id == dataset_id)
    if principal is not None:
        stmt = stmt.where(visibility.dataset_visible(principal))
    result = await session.execute(
        stmt.with_for_update(of=models.Dataset).execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


replace_links = Links(
    "dataset_id", indicator_ids=(links, "indicator_id"), group_ids=(group_links, "group_id")
).replace


async def link_ids(session: AsyncSession, dataset_id: int) -> tuple[list[int], list[int]]:
    indicator_ids = (
        await session.scalars(
            sa.select(links.c.indicator_id).where(links.c.dataset_id == dataset_id)
        )
    ).all()
    group_ids = (
        await session.scalars(
            sa.select(group_links.c.group_id).where(group_links.c.dataset_id == dataset_id)
        )
    ).all()
    return [int(i) for i in indicator_ids], [int(g) for g in group_ids]


async def copy_observations(session: AsyncSession, source_id: int, target_id: int) -> int:
    """Copy a version's observations into a new version, in the database."""
    columns = [
        c.name
        for c in observations.c
        if c.name not in ("id", "dataset_id", "created_at", "updated_at")
    ]
    select = sa.select(sa.literal(target_id), *[observations.c[c] for c in columns]).where(
        observations.c.dataset_id == source_id
    )
    result = await session.execute(
        sa.insert(observations).from_select(["dataset_id", *columns], select)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def next_version(session: AsyncSession, lineage_id: int) -> int:
    found = await session.scalar(
        sa.select(sa.func.max(datasets.c.version)).where(datasets.c.lineage_id == lineage_id)
    )
    return int(found or 0) + 1


async def open_draft(session: AsyncSession, lineage_id: int) -> int | None:
    """The lineage's unreleased version (draft or community-validated): at most one, by
    ``uq_datasets_open_version``."""
    found = await session.scalar(
        sa.select(datasets.c.id).where(
            datasets.c.lineage_id == lineage_id,
            datasets.c.status.in_([s.value for s in PRE_RELEASE]),
        )
    )
    return int(found) if found is not None else None


async def supersede_published(
    session: AsyncSession, lineage_id: int, *, except_id: int, at: datetime | None = None
) -> list[int]:
    """Mark the lineage's current published version(s) superseded (from ``at``, default now);
    their ids."""
    # now(): the transaction start, which current_version() compares against.
    when = at if at is not None else sa.func.now()
    result = await session.execute(
        sa.update(datasets)
        .where(
            datasets.c.lineage_id == lineage_id,
            datasets.c.id != except_id,
            datasets.c.status == "PUBLISHED",
            datasets.c.superseded_at.is_(None),
        )
        .values(superseded_at=when, updated_at=sa.func.clock_timestamp())
        .returning(datasets.c.id)
    )
    return [int(r) for r in result.scalars()]


async def observation_ids(session: AsyncSession, dataset_id: int) -> list[int]:
    rows = await session.scalars(
        sa.select(observations.c.id).where(observations.c.dataset_id == dataset_id)
    )
    return [int(r) for r in rows]


async def lineage_versions(session: AsyncSession, lineage_id: int) -> list[models.Dataset]:
    rows = await session.scalars(
        sa.select(models.Dataset).where(models.Dataset.lineage_id == lineage_id)
    )
    return list(rows)


async def set_lineage_visibility(
    session: AsyncSession, lineage_id: int, visibility: str, metadata_visibility: str | None
) -> None:
    await session.execute(
        sa.update(datasets)
        .where(datasets.c.lineage_id == lineage_id)
        .values(
            visibility=visibility,
            metadata_visibility=metadata_visibility,
            updated_at=sa.func.clock_timestamp(),
            row_version=datasets.c.row_version + 1,
        )
    )


async def requires_validation(session: AsyncSession, coalition_id: int) -> bool:
    return bool(
        await session.scalar(
            sa.select(models.Coalition.requires_community_validation).where(
                models.Coalition.id == coalition_id
            )
        )
    )


async def organisation_ids_by_slug(session: AsyncSession, slugs: list[str]) -> dict[str, int]:
    if not slugs:
        return {}
    rows = await session.execute(
        sa.select(models.Organisation.slug, models.Organisation.id).where(
            models.Organisation.slug.in_(slugs)
        )
    )
    return {r.slug: int(r.id) for r in rows}


async def lock_consent(
    session: AsyncSession, consent_id: int, principal: Principal
) -> models.Consent | None:
    """The consent, locked, when the principal sees a version of its dataset."""
    seen = sa.exists().where(
        datasets.c.lineage_id == consents.c.lineage_id, visibility.dataset_visible(principal)
    )
    result = await session.execute(
        sa.select(models.Consent)
        .where(models.Consent.id == consent_id, seen)
        .with_for_update(of=models.Consent)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def breakdown_dimensions(session: AsyncSession, dataset_id: int) -> list[str]:
    """The version's breakdown: the free extra dimensions that take two or more values
    among its cells. Any other extra dimension (set on one cell, or one value throughout) is a
    note about the cells carrying it, withheld with a withheld cell's value."""
    each = sa.func.jsonb_each(observations.c.dimensions).table_valued("key", "value").lateral("e")
    keys = (
        sa.select(each.c.key)
        .select_from(observations.join(each, sa.true()))
        .where(observations.c.dataset_id == dataset_id)
        .group_by(each.c.key)
        .having(sa.func.count(sa.distinct(each.c.value)) >= 2)
        .order_by(each.c.key)
    )
    return [str(k) for k in (await session.scalars(keys)).all()]


async def coalition_of(session: AsyncSession, dataset_id: int) -> int | None:
    found = await session.scalar(
        sa.select(models.Dataset.coalition_id).where(models.Dataset.id == dataset_id)
    )
    return int(found) if found is not None else None
