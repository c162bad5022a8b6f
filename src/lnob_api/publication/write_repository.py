"""Publication writes: row locks (through visibility), slugs and links."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal

publications = models.Publication.__table__
coalitions = models.Coalition.__table__
datasets = models.Dataset.__table__
coalition_links = models.PublicationCoalition.__table__
target_links = models.PublicationTarget.__table__
dataset_links = models.PublicationDataset.__table__


async def lock(
    session: AsyncSession, principal: Principal, publication_id: int
) -> models.Publication | None:
    """The publication if the principal may see it, its row locked for the transaction."""
    result = await session.execute(
        sa.select(models.Publication)
        .where(models.Publication.id == publication_id, visibility.publication_visible(principal))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return bool(await session.scalar(sa.select(sa.exists().where(publications.c.slug == slug))))


async def coalition_ids_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, int]:
    rows = await session.execute(
        sa.select(coalitions.c.code, coalitions.c.id).where(coalitions.c.code.in_(list(codes)))
    )
    return {r.code: int(r.id) for r in rows}


async def visible_dataset_ids(
    session: AsyncSession, principal: Principal, ids: Iterable[int]
) -> set[int]:
    """Those of ``ids`` that are datasets the principal may see."""
    found = await session.scalars(
        sa.select(datasets.c.id).where(
            datasets.c.id.in_(list(ids)), visibility.dataset_visible(principal)
        )
    )
    return {int(i) for i in found}


async def replace_links(
    session: AsyncSession,
    publication_id: int,
    *,
    coalition_ids: list[int] | None,
    target_codes: list[str] | None,
    dataset_ids: list[int] | None,
) -> None:
    for table, column, values in (
        (coalition_links, "coalition_id", coalition_ids),
        (target_links, "target_code", target_codes),
        (dataset_links, "dataset_id", dataset_ids),
    ):
        if values is None:
            continue
        await session.execute(sa.delete(table).where(table.c.publication_id == publication_id))
        if values:
            await session.execute(
                sa.insert(table), [{"publication_id": publication_id, column: v} for v in values]
            )
