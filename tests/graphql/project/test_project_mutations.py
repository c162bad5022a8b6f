"""Project mutations: create, update, visibility, archive, delete; errors, FORBIDDEN, audit."""

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
from lnob_api.graphql.ids import to_global_id

SCOPES = ("data:read", "data:write", "coalition:admin")
FIELDS = (
    "project { id slug title description status startDate endDate visibility rowVersion"
    " targets { code } groups { code } }"
)


def _mutation(name: str, selection: str) -> str:
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { field code message } } }"
    )


CREATE = _mutation("projectCreate", FIELDS)
UPDATE = _mutation("projectUpdate", FIELDS)
VISIBILITY = _mutation("projectSetVisibility", FIELDS)
ARCHIVE = _mutation("projectArchive", FIELDS)
DELETE = _mutation("projectDelete", "deletedId")
PROBE = "query($s: String!) { project(slug: $s) { visibility } }"


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        self.other = await f.create_coalition(self.conn)
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        self.frontend = await f.create_client(self.conn, org)
        for role in ("VIEWER", "EDITOR", "ADMIN"):
            await self.user(role, role)
        await self.user("EDITOR_READ_ONLY", "EDITOR", scopes=("data:read",))
        await self.user("EDITOR_NO_ADMIN_SCOPE", "ADMIN", scopes=("data:read", "data:write"))
        await self.user("OUTSIDER", "EDITOR", coalition=self.other)
        return self

    async def user(
        self, key: str, role: str, *, coalition: Any = None, scopes: tuple[str, ...] = SCOPES
    ) -> None:
        user = await f.create_user(self.conn)
        await f.give_role(self.conn, user, coalition or self.coalition, role)
        self.tokens[key] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)

    async def call(
        self, query: str, variables: dict[str, Any], as_: str | None = "EDITOR"
    ) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def payload(
        self, query: str, input: dict[str, Any], as_: str = "EDITOR"
    ) -> dict[str, Any]:
        body = await self.call(query, {"input": input}, as_)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        return payload

    async def create(self, as_: str = "EDITOR", **fields: Any) -> dict[str, Any]:
        input = {"coalition": self.coalition["code"], "title": "Voices of older people"}
        payload = await self.payload(CREATE, input | fields, as_)
        assert payload["userErrors"] == [], payload
        return payload["project"]

    async def audit(self) -> list[tuple[str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action, models.AuditEvent.before, models.AuditEvent.after)
            .where(models.AuditEvent.entity_type == "Project")
            .order_by(models.AuditEvent.id)
        )
        return [tuple(r) for r in rows]


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


def _errors(payload: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}


def _forbidden(body: dict[str, Any], message: str) -> None:
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert message in body["errors"][0]["message"]


