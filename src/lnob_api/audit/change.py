"""The one audit call services make for a change to a row (the per-domain wrappers are gone)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.audit import service
from lnob_api.audit.service import Actor

_SNAPSHOT: Any = object()


async def record_change(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: Any,
    before: dict[str, Any] | None,
    *,
    after: dict[str, Any] | None = _SNAPSHOT,
    coalition_id: int | None = _SNAPSHOT,
) -> None:
    """Flush, then append the audit event of ``action`` on the ORM row ``entity``, in the same
    transaction as the change. The event names the row by its class and primary key and belongs to
    its ``coalition_id`` (none for a row outside coalitions; a coalition passes its own id);
    ``after`` defaults to the row's
    columns now (secrets left out), None for a row that is gone."""
    await session.flush()
    key = sa.inspect(entity).mapper.primary_key_from_instance(entity)
    await service.record(
        session,
        actor.principal,
        action=action,
        entity_type=type(entity).__name__,
        entity_id=":".join(str(v) for v in key),
        coalition_id=(
            getattr(entity, "coalition_id", None) if coalition_id is _SNAPSHOT else coalition_id
        ),
        before=before,
        after=service.snapshot(entity) if after is _SNAPSHOT else after,
        request_id=actor.request_id,
    )
