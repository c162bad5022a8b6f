"""Publication writes: row locks (through visibility), slugs and links."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.domain_kit.sql import Links, taken, visible_lock
from lnob_api.models.tables import datasets, publications
from lnob_api.models.tables import publication_coalitions as coalition_links
from lnob_api.models.tables import publication_datasets as dataset_links
from lnob_api.models.tables import publication_targets as target_links

# The publication if the principal may see it, its row locked for the transaction.
lock = visible_lock(models.Publication, visibility.publication_visible)


slug_taken = taken(publications.c.slug)


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


replace_links = Links(
    "publication_id",
    coalition_ids=(coalition_links, "coalition_id"),
    target_codes=(target_links, "target_code"),
    dataset_ids=(dataset_links, "dataset_id"),
).replace