class TestCreate:
    async def test_editor_creates(self, world: World) -> None:
        project = await world.create(
            targets=["10.2", "1.1", "10.2"],
            groups=["OLDER_PERSONS"],
            startDate="2024-01-01",
            status="PLANNED",
        )
        assert (project["slug"], project["status"], project["visibility"]) == (
            f"{world.coalition['code'].lower()}-voices-of-older-people",
            "PLANNED",
            "COALITION",
        )
        assert [t["code"] for t in project["targets"]] == ["1.1", "10.2"]
        assert [g["code"] for g in project["groups"]] == ["OLDER_PERSONS"]
        [(action, before, after)] = await world.audit()
        assert (action, before, after["title"]) == ("project.create", None, project["title"])

    async def test_user_errors_name_each_field(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            {
                "coalition": world.coalition["code"],
                "title": " ",
                "startDate": "2024-05-01",
                "endDate": "2024-01-01",
                "targets": ["1.1", "99.9"],
                "groups": ["NOBODY"],
            },
        )
        assert payload["project"] is None
        assert _errors(payload) == {
            (("input", "title"), "REQUIRED"),
            (("input", "endDate"), "INVALID"),
            (("input", "targets", "1"), "INVALID_CODE"),
            (("input", "groups", "0"), "INVALID_CODE"),
        }
        assert await world.audit() == []

    @pytest.mark.parametrize(
        ("fields", "field", "code"),
        [
            ({"title": "t" * 301}, "title", "TOO_LONG"),
            ({"coalition": "ZZ"}, "coalition", "INVALID_CODE"),
            ({"slug": "Bad Slug"}, "slug", "INVALID"),
        ],
    )
    async def test_single_problems(
        self, world: World, fields: dict[str, Any], field: str, code: str
    ) -> None:
        input = {"coalition": world.coalition["code"], "title": "t"} | fields
        assert _errors(await world.payload(CREATE, input)) == {(("input", field), code)}

    async def test_taken_slug(self, world: World) -> None:
        first = await world.create()
        input = {"coalition": world.coalition["code"], "title": "t", "slug": first["slug"]}
        assert _errors(await world.payload(CREATE, input)) == {(("input", "slug"), "NOT_UNIQUE")}

    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("VIEWER", "EDITOR role"),
            ("OUTSIDER", "EDITOR role"),
            ("EDITOR_READ_ONLY", "data:write"),
            (None, "data:write"),
        ],
    )
    async def test_forbidden(self, world: World, who: str | None, message: str) -> None:
        input = {"coalition": world.coalition["code"], "title": "t"}
        _forbidden(await world.call(CREATE, {"input": input}, who), message)
        assert await world.audit() == []

    async def test_only_admins_choose_another_visibility(self, world: World) -> None:
        input = {"coalition": world.coalition["code"], "title": "t", "visibility": "PUBLIC"}
        _forbidden(await world.call(CREATE, {"input": input}), "ADMIN role")
        assert (await world.create("ADMIN", visibility="PUBLIC"))["visibility"] == "PUBLIC"


class TestUpdate:
    async def test_editor_edits_and_replaces_links(self, world: World) -> None:
        project = await world.create(targets=["1.1"], startDate="2024-01-01")
        payload = await world.payload(
            UPDATE,
            {
                "id": project["id"],
                "rowVersion": 1,
                "title": "Renamed",
                "endDate": "2024-12-31",
                "targets": ["5.1"],
            },
        )
        updated = payload["project"]
        assert (updated["title"], updated["endDate"], updated["rowVersion"]) == (
            "Renamed",
            "2024-12-31",
            2,
        )
        assert [t["code"] for t in updated["targets"]] == ["5.1"]
        action, before, after = (await world.audit())[-1]
        assert (action, before["title"], after["title"]) == (
            "project.update",
            "Voices of older people",
            "Renamed",
        )

    async def test_end_before_the_stored_start(self, world: World) -> None:
        project = await world.create(startDate="2024-06-01")
        payload = await world.payload(
            UPDATE, {"id": project["id"], "rowVersion": 1, "endDate": "2024-01-01"}
        )
        assert _errors(payload) == {(("input", "endDate"), "INVALID")}

    async def test_stale_row_version_is_a_conflict(self, world: World) -> None:
        project = await world.create()
        change = {"id": project["id"], "rowVersion": 1, "title": "First"}
        assert (await world.payload(UPDATE, change))["userErrors"] == []
        payload = await world.payload(UPDATE, change | {"title": "Lost"})
        assert _errors(payload) == {((), "CONFLICT")}

    async def test_hidden_project_is_not_found(self, world: World) -> None:
        project = await world.create()
        payload = await world.payload(
            UPDATE, {"id": project["id"], "rowVersion": 1, "title": "x"}, "OUTSIDER"
        )
        assert _errors(payload) == {(("input", "id"), "NOT_FOUND")}

    async def test_viewer_is_forbidden(self, world: World) -> None:
        project = await world.create()
        body = await world.call(
            UPDATE, {"input": {"id": project["id"], "rowVersion": 1, "title": "x"}}, "VIEWER"
        )
        _forbidden(body, "EDITOR role")

    async def test_bad_id(self, world: World) -> None:
        dataset_id = to_global_id("Dataset", 1)
        payload = await world.payload(UPDATE, {"id": dataset_id, "rowVersion": 1, "title": "x"})
        assert _errors(payload) == {(("input", "id"), "INVALID_ID")}


