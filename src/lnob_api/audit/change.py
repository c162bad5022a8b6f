"""The audit calls services make: :func:`record_change` for a change to an ORM row,
:func:`record_state` for one described by plain records (a dataclass or a dict), so that no
domain needs a wrapper of its own around ``audit.service.record``."""

from __future__ import annotations

import dataclasses
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


def _state(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"an audit state is a dict or a dataclass record, not {type(value).__name__}")


async def record_state(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    entity_type: str,
    entity_id: object,
    coalition_id: int | None,
    before: object | None,
    after: object | None,
) -> None:
    """Append the audit event of ``action`` on the record ``entity_type``/``entity_id``, in the
    same transaction as the change; ``before`` and ``after`` are its states (a dict, or a
    dataclass record: its fields; None where there is none)."""
    await service.record(
        session,
        actor.principal,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        coalition_id=coalition_id,
        before=_state(before),
        after=_state(after),
        request_id=actor.request_id,
    )
