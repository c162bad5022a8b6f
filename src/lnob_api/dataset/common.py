"""Helpers the dataset use cases share: the clock, loading a dataset for a change, the audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit import service as audit
from lnob_api.audit.service import Actor
from lnob_api.dataset import write_repository as repo
from lnob_api.errors import Conflict, NotFound


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    dataset: models.Dataset,
    before: dict[str, Any] | None,
) -> None:
    """Flush, then write the audit event for ``action`` on ``dataset``."""
    await session.flush()
    await audit.record(
        session,
        actor.principal,
        action=action,
        entity_type="Dataset",
        entity_id=dataset.id,
        coalition_id=dataset.coalition_id,
        before=before,
        after=audit.snapshot(dataset),
        request_id=actor.request_id,
    )


async def load(session: AsyncSession, dataset_id: int, row_version: int | None) -> models.Dataset:
    """Lock the dataset for a change; a stale ``row_version`` is a conflict."""
    dataset = await repo.lock(session, dataset_id)
    if dataset is None:
        raise NotFound("no such dataset")
    if row_version is not None and dataset.row_version != row_version:
        raise Conflict(
            f"the dataset changed since you read it (version {row_version}, now "
            f"{dataset.row_version}); reload it and apply your change again"
        )
    return dataset
