"""Project writes: row locks (through visibility), slugs, links, and what depends on a project."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.domain_kit.sql import Links, taken, visible_lock
from lnob_api.models.tables import datasets, projects
from lnob_api.models.tables import marginalised_groups as groups
from lnob_api.models.tables import project_groups as group_links
from lnob_api.models.tables import project_targets as targets

# The project if the principal may see it, its row locked for the rest of the transaction.
lock = visible_lock(models.Project, visibility.project_visible)


slug_taken = taken(projects.c.slug)


async def groups_by_code(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, tuple[int, int | None]]:
    """Code -> (id, owning coalition id or None for the shared vocabulary)."""
    rows = await session.execute(
        sa.select(groups.c.code, groups.c.id, groups.c.coalition_id).where(
            groups.c.code.in_(list(codes))
        )
    )
    return {r.code: (int(r.id), r.coalition_id) for r in rows}


replace_links = Links(
    "project_id", target_codes=(targets, "target_code"), group_ids=(group_links, "group_id")
).replace


async def dataset_count(session: AsyncSession, project_id: int) -> int:
    """Datasets of the project, every version and status counted."""
    found = await session.scalar(
        sa.select(sa.func.count()).where(datasets.c.project_id == project_id)
    )
    return int(found or 0)
