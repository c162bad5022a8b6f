"""audit.change.record_state: the audit event of a change described by plain records (the call
that replaces the per-domain ``_audit`` wrappers), in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api import models
from lnob_api.audit.change import record_state
from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Principal


@dataclass(frozen=True)
class GrantLike:
    id: int
    reach: str


async def test_dataclass_states_are_recorded_field_by_field(conn: AsyncConnection) -> None:
    session = AsyncSession(bind=conn)
    actor = Actor(Principal(client_id="pipeline-test"), request_id="req-1")
    await record_state(
        session,
        actor,
        "grant.revoke",
        entity_type="GrantLike",
        entity_id=7,
        coalition_id=None,
        before=GrantLike(7, "FULL"),
        after={"id": 7, "reach": None},
    )
    await session.flush()
    row = (
        await conn.execute(
            sa.select(models.AuditEvent).where(models.AuditEvent.entity_type == "GrantLike")
        )
    ).one()
    assert (row.action, row.entity_id, row.client_id, row.request_id) == (
        "grant.revoke",
        "7",
        "pipeline-test",
        "req-1",
    )
    assert row.before == {"id": 7, "reach": "FULL"}
    assert row.after == {"id": 7, "reach": None}


async def test_a_state_that_is_neither_is_refused(conn: AsyncConnection) -> None:
    session = AsyncSession(bind=conn)
    with pytest.raises(TypeError, match="dict or a dataclass"):
        await record_state(
            session,
            Actor(Principal(client_id="pipeline-test")),
            "x.y",
            entity_type="Thing",
            entity_id=1,
            coalition_id=None,
            before=None,
            after=[1, 2],
        )
