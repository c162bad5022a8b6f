"""Area writes: lookups and row locks for coalitions' local areas."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.domain_kit.sql import taken
from lnob_api.models.tables import areas


async def area(session: AsyncSession, code: str, *, lock: bool = False) -> models.Area | None:
    """The area with this code (``lock``: its row locked for the rest of the transaction)."""
    stmt = sa.select(models.Area).where(models.Area.code == code)
    if lock:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


code_taken = taken(areas.c.code)
