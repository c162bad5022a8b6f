"""Audit events: append-only writes and scoped reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.coalition.repository import COALITIONS
from lnob_api.db.request import RequestDb
from lnob_api.models.tables import audit_events as events
from lnob_api.models.tables import coalitions
from lnob_api.read.relations import Source, ToOne, order_by, scoped_by

AUDIT_EVENTS = Source(
    "AuditEvent",
    events,
    scoped_by(events, visibility.audit_event_visible),
    order_by(events, "id", descending=frozenset({"id"})),
)
AUDIT_EVENT_BY_ID = ToOne(AUDIT_EVENTS)


async def insert(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(events).values(**values))


async def visible_coalition_ids(db: RequestDb, principal: Principal, code: str) -> list[int]:
    """The id of the coalition with this country code if the principal sees it, else none: a
    hidden coalition and an unknown one both filter every event out."""
    row = await db.first(COALITIONS.scoped(principal).where(coalitions.c.code == code.upper()))
    return [row["id"]] if row is not None else []


def filters(
    *,
    coalition_ids: list[int] | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[Any]] = []
    if coalition_ids is not None:
        where.append(events.c.coalition_id.in_(coalition_ids))
    if entity_type is not None:
        where.append(events.c.entity_type == entity_type)
    if entity_id is not None:
        where.append(events.c.entity_id == entity_id)
    if action is not None:
        where.append(events.c.action == action)
    if since is not None:
        where.append(events.c.occurred_at >= since)
    if until is not None:
        where.append(events.c.occurred_at < until)
    return where
