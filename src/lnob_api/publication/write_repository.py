"""Publication writes: row locks (through visibility), slugs and links."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.db.rows import lock_one
from lnob_api.domain_kit.sql import exists, replace_link_rows
from lnob_api.models.tables import datasets, publications
from lnob_api.models.tables import publication_coalitions as coalition_links
from lnob_api.models.tables import publication_datasets as dataset_links
from lnob_api.models.tables import publication_targets as target_links


async def lock(
    session: AsyncSession, principal: Principal, publication_id: int
) -> models.Publication | None:
    """The publication if the principal may see it, its row locked for the transaction."""
    return await lock_one(
        session,
        models.Publication,
        models.Publication.id == publication_id,
        visibility.publication_visible(principal),
    )


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return await exists(session, publications.c.slug == slug)


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
    owner = ("publication_id", publication_id)
    await replace_link_rows(session, coalition_links, owner, "coalition_id", coalition_ids)
    await replace_link_rows(session, target_links, owner, "target_code", target_codes)
    await replace_link_rows(session, dataset_links, owner, "dataset_id", dataset_ids)
