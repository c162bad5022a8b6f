"""Disclosure control use cases: keep the secondary suppression flags right.

Flags are a pure function of a dataset version's observations and its coalition's threshold,
so recomputing is always safe and idempotent. Call ``recompute`` whenever a version's
observations change where outsiders may read them (on publish; by uploads into a version), and
``recompute_coalition`` whenever a coalition's suppression threshold changes. Both write in the
caller's transaction and never commit; with an ``AsyncSession`` pending ORM changes (a new
threshold, say) are flushed first so that the SQL sees them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.disclosure import repository
from lnob_api.disclosure.repository import Executor
from lnob_api.disclosure.secondary import secondary_suppression


@dataclass(frozen=True, slots=True)
class Recomputed:
    """The outcome for one dataset version."""

    dataset_id: int
    flagged: int  # observations secondarily suppressed now
    changed: int  # observations whose flag changed


async def recompute(db: Executor, dataset_id: int) -> Recomputed:
    """Recompute the secondary suppression flags of one dataset version."""
    if isinstance(db, AsyncSession):
        await db.flush()
    flagged = secondary_suppression(await repository.cells(db, dataset_id))
    changed = await repository.write_flags(db, dataset_id, flagged)
    return Recomputed(dataset_id, len(flagged), changed)


async def recompute_coalition(db: Executor, coalition_id: int) -> list[Recomputed]:
    """Recompute the flags of every dataset version of a coalition (after its threshold
    changed), drafts and superseded versions included."""
    if isinstance(db, AsyncSession):
        await db.flush()
    return [
        await recompute(db, dataset_id)
        for dataset_id in await repository.coalition_dataset_ids(db, coalition_id)
    ]
