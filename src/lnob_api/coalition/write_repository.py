"""Coalition writes: lookups and row locks for coalitions and their member organisations."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api import models
from lnob_api.db.rows import lock_by_id, lock_one
from lnob_api.domain_kit.sql import exists, taken
from lnob_api.models.tables import areas, coalitions


async def coalition_id_by_code(session: AsyncSession, code: str) -> int | None:
    found = await session.scalar(
        sa.select(coalitions.c.id).where(coalitions.c.code == code.strip().upper())
    )
    return int(found) if found is not None else None


async def coalition_ids_by_code(
    db: AsyncSession | AsyncConnection, codes: Iterable[str]
) -> dict[str, int]:
    """The ids of the coalitions with these country codes (unknown codes are left out)."""
    rows = await db.execute(
        sa.select(coalitions.c.code, coalitions.c.id).where(coalitions.c.code.in_(list(codes)))
    )
    return {r.code: int(r.id) for r in rows}


async def country_exists(session: AsyncSession, code: str) -> bool:
    """True when ``code`` is an ISO 3166-1 country in the area reference data."""
    return await exists(session, areas.c.code == code, areas.c.level == "COUNTRY")


code_taken = taken(coalitions.c.code)
slug_taken = taken(coalitions.c.slug)


async def lock(session: AsyncSession, coalition_id: int) -> models.Coalition | None:
    """The coalition, its row locked for the rest of the transaction (this also serialises
    changes to its members and roles)."""
    return await lock_by_id(session, models.Coalition, coalition_id)


async def membership(
    session: AsyncSession, coalition_id: int, organisation_id: int
) -> models.CoalitionMember | None:
    return await lock_one(
        session,
        models.CoalitionMember,
        models.CoalitionMember.coalition_id == coalition_id,
        models.CoalitionMember.organisation_id == organisation_id,
    )
