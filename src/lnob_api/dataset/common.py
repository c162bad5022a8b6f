"""Helpers the dataset use cases share: the clock, loading a dataset for a change, the audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.service import Actor
from lnob_api.dataset import write_repository as repo
from lnob_api.errors import NotFound, check_version
from lnob_api.models.enums import CoalitionRole


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
    if dataset is None:
        raise NotFound("no such dataset")
    if admin:
        checks.require_coalition_admin(actor.principal, dataset.coalition_id)
    else:
        checks.require_role(actor.principal, dataset.coalition_id, CoalitionRole.EDITOR)
    check_version("dataset", dataset.row_version, row_version)
    return dataset