class TestVisibility:
    async def test_admin_sets_visibility_and_it_applies_next_request(self, world: World) -> None:
        project = await world.create()
        assert (await world.call(PROBE, {"s": project["slug"]}, None))["data"]["project"] is None
        payload = await world.payload(
            VISIBILITY, {"id": project["id"], "rowVersion": 1, "visibility": "PUBLIC"}, "ADMIN"
        )
        assert payload["project"]["visibility"] == "PUBLIC"
        seen = await world.call(PROBE, {"s": project["slug"]}, None)
        assert seen["data"]["project"] == {"visibility": "PUBLIC"}
        action, before, after = (await world.audit())[-1]
        assert (action, before["visibility"], after["visibility"]) == (
            "project.visibility",
            "COALITION",
            "PUBLIC",
        )

    @pytest.mark.parametrize(
        ("who", "message"),
        [("EDITOR", "ADMIN role"), ("EDITOR_NO_ADMIN_SCOPE", "coalition:admin")],
    )
    async def test_forbidden(self, world: World, who: str, message: str) -> None:
        project = await world.create()
        input = {"id": project["id"], "rowVersion": 1, "visibility": "PUBLIC"}
        _forbidden(await world.call(VISIBILITY, {"input": input}, who), message)

    async def test_stale_row_version_is_a_conflict(self, world: World) -> None:
        project = await world.create()
        input = {"id": project["id"], "rowVersion": 2, "visibility": "PUBLIC"}
        assert _errors(await world.payload(VISIBILITY, input, "ADMIN")) == {((), "CONFLICT")}


class TestArchiveAndDelete:
    async def test_archive_completes_the_project_once(self, world: World) -> None:
        project = await world.create()
        done = await world.payload(ARCHIVE, {"id": project["id"], "rowVersion": 1})
        assert (done["project"]["status"], done["project"]["rowVersion"]) == ("COMPLETED", 2)
        again = await world.payload(ARCHIVE, {"id": project["id"], "rowVersion": 2})
        assert _errors(again) == {(("input", "id"), "INVALID_STATE")}
        stale = await world.payload(ARCHIVE, {"id": project["id"], "rowVersion": 1})
        assert _errors(stale) == {((), "CONFLICT")}
        action, before, after = (await world.audit())[-1]
        assert (action, before["status"], after["status"]) == (
            "project.archive",
            "ACTIVE",
            "COMPLETED",
        )

    async def test_delete_only_without_datasets(self, world: World) -> None:
        # given a project with a dataset and one without
        kept = await world.create()
        kept_pk = await _pk(world, kept["slug"])
        await f.create_dataset(world.conn, world.coalition, project_id=kept_pk)
        empty = await world.create()
        # when / then
        refused = await world.payload(DELETE, {"id": kept["id"], "rowVersion": 1})
        [error] = refused["userErrors"]
        assert (error["code"], "archive it instead" in error["message"]) == ("INVALID_STATE", True)
        deleted = await world.payload(DELETE, {"id": empty["id"], "rowVersion": 1})
        assert deleted == {"deletedId": empty["id"], "userErrors": []}
        assert await _pk(world, empty["slug"]) is None
        action, before, after = (await world.audit())[-1]
        assert (action, before["slug"], after) == ("project.delete", empty["slug"], None)

    @pytest.mark.parametrize("query", [ARCHIVE, DELETE])
    async def test_forbidden(self, world: World, query: str) -> None:
        project = await world.create()
        body = await world.call(query, {"input": {"id": project["id"], "rowVersion": 1}}, "VIEWER")
        _forbidden(body, "EDITOR role")


async def _pk(world: World, slug: str) -> Any:
    return await world.conn.scalar(sa.select(models.Project.id).where(models.Project.slug == slug))


class TestTargetFilter:
    async def test_target_code_spaces_ignored_as_for_publications(self, world: World) -> None:
        linked = await world.create(targets=["1.1"])
        await world.create(title="Other project", targets=["5.1"])
        body = await world.call(
            "query($t: String!) { projects(filter: {target: $t}) { nodes { slug } } }",
            {"t": " 1.1 "},
        )
        assert [n["slug"] for n in body["data"]["projects"]["nodes"]] == [linked["slug"]]
