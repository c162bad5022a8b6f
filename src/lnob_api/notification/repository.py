"""Notification SQL: the scoped source, inserts, recipients, marking as read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import requests_visibility
from lnob_api.auth.principal import Principal
from lnob_api.domain_kit.sql import newest_first
from lnob_api.models.enums import CoalitionRole
from lnob_api.models.tables import coalition_user_roles as _roles
from lnob_api.models.tables import notifications
from lnob_api.models.tables import users as _users
from lnob_api.read.relations import ToOne

# Newest first: an inbox.
NOTIFICATIONS = newest_first(
    "Notification", notifications, requests_visibility.notification_visible
)
NOTIFICATION_BY_ID = ToOne(NOTIFICATIONS)


def filters(*, unread_only: bool = False) -> list[ColumnElement[bool]]:
    return [notifications.c.read_at.is_(None)] if unread_only else []


async def insert(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(sa.insert(notifications), list(rows))


async def coalition_admin_ids(session: AsyncSession, coalition_id: int) -> list[int]:
    """Active users holding the ADMIN role in the coalition, by id."""
    stmt = (
        sa.select(_roles.c.user_id)
        .join(_users, _users.c.id == _roles.c.user_id)
        .where(
            _roles.c.coalition_id == coalition_id,
            _roles.c.role == CoalitionRole.ADMIN.value,
            _users.c.is_active,
        )
        .order_by(_roles.c.user_id)
    )
    return [int(v) for v in (await session.execute(stmt)).scalars()]


async def visible_ids(session: AsyncSession, principal: Principal, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are the principal's notifications."""
    stmt = sa.select(notifications.c.id).where(
        notifications.c.id.in_(list(ids)), requests_visibility.notification_visible(principal)
    )
    return {int(v) for v in (await session.execute(stmt)).scalars()}


async def mark_read(session: AsyncSession, ids: Sequence[int], *, now: datetime) -> None:
    """Set ``read_at`` on the unread ones among ``ids`` (a re-read keeps the first time)."""
    await session.execute(
        sa.update(notifications)
        .where(notifications.c.id.in_(list(ids)), notifications.c.read_at.is_(None))
        .values(read_at=now)
    )
