"""accessRequests and node(id): requesters see their own requests, coalition admins their
coalition's, everyone else nothing (a request they may not see looks missing)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.graphql.access_request.access_world import World, build_world

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

LIST = """query($filter: AccessRequestFilter) { accessRequests(filter: $filter, first: 20) {
  totalCount nodes { id status requesterName dataset { slug } } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on AccessRequest { status purpose } } }"""


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await build_world(client, conn, signing_keys)


async def _ids(world: World, as_: str | None, filter: dict[str, object] | None = None) -> set[str]:
    body = await world.call(LIST, {"filter": filter}, as_)
    assert "errors" not in body, body
    found = body["data"]["accessRequests"]
    assert found["totalCount"] == len(found["nodes"])
    return {n["id"] for n in found["nodes"]}


class TestAccessRequests:
    async def test_who_sees_which_request(self, world: World) -> None:
        # given
        mine = (await world.request())["id"]
        theirs = (await world.request(as_="machine"))["id"]
        # when / then
        assert await _ids(world, "requester") == {mine}
        assert await _ids(world, "machine") == {theirs}
        assert await _ids(world, "admin") == {mine, theirs}
        assert await _ids(world, "boss") >= {mine, theirs}
        for who in ("colleague", "via_machine", "stranger", "editor", "other_admin"):
            assert await _ids(world, who) == set(), who
        # an admin whose token lacks coalition:admin sees only what they filed
        assert await _ids(world, "admin_read_only") == set()

    async def test_anonymous_callers_are_forbidden(self, world: World) -> None:
        body = await world.call(LIST, {}, as_=None)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    async def test_filters(self, world: World) -> None:
        # given
        pending = (await world.request())["id"]
        withdrawn = (await world.request(as_="machine"))["id"]
        await world.call(
            "mutation($id: ID!) { accessRequestWithdraw(input: {id: $id}) { userErrors { code } } }",
            {"id": withdrawn},
            as_="machine",
        )
        # when / then
        assert await _ids(world, "admin", {"status": "PENDING"}) == {pending}
        assert await _ids(world, "admin", {"status": "WITHDRAWN"}) == {withdrawn}
        assert await _ids(world, "admin", {"coalition": world.coalition["code"].lower()}) == {
            pending,
            withdrawn,
        }
        assert await _ids(world, "admin", {"dataset": world.dataset_id}) == {pending, withdrawn}
        other = to_global_id("Dataset", world.public["id"])
        assert await _ids(world, "admin", {"dataset": other}) == set()


class TestNode:
    async def test_a_request_is_a_node_for_those_who_see_it(self, world: World) -> None:
        request = await world.request()
        for who in ("requester", "admin", "boss"):
            body = await world.call(NODE, {"id": request["id"]}, who)
            assert body["data"]["node"] == {
                "id": request["id"],
                "status": "PENDING",
                "purpose": "SDG 10.2 baseline",
            }
        for other in ("stranger", "colleague", "other_admin", None):
            hidden = await world.call(NODE, {"id": request["id"]}, other)
            assert hidden["data"]["node"] is None, other
