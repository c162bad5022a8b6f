"""Helpers the dataset use cases share: the clock and loading a dataset for a change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.dataset import write_repository as repo
from lnob_api.domain_kit import writes


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


async def load(
    session: AsyncSession,
    actor: Actor,
    dataset_id: int,
    row_version: int | None,
    *,
    admin: bool = False,
) -> models.Dataset:
    """Lock the dataset for a change, in this order: a dataset the caller may not see is not
    found (exactly like a missing one), then the role (EDITOR, or coalition ADMIN with
    ``admin``), then a stale ``row_version`` (None: checked later, on the row written) is a
    conflict."""
    dataset = await repo.lock(session, dataset_id, actor.principal)
    return writes.for_change(dataset, "dataset", actor.principal, row_version, admin=admin)


# ``dataset/service.py`` still calls the one audit call by this name.
record = record_change
