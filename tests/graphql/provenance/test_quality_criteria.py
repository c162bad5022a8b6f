"""Quality criteria: create, update, delete by coalition admins; FORBIDDEN for others;
listed on the coalition and at the root; audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.graphql.provenance.provenance_world import World, errors, forbidden, mutation

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

CRITERION = "qualityCriterion { id code label description rowVersion coalition { code } }"
CREATE = mutation("qualityCriterionCreate", CRITERION)
UPDATE = mutation("qualityCriterionUpdate", CRITERION)
DELETE = mutation("qualityCriterionDelete", "deletedId")

COALITION = """
query($code: String!) { coalition(code: $code) { qualityCriteria { code label } } }
"""
ROOT = """
query($codes: [String!]) { qualityCriteria(coalitions: $codes) { totalCount nodes { code } } }
"""
NODE = "query($id: ID!) { node(id: $id) { ... on QualityCriterion { code label } } }"


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


async def _create(world: World, as_: str = "ADMIN", **fields: Any) -> dict[str, Any]:
    input = {"coalition": world.coalition["code"], "code": "NSO-1", "label": "Documented"}
    payload = await world.payload(CREATE, input | fields, as_)
    assert payload["userErrors"] == [], payload
    created: dict[str, Any] = payload["qualityCriterion"]
    return created


class TestCreate:
    async def test_coalition_admin_adds_a_criterion(self, world: World) -> None:
        # when
        created = await _create(
            world, code=" nso-cgd.1 ", label=" Method documented ", description="As NSO asks"
        )
        # then
        assert created["code"] == "NSO-CGD.1"
        assert created["label"] == "Method documented"
        assert created["coalition"] == {"code": world.coalition["code"]}
        listed = await world.data(COALITION, {"code": world.coalition["code"]}, as_=None)
        assert listed["coalition"]["qualityCriteria"] == [
            {"code": "NSO-CGD.1", "label": "Method documented"}
        ]
        node = await world.data(NODE, {"id": created["id"]}, as_=None)
        assert node["node"]["code"] == "NSO-CGD.1"
        [(action, before, after)] = await world.audit("QualityCriterion")
        assert (action, before, after["code"]) == ("quality_criterion.create", None, "NSO-CGD.1")

    async def test_partnership_admin_may_too(self, world: World) -> None:
        created = await _create(world, as_="PARTNERSHIP")
        assert created["code"] == "NSO-1"

    async def test_codes_are_unique_per_coalition(self, world: World) -> None:
        # given
        await _create(world)
        await world.criterion("NSO-2", coalition=world.other)
        # when
        again = await world.payload(
            CREATE, {"coalition": world.coalition["code"], "code": "nso-1", "label": "x"}, "ADMIN"
        )
        # then: taken here; the other coalition's codes do not matter
        assert errors(again) == {(("input", "code"), "NOT_UNIQUE")}
        assert (await _create(world, code="NSO-2"))["code"] == "NSO-2"

    async def test_user_errors(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            {"coalition": world.coalition["code"], "code": "no spaces", "label": " "},
            "ADMIN",
        )
        assert payload["qualityCriterion"] is None
        assert errors(payload) == {
            (("input", "code"), "INVALID"),
            (("input", "label"), "REQUIRED"),
        }

    @pytest.mark.parametrize(
        "who", ["EDITOR", "VIEWER", "ADMIN_NO_SCOPE", "OTHER_ADMIN", "EDITOR_READ_ONLY", None]
    )
    async def test_forbidden_to_others(self, world: World, who: str | None) -> None:
        body = await world.call(
            CREATE,
            {"input": {"coalition": world.coalition["code"], "code": "NSO-1", "label": "x"}},
            as_=who,
        )
        forbidden(body)
        assert await world.audit("QualityCriterion") == []


class TestUpdate:
    async def test_admin_edits(self, world: World) -> None:
        # given
        created = await _create(world)
        # when
        payload = await world.payload(
            UPDATE,
            {"id": created["id"], "rowVersion": created["rowVersion"], "label": "Validated"},
            "ADMIN",
        )
        # then
        assert payload["userErrors"] == []
        updated = payload["qualityCriterion"]
        assert (updated["code"], updated["label"], updated["rowVersion"]) == (
            "NSO-1",
            "Validated",
            created["rowVersion"] + 1,
        )
        actions = [a for a, _, _ in await world.audit("QualityCriterion")]
        assert actions == ["quality_criterion.create", "quality_criterion.update"]

    async def test_stale_row_version(self, world: World) -> None:
        created = await _create(world)
        payload = await world.payload(
            UPDATE,
            {"id": created["id"], "rowVersion": created["rowVersion"] + 5, "label": "x"},
            "ADMIN",
        )
        assert errors(payload) == {((), "CONFLICT")}

    async def test_code_clash_on_rename(self, world: World) -> None:
        await world.criterion("NSO-2")
        created = await _create(world)
        payload = await world.payload(
            UPDATE,
            {"id": created["id"], "rowVersion": created["rowVersion"], "code": "NSO-2"},
            "ADMIN",
        )
        assert errors(payload) == {(("input", "code"), "NOT_UNIQUE")}

    @pytest.mark.parametrize("who", ["EDITOR", "OTHER_ADMIN", "ADMIN_NO_SCOPE"])
    async def test_forbidden_to_others(self, world: World, who: str) -> None:
        created = await _create(world)
        body = await world.call(
            UPDATE,
            {"input": {"id": created["id"], "rowVersion": created["rowVersion"], "label": "x"}},
            as_=who,
        )
        forbidden(body)

    async def test_unknown_id(self, world: World) -> None:
        payload = await world.payload(
            UPDATE,
            {"id": to_global_id("QualityCriterion", 987654321), "rowVersion": 1, "label": "x"},
            "ADMIN",
        )
        assert errors(payload) == {(("input", "id"), "NOT_FOUND")}


class TestDelete:
    async def test_admin_deletes_an_unused_criterion(self, world: World) -> None:
        # given
        created = await _create(world)
        # when
        payload = await world.payload(DELETE, {"id": created["id"]}, "ADMIN")
        # then
        assert payload == {"deletedId": created["id"], "userErrors": []}
        listed = await world.data(COALITION, {"code": world.coalition["code"]}, as_=None)
        assert listed["coalition"]["qualityCriteria"] == []
        actions = [(a, after) for a, _, after in await world.audit("QualityCriterion")]
        assert actions[-1] == ("quality_criterion.delete", None)

    async def test_a_claimed_criterion_stays(self, world: World, conn: AsyncConnection) -> None:
        # given a dataset that claims the criterion
        created = await _create(world)
        criterion = await world.criterion("NSO-2")
        await world.meets(await f.create_dataset(conn, world.coalition), criterion)
        # when
        payload = await world.payload(
            DELETE, {"id": to_global_id("QualityCriterion", criterion["id"])}, "ADMIN"
        )
        # then
        assert payload["deletedId"] is None
        assert errors(payload) == {((), "CONFLICT")}
        listed = await world.data(COALITION, {"code": world.coalition["code"]}, as_=None)
        assert [c["code"] for c in listed["coalition"]["qualityCriteria"]] == ["NSO-1", "NSO-2"]
        assert created["code"] == "NSO-1"

    @pytest.mark.parametrize("who", ["EDITOR", "VIEWER", "OTHER_ADMIN", None])
    async def test_forbidden_to_others(self, world: World, who: str | None) -> None:
        created = await _create(world)
        body = await world.call(DELETE, {"input": {"id": created["id"]}}, as_=who)
        forbidden(body)


class TestRootList:
    async def test_by_coalition(self, world: World) -> None:
        # given
        await world.criterion("B")
        await world.criterion("A")
        await world.criterion("C", coalition=world.other)
        # when
        mine = await world.data(ROOT, {"codes": [world.coalition["code"].lower()]}, as_=None)
        both = await world.data(
            ROOT, {"codes": [world.coalition["code"], world.other["code"]]}, as_=None
        )
        # then
        assert [n["code"] for n in mine["qualityCriteria"]["nodes"]] == ["A", "B"]
        assert both["qualityCriteria"]["totalCount"] == 3
