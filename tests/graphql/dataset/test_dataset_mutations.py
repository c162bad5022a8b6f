"""Dataset mutations: lifecycle, versions, visibility, user errors, FORBIDDEN, audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore

FIELDS = "id slug title status version rowVersion visibility retractionReason supersededAt indicators { code } groups { code }"
CREATE = f"mutation($input: DatasetCreateInput!) {{ datasetCreate(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
UPDATE = f"mutation($input: DatasetUpdateInput!) {{ datasetUpdate(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
PUBLISH = f"mutation($input: DatasetPublishInput!) {{ datasetPublish(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
RETRACT = f"mutation($input: DatasetRetractInput!) {{ datasetRetract(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
VISIBILITY = f"mutation($input: DatasetSetVisibilityInput!) {{ datasetSetVisibility(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
DELETE = "mutation($input: DatasetVersionInput!) { datasetDelete(input: $input) { deletedId userErrors { field code message } } }"


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        self.frontend = await f.create_client(self.conn, org)
        for role in ("VIEWER", "EDITOR", "ADMIN"):
            user = await f.create_user(self.conn)
            await f.give_role(self.conn, user, self.coalition, role)
            scopes = ("data:read", "data:write", "coalition:admin")
            self.tokens[role] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)
            if role == "EDITOR":
                self.editor = user
                self.tokens["EDITOR_READ_ONLY"] = token_for(
                    self.keys, client=self.frontend, user=user, scopes=("data:read",)
                )
        return self

    async def call(
        self, query: str, variables: dict[str, Any], as_: str | None = "EDITOR"
    ) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = await self.call(
            CREATE,
            {
                "input": {"coalition": self.coalition["code"], "title": "Disability survey 2024"}
                | fields
            },
        )
        payload = body["data"]["datasetCreate"]
        assert payload["userErrors"] == [], payload
        return payload["dataset"]


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


async def _audit(conn: AsyncConnection, entity_id: str) -> list[str]:
    rows = await conn.execute(
        sa.select(models.AuditEvent.action)
        .where(models.AuditEvent.entity_type == "Dataset")
        .order_by(models.AuditEvent.id)
    )
    return list(rows.scalars())


class TestCreate:
    async def test_editor_creates_a_draft(self, world: World) -> None:
        dataset = await world.create(
            indicators=["1.1.1", "10.2.1"], groups=["PERSONS_WITH_DISABILITIES"]
        )
        assert dataset["status"] == "DRAFT"
        assert dataset["visibility"] == "COALITION"
        # slugs live in the coalition's namespace (its code first)
        assert dataset["slug"] == f"{world.coalition['code'].lower()}-disability-survey-2024"
        assert dataset["version"] == 1
        assert [i["code"] for i in dataset["indicators"]] == ["1.1.1", "10.2.1"]
        assert [g["code"] for g in dataset["groups"]] == ["PERSONS_WITH_DISABILITIES"]
        assert await _audit(world.conn, "") == ["dataset.create"]

    async def test_slugs_stay_unique(self, world: World) -> None:
        first = await world.create()
        second = await world.create()
        assert second["slug"] == f"{first['slug']}-2"

    async def test_user_errors_name_each_field(self, world: World) -> None:
        body = await world.call(
            CREATE,
            {
                "input": {
                    "coalition": world.coalition["code"],
                    "title": "x" * 301,
                    "area": "ZZ-NOPE",
                    "indicators": ["1.1.1", "99.9.9"],
                    "collectionStart": "2024-05-01",
                    "collectionEnd": "2024-01-01",
                }
            },
        )
        payload = body["data"]["datasetCreate"]
        assert payload["dataset"] is None
        found = {(tuple(e["field"]), e["code"]) for e in payload["userErrors"]}
        assert found == {
            (("input", "title"), "TOO_LONG"),
            (("input", "area"), "INVALID_CODE"),
            (("input", "indicators", "1"), "INVALID_CODE"),
            (("input", "collectionEnd"), "INVALID"),
        }
        count = await world.conn.scalar(
            sa.select(sa.func.count())
            .select_from(models.Dataset)
            .where(models.Dataset.coalition_id == world.coalition["id"])
        )
        assert count == 0
        assert await _audit(world.conn, "") == []

    async def test_taken_slug(self, world: World) -> None:
        await world.create(slug="mine")
        body = await world.call(
            CREATE, {"input": {"coalition": world.coalition["code"], "title": "t", "slug": "mine"}}
        )
        assert body["data"]["datasetCreate"]["userErrors"][0]["code"] == "NOT_UNIQUE"

    @pytest.mark.parametrize(
        ("who", "message"),
        [("VIEWER", "EDITOR role"), ("EDITOR_READ_ONLY", "data:write"), (None, "data:write")],
    )
    async def test_forbidden(self, world: World, who: str | None, message: str) -> None:
        body = await world.call(
            CREATE, {"input": {"coalition": world.coalition["code"], "title": "t"}}, as_=who
        )
        error = body["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert message in error["message"]
        assert body["data"] is None

    async def test_editor_cannot_choose_public_visibility(self, world: World) -> None:
        body = await world.call(
            CREATE,
            {"input": {"coalition": world.coalition["code"], "title": "t", "visibility": "PUBLIC"}},
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await _audit(world.conn, "") == []


class TestLifecycle:
    async def test_publish_retract(self, world: World) -> None:
        draft = await world.create()
        published = (
            await world.call(
                PUBLISH, {"input": {"id": draft["id"], "rowVersion": draft["rowVersion"]}}
            )
        )["data"]["datasetPublish"]["dataset"]
        assert published["status"] == "PUBLISHED"
        again = await world.call(
            PUBLISH, {"input": {"id": draft["id"], "rowVersion": published["rowVersion"]}}
        )
        assert again["data"]["datasetPublish"]["userErrors"][0]["code"] == "INVALID_STATE"
        no_reason = await world.call(
            RETRACT,
            {"input": {"id": draft["id"], "rowVersion": published["rowVersion"], "reason": " "}},
        )
        assert no_reason["data"]["datasetRetract"]["userErrors"][0]["code"] == "REQUIRED"
        retracted = (
            await world.call(
                RETRACT,
                {
                    "input": {
                        "id": draft["id"],
                        "rowVersion": published["rowVersion"],
                        "reason": "Consent withdrawn",
                    }
                },
            )
        )["data"]["datasetRetract"]["dataset"]
        assert retracted["status"] == "RETRACTED"
        assert retracted["retractionReason"] == "Consent withdrawn"
        assert await _audit(world.conn, "") == [
            "dataset.create",
            "dataset.publish",
            "dataset.retract",
        ]

    async def test_stale_row_version_is_a_conflict(self, world: World) -> None:
        draft = await world.create()
        first = await world.call(
            UPDATE,
            {
                "input": {
                    "id": draft["id"],
                    "rowVersion": draft["rowVersion"],
                    "title": "First edit",
                }
            },
        )
        assert first["data"]["datasetUpdate"]["userErrors"] == []
        second = await world.call(
            UPDATE,
            {"input": {"id": draft["id"], "rowVersion": draft["rowVersion"], "title": "Lost edit"}},
        )
        payload = second["data"]["datasetUpdate"]
        assert payload["userErrors"][0]["code"] == "CONFLICT"
        title = await world.conn.scalar(
            sa.select(models.Dataset.title).where(models.Dataset.slug == draft["slug"])
        )
        assert title == "First edit"

    async def test_editing_published_opens_a_version(self, world: World) -> None:
        # given a published dataset with observations
        draft = await world.create(indicators=["1.1.1"])
        ds_id = await world.conn.scalar(
            sa.select(models.Dataset.id).where(models.Dataset.slug == draft["slug"])
        )
        await f.create_observation(world.conn, {"id": ds_id}, value=11.0)
        v1 = (
            await world.call(
                PUBLISH, {"input": {"id": draft["id"], "rowVersion": draft["rowVersion"]}}
            )
        )["data"]["datasetPublish"]["dataset"]
        # when an editor edits it
        edited = (
            await world.call(
                UPDATE,
                {"input": {"id": v1["id"], "rowVersion": v1["rowVersion"], "title": "Corrected"}},
            )
        )["data"]["datasetUpdate"]
        v2 = edited["dataset"]
        # then a new draft version exists; v1 is untouched and still the public face
        assert v2["version"] == 2 and v2["status"] == "DRAFT" and v2["id"] != v1["id"]
        assert v2["title"] == "Corrected" and v2["slug"] == v1["slug"]
        anonymous = await world.call(
            "query($s:String){ dataset(slug:$s) { version title } }", {"s": v1["slug"]}, as_=None
        )
        assert anonymous["data"]["dataset"] is None  # COALITION visibility: anonymous sees nothing
        viewer = await world.call(
            "query($s:String){ dataset(slug:$s) { version title } }",
            {"s": v1["slug"]},
            as_="VIEWER",
        )
        assert viewer["data"]["dataset"] == {"version": 1, "title": "Disability survey 2024"}
        # when the new version is published
        v2p = (
            await world.call(PUBLISH, {"input": {"id": v2["id"], "rowVersion": v2["rowVersion"]}})
        )["data"]["datasetPublish"]["dataset"]
        # then it supersedes v1, which stays readable with its observations
        query = """query($s:String, $id:ID){ current: dataset(slug:$s) { version versions { version supersededAt status }
                     observations { edges { node { value } } } old: observations(version: 1) { edges { node { value } } } }
                   byId: dataset(id:$id) { version supersededAt } }"""
        body = await world.call(query, {"s": v1["slug"], "id": v1["id"]}, as_="VIEWER")
        current = body["data"]["current"]
        assert current["version"] == 2 == v2p["version"]
        assert [v["version"] for v in current["versions"]] == [1, 2]
        assert current["versions"][0]["supersededAt"] is not None
        assert [e["node"]["value"] for e in current["observations"]["edges"]] == [11.0]
        assert [e["node"]["value"] for e in current["old"]["edges"]] == [11.0]
        assert body["data"]["byId"]["supersededAt"] is not None
        # and observation lists show the current version only
        listed = await world.call(
            '{ observations(filter: {indicators: ["1.1.1"]}, first: 100) { totalCount } }',
            {},
            as_="VIEWER",
        )
        assert listed["data"]["observations"]["totalCount"] == 1

    async def test_delete_only_drafts(self, world: World) -> None:
        draft = await world.create()
        published = (
            await world.call(
                PUBLISH, {"input": {"id": draft["id"], "rowVersion": draft["rowVersion"]}}
            )
        )["data"]["datasetPublish"]["dataset"]
        refused = await world.call(
            DELETE, {"input": {"id": published["id"], "rowVersion": published["rowVersion"]}}
        )
        assert refused["data"]["datasetDelete"]["userErrors"][0]["code"] == "INVALID_STATE"
        other = await world.create()
        deleted = await world.call(
            DELETE, {"input": {"id": other["id"], "rowVersion": other["rowVersion"]}}
        )
        assert deleted["data"]["datasetDelete"] == {"deletedId": other["id"], "userErrors": []}
        gone = await world.call("query($i:ID){ dataset(id:$i) { id } }", {"i": other["id"]})
        assert gone["data"]["dataset"] is None


class TestVisibility:
    async def test_admin_sets_visibility_and_it_applies_next_request(self, world: World) -> None:
        draft = await world.create()
        published = (
            await world.call(
                PUBLISH, {"input": {"id": draft["id"], "rowVersion": draft["rowVersion"]}}
            )
        )["data"]["datasetPublish"]["dataset"]
        probe = "query($s:String){ dataset(slug:$s) { visibility } }"
        assert (await world.call(probe, {"s": draft["slug"]}, as_=None))["data"]["dataset"] is None
        refused = await world.call(
            VISIBILITY,
            {
                "input": {
                    "id": published["id"],
                    "rowVersion": published["rowVersion"],
                    "visibility": "PUBLIC",
                }
            },
        )
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        done = await world.call(
            VISIBILITY,
            {
                "input": {
                    "id": published["id"],
                    "rowVersion": published["rowVersion"],
                    "visibility": "PUBLIC",
                }
            },
            as_="ADMIN",
        )
        assert done["data"]["datasetSetVisibility"]["dataset"]["visibility"] == "PUBLIC"
        assert (await world.call(probe, {"s": draft["slug"]}, as_=None))["data"]["dataset"] == {
            "visibility": "PUBLIC"
        }
