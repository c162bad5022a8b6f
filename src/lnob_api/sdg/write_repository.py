"""SDG writes: target lookups and coalitions' custom indicators."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.db.rows import lock_by_id
from lnob_api.models.tables import indicators
from lnob_api.models.tables import sdg_targets as targets


async def existing_targets(session: AsyncSession, codes: Iterable[str]) -> set[str]:
    """Those of ``codes`` that are SDG target codes."""
    found = await session.scalars(sa.select(targets.c.code).where(targets.c.code.in_(list(codes))))
    return set(found)


async def lock_indicator(session: AsyncSession, indicator_id: int) -> models.Indicator | None:
    return await lock_by_id(session, models.Indicator, indicator_id)


async def last_custom_number(session: AsyncSession, country_code: str) -> int:
    """The highest NNNN of the ``<CC>-C-NNNN`` codes in use (0 when there is none)."""
    found = await session.scalar(
        sa.select(sa.func.max(indicators.c.code)).where(
            indicators.c.code.like(f"{country_code}-C-%")
        )
    )
    return int(str(found).rsplit("-", 1)[1]) if found is not None else 0
