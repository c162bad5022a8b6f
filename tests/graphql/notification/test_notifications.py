"""notifications and notificationMarkRead: each step of an access request notifies the people
concerned; a notification is seen, and marked read, by its recipient only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.graphql.access_request.access_world import APPROVE, World, build_world

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

INBOX = """query($unreadOnly: Boolean) { notifications(unreadOnly: $unreadOnly, first: 20) {
  totalCount nodes { id kind message read readAt accessRequest { id status } } } }"""
MARK = """mutation($input: NotificationMarkReadInput!) { notificationMarkRead(input: $input) {
  notifications { id read readAt } userErrors { field code message } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await build_world(client, conn, signing_keys)


async def _inbox(world: World, as_: str | None, unread_only: bool | None = None) -> list[Any]:
    body = await world.call(INBOX, {"unreadOnly": unread_only}, as_)
    assert "errors" not in body, body
    nodes: list[Any] = body["data"]["notifications"]["nodes"]
    return nodes


async def _mark(world: World, ids: list[str], as_: str) -> dict[str, Any]:
    body = await world.call(MARK, {"input": {"ids": ids}}, as_)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["notificationMarkRead"]
    return payload


class TestInbox:
    async def test_a_new_request_reaches_each_admin(self, world: World) -> None:
        # when
        request = await world.request()
        # then
        for admin in ("admin", "admin2"):
            [note] = await _inbox(world, admin)
            assert note["kind"] == "ACCESS_REQUEST_CREATED"
            assert "Asha Rao" in note["message"] and "Disability survey" in note["message"]
            assert note["read"] is False
            assert note["accessRequest"] == {"id": request["id"], "status": "PENDING"}
        for who in ("requester", "editor", "stranger", "boss", "machine"):
            assert await _inbox(world, who) == [], who

    async def test_the_decision_reaches_the_requester(self, world: World) -> None:
        # given
        request = await world.request()
        expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        # when
        await world.call(APPROVE, {"input": {"id": request["id"], "expiresAt": expires}}, "admin")
        # then
        [note] = await _inbox(world, "requester")
        assert note["kind"] == "ACCESS_REQUEST_APPROVED"
        assert "approved" in note["message"]
        assert note["accessRequest"] == {"id": request["id"], "status": "APPROVED"}
        assert await _inbox(world, "colleague") == []

    async def test_a_machine_clients_notifications_are_its_own(self, world: World) -> None:
        # given
        request = await world.request(as_="machine")
        decline = "mutation($i: AccessRequestDeclineInput!) { accessRequestDecline(input: $i) { userErrors { code } } }"
        await world.call(decline, {"i": {"id": request["id"], "reason": "Not yet."}}, "admin")
        # when / then: the client sees it; a person signed in through that client does not
        [note] = await _inbox(world, "machine")
        assert note["kind"] == "ACCESS_REQUEST_DECLINED"
        assert note["message"].endswith("declined: Not yet.")
        assert await _inbox(world, "via_machine") == []

    async def test_anonymous_callers_are_forbidden(self, world: World) -> None:
        body = await world.call(INBOX, {}, as_=None)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class TestMarkRead:
    async def test_the_recipient_marks_read(self, world: World) -> None:
        # given
        await world.request()
        [note] = await _inbox(world, "admin")
        # when
        payload = await _mark(world, [note["id"]], "admin")
        # then
        assert payload["userErrors"] == []
        [marked] = payload["notifications"]
        assert marked["read"] is True and marked["readAt"] is not None
        assert await _inbox(world, "admin", unread_only=True) == []
        assert len(await _inbox(world, "admin")) == 1
        assert len(await _inbox(world, "admin2", unread_only=True)) == 1
        # marking again keeps the first time
        again = await _mark(world, [note["id"]], "admin")
        assert again["notifications"][0]["readAt"] == marked["readAt"]

    async def test_someone_elses_notification_looks_missing(self, world: World) -> None:
        # given
        await world.request()
        [note] = await _inbox(world, "admin")
        missing = to_global_id("Notification", 987654321)
        # when
        payload = await _mark(world, [note["id"], missing], "admin2")
        # then
        assert payload["notifications"] == []
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "ids", "0"], "NOT_FOUND"),
            (["input", "ids", "1"], "NOT_FOUND"),
        ]
        assert [e["message"].split(": ", 1)[1] for e in payload["userErrors"]] == [
            "no such notification",
            "no such notification",
        ]
        assert (await _inbox(world, "admin"))[0]["read"] is False
        assert (
            await world.call(
                "query($id: ID!) { node(id: $id) { id } }", {"id": note["id"]}, "admin2"
            )
        )["data"]["node"] is None

    async def test_a_bad_id(self, world: World) -> None:
        payload = await _mark(world, [to_global_id("Dataset", 1)], "admin")
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "ids", "0"], "INVALID_ID")
        ]
