"""Audit events: append-only writes and scoped reads."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.coalition.repository import COALITIONS
from lnob_api.db.request import RequestDb
from lnob_api.declare.conditions import Conditions, at_least, below, equal, member
from lnob_api.declare.more import AUDIT_EVENT
from lnob_api.domain_kit.sql import newest_first
from lnob_api.models.tables import audit_events as events
from lnob_api.models.tables import coalitions
from lnob_api.read.relations import ToOne

AUDIT_EVENTS = newest_first("AuditEvent", events, visibility.audit_event_visible)
AUDIT_EVENT_BY_ID = ToOne(AUDIT_EVENTS)


async def insert(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(events).values(**values))


async def visible_coalition_ids(db: RequestDb, principal: Principal, code: str) -> list[int]:
    """The id of the coalition with this country code if the principal sees it, else none: a
    hidden coalition and an unknown one both filter every event out."""
    row = await db.first(COALITIONS.scoped(principal).where(coalitions.c.code == code.upper()))
    return [row["id"]] if row is not None else []


# The ``auditEvents`` filter (all given conditions must hold): ``since`` included, ``until``
# not.
filters = Conditions(
    coalition_ids=member(events.c.coalition_id),
    entity_type=equal(events.c.entity_type),
    entity_id=equal(events.c.entity_id),
    action=equal(events.c.action),
    since=at_least(events.c.occurred_at),
    until=below(events.c.occurred_at),
    **AUDIT_EVENT.conditions.conditions,
)
