"""Notification use cases: tell people about a change, and let them mark messages read.

Notifications go to individual users or machine clients, never to a role: read state is per
person, and a notification is seen by its recipient alone. A message to a coalition's admins
is copied to each user holding the ADMIN role at that moment (partnership admins are not
copied: they oversee every coalition and read the ``accessRequests`` list instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Principal
from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.models import NotificationKind
from lnob_api.notification import repository as repo

MAX_IDS = 100


async def notify(
    session: AsyncSession,
    *,
    kind: NotificationKind,
    message: str,
    user_ids: Sequence[int] = (),
    client_pks: Sequence[int] = (),
    access_request_id: int | None = None,
) -> None:
    """One notification per user and per client named."""
    common = {"kind": kind.value, "message": message, "access_request_id": access_request_id}
    rows = [common | {"recipient_user_id": u} for u in dict.fromkeys(user_ids)]
    rows += [common | {"recipient_client_id": c} for c in dict.fromkeys(client_pks)]
    await repo.insert(session, rows)


async def notify_coalition_admins(
    session: AsyncSession,
    coalition_id: int,
    *,
    kind: NotificationKind,
    message: str,
    access_request_id: int | None = None,
) -> None:
    """Copy a message to every active ADMIN of the coalition."""
    admins = await repo.coalition_admin_ids(session, coalition_id)
    await notify(
        session, kind=kind, message=message, user_ids=admins, access_request_id=access_request_id
    )


async def mark_read(
    session: AsyncSession, principal: Principal, ids: list[int], *, now: datetime | None = None
) -> list[int]:
    """Mark the principal's notifications ``ids`` read; an id that is not theirs is NOT_FOUND
    (indistinguishable from a missing one) and nothing is written."""
    if len(ids) > MAX_IDS:
        raise InvalidInput("ids", f"at most {MAX_IDS} ids at once", code="INVALID")
    mine = await repo.visible_ids(session, principal, ids)
    problems = [
        InvalidInput(f"ids.{i}", "no such notification", code="NOT_FOUND")
        for i, key in enumerate(ids)
        if key not in mine
    ]
    if problems:
        raise ValidationFailed(problems)
    await repo.mark_read(session, ids, now=now or datetime.now(UTC))
    return list(dict.fromkeys(ids))
