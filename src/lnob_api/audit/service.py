"""Recording audit events in the same transaction as the change they describe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.audit import repository
from lnob_api.auth.principal import Principal
from lnob_api.db.request import RequestDb


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is writing, and the request they write in (for the audit log)."""

    principal: Principal
    request_id: str | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def snapshot(
    obj: Any, *, exclude: tuple[str, ...] = ("password_hash", "secret_hash")
) -> dict[str, Any]:
    """The column values of an ORM object, JSON-ready, secrets left out."""
    table = obj.__table__
    return {
        c.name: _plain(getattr(obj, c.key))
        for c in table.columns
        if c.name not in exclude and c.key in obj.__dict__
    }


async def record(
    session: AsyncSession,
    principal: Principal,
    *,
    action: str,
    entity_type: str,
    entity_id: object,
    coalition_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_id: str | None,
) -> None:
    """Append one audit event; it commits or rolls back with the change itself."""
    await repository.insert(
        session,
        {
            "user_id": principal.user_id,
            "client_id": principal.client_id,
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "coalition_id": coalition_id,
            "before": json.loads(json.dumps(_plain(before))) if before is not None else None,
            "after": json.loads(json.dumps(_plain(after))) if after is not None else None,
            "request_id": request_id,
        },
    )


async def coalition_ids(db: RequestDb, principal: Principal, code: str | None) -> list[int] | None:
    """The ``coalition_ids`` condition of an audit-log read that names a coalition by country
    code: its id if the principal sees it, else none (every event filtered out); no condition
    (None) without a code."""
    if code is None:
        return None
    return await repository.visible_coalition_ids(db, principal, code)
