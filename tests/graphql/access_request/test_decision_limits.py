"""The decision's note of an access request (a decline's reason, an approval's note) is held to
the limit its declaration gives (``declare.entities.ACCESS_REQUEST``: ``decision_note``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.graphql.access_request.access_world import APPROVE, DECLINE, World, build_world

from lnob_api.access_request.service import APPROVAL_NOTE_MAX
from lnob_api.auth.keys import KeyStore
from lnob_api.declare.entities import ACCESS_REQUEST

REASON_MAX = ACCESS_REQUEST.limits["decision_note"]


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await build_world(client, conn, signing_keys)


def _errors(payload: dict[str, object]) -> list[tuple[object, object]]:
    errors = payload["userErrors"]
    assert isinstance(errors, list)
    return [(e["field"], e["code"]) for e in errors]


class TestDecisionNoteLimits:
    async def test_a_reason_at_the_declared_limit_is_kept(self, world: World) -> None:
        # given
        request = await world.request()
        reason = "r" * REASON_MAX
        # when
        payload = await world.payload(
            DECLINE, "accessRequestDecline", {"id": request["id"], "reason": reason}, "admin"
        )
        # then
        assert _errors(payload) == []
        assert payload["accessRequest"]["decisionNote"] == reason

    async def test_a_reason_over_the_declared_limit_is_refused(self, world: World) -> None:
        # given
        request = await world.request()
        # when
        input = {"id": request["id"], "reason": "r" * (REASON_MAX + 1)}
        payload = await world.payload(DECLINE, "accessRequestDecline", input, "admin")
        # then
        assert _errors(payload) == [(["input", "reason"], "TOO_LONG")]
        assert payload["accessRequest"] is None

    async def test_an_approval_note_over_its_limit_is_refused(self, world: World) -> None:
        # given: the note goes into the grant's note too, so its limit is at most the reason's
        assert APPROVAL_NOTE_MAX <= REASON_MAX
        request = await world.request()
        expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        # when
        input = {"id": request["id"], "expiresAt": expires, "note": "n" * (APPROVAL_NOTE_MAX + 1)}
        payload = await world.payload(APPROVE, "accessRequestApprove", input, "admin")
        # then
        assert _errors(payload) == [(["input", "note"], "TOO_LONG")]
        assert payload["accessRequest"] is None
