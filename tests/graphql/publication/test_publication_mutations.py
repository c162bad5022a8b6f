"""Publication mutations: coalition and partnership-wide publications, links, visibility,
user errors, FORBIDDEN, audit."""

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
    "publication { id slug title kind language fileUrl visibility rowVersion owner { code }"
    " coalitions { code } targets { code } datasets { slug } }"
)


def _mutation(name: str, selection: str) -> str:
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { field code message } } }"
    )


CREATE = _mutation("publicationCreate", FIELDS)
UPDATE = _mutation("publicationUpdate", FIELDS)
VISIBILITY = _mutation("publicationSetVisibility", FIELDS)
DELETE = _mutation("publicationDelete", "deletedId")


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
        self.own = await f.create_dataset(self.conn, self.coalition, visibility="COALITION")
        self.public = await f.create_dataset(self.conn, self.other)
        self.hidden = await f.create_dataset(self.conn, self.other, visibility="COALITION")
        for role in ("VIEWER", "EDITOR", "ADMIN"):
            await self.user(role, role)
        await self.user("ADMIN_DATA_ONLY", "ADMIN", scopes=("data:read", "data:write"))
        await self.user("OUTSIDER", "EDITOR", coalition=self.other)
        await self.user(
            "PARTNERSHIP", None, is_partnership_admin=True, scopes=(*SCOPES, "partnership:admin")
        )
        return self

    async def user(
        self,
        key: str,
        role: str | None,
        *,
        coalition: Any = None,
        scopes: tuple[str, ...] = SCOPES,
        **overrides: Any,
    ) -> None:
        user = await f.create_user(self.conn, **overrides)
        if role is not None:
            await f.give_role(self.conn, user, coalition or self.coalition, role)
        self.tokens[key] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)

    async def call(self, query: str, input: dict[str, Any], as_: str | None) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": {"input": input}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def payload(
        self, query: str, input: dict[str, Any], as_: str = "EDITOR"
    ) -> dict[str, Any]:
        body = await self.call(query, input, as_)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        return payload

    async def create(self, as_: str = "EDITOR", **fields: Any) -> dict[str, Any]:
        input = {"coalition": self.coalition["code"], "kind": "REPORT", "title": "Country summary"}
        payload = await self.payload(CREATE, input | fields, as_)
        assert payload["userErrors"] == [], payload
        return payload["publication"]

    def dataset_id(self, row: Any) -> str:
        return to_global_id("Dataset", row["id"])

    async def audit(self) -> list[tuple[str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action, models.AuditEvent.before, models.AuditEvent.after)
            .where(models.AuditEvent.entity_type == "Publication")
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
    async def test_editor_creates_with_links(self, world: World) -> None:
        publication = await world.create(
            language="FR",
            fileUrl="https://example.org/summary.pdf",
            targets=["10.2"],
            datasets=[world.dataset_id(world.own), world.dataset_id(world.public)],
        )
        code = world.coalition["code"]
        assert (publication["slug"], publication["language"], publication["visibility"]) == (
            f"{world.coalition['code'].lower()}-country-summary",
            "fr",
            "COALITION",
        )
        assert publication["owner"] == {"code": code}
        assert publication["coalitions"] == [{"code": code}]
        assert [t["code"] for t in publication["targets"]] == ["10.2"]
        assert {d["slug"] for d in publication["datasets"]} == {
            world.own["slug"],
            world.public["slug"],
        }
        [(action, before, after)] = await world.audit()
        assert (action, before, after["kind"]) == ("publication.create", None, "REPORT")

    async def test_user_errors_name_each_field(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            {
                "coalition": world.coalition["code"],
                "kind": "FLYER",
                "title": "",
                "language": "English!",
                "fileUrl": "javascript:alert(1)",
                "coalitions": [world.coalition["code"], "ZZ"],
                "targets": ["0.0"],
                "datasets": [world.dataset_id(world.hidden)],
            },
        )
        assert payload["publication"] is None
        assert _errors(payload) == {
            (("input", "title"), "REQUIRED"),
            (("input", "language"), "INVALID"),
            (("input", "fileUrl"), "INVALID"),
            (("input", "coalitions", "1"), "INVALID_CODE"),
            (("input", "targets", "0"), "INVALID_CODE"),
            (("input", "datasets", "0"), "NOT_FOUND"),
        }
        assert await world.audit() == []

    async def test_bad_dataset_id_and_taken_slug(self, world: World) -> None:
        bad = await world.payload(
            CREATE,
            {
                "coalition": world.coalition["code"],
                "kind": "FLYER",
                "title": "t",
                "datasets": [to_global_id("Project", 1)],
            },
        )
        assert _errors(bad) == {(("input", "datasets", "0"), "INVALID_ID")}
        first = await world.create()
        taken = await world.payload(
            CREATE,
            {
                "coalition": world.coalition["code"],
                "kind": "FLYER",
                "title": "t",
                "slug": first["slug"],
            },
        )
        assert _errors(taken) == {(("input", "slug"), "NOT_UNIQUE")}
        # a partnership-wide publication has a namespace of its own: no collision
        wide = await world.payload(
            CREATE,
            {"coalition": None, "kind": "FLYER", "title": "t", "slug": first["slug"]},
            "PARTNERSHIP",
        )
        assert wide["userErrors"] == []
        assert wide["publication"]["slug"] == f"lnob-{first['slug']}"

    async def test_partnership_wide_by_partnership_admins(self, world: World) -> None:
        created = await world.create(
            "PARTNERSHIP",
            coalition=None,
            coalitions=[world.coalition["code"], world.other["code"]],
            visibility="PARTNERSHIP",
        )
        assert (created["owner"], created["visibility"]) == (None, "PARTNERSHIP")
        assert len(created["coalitions"]) == 2
        body = await world.call(CREATE, {"coalition": None, "kind": "FLYER", "title": "t"}, "ADMIN")
        _forbidden(body, "partnership admin")

    @pytest.mark.parametrize(
        ("who", "message"),
        [("VIEWER", "EDITOR role"), ("OUTSIDER", "EDITOR role"), (None, "data:write")],
    )
    async def test_forbidden(self, world: World, who: str | None, message: str) -> None:
        input = {"coalition": world.coalition["code"], "kind": "FLYER", "title": "t"}
        _forbidden(await world.call(CREATE, input, who), message)

    async def test_only_admins_choose_another_visibility(self, world: World) -> None:
        input = {
            "coalition": world.coalition["code"],
            "kind": "FLYER",
            "title": "t",
            "visibility": "PUBLIC",
        }
        _forbidden(await world.call(CREATE, input, "EDITOR"), "ADMIN role")
        assert (await world.payload(CREATE, input, "ADMIN"))["publication"]["visibility"] == (
            "PUBLIC"
        )


class TestUpdate:
    async def test_editor_edits_and_replaces_links(self, world: World) -> None:
        created = await world.create(datasets=[world.dataset_id(world.own)])
        payload = await world.payload(
            UPDATE,
            {
                "id": created["id"],
                "rowVersion": 1,
                "title": "Recommendations",
                "kind": "RECOMMENDATIONS",
                "datasets": [],
                "fileUrl": None,
            },
        )
        updated = payload["publication"]
        assert (updated["title"], updated["kind"], updated["datasets"]) == (
            "Recommendations",
            "RECOMMENDATIONS",
            [],
        )
        assert updated["coalitions"] == created["coalitions"]  # omitted links stay
        action, before, after = (await world.audit())[-1]
        assert (action, before["kind"], after["kind"]) == (
            "publication.update",
            "REPORT",
            "RECOMMENDATIONS",
        )

    async def test_user_errors(self, world: World) -> None:
        created = await world.create()
        payload = await world.payload(
            UPDATE, {"id": created["id"], "rowVersion": 1, "kind": None, "language": None}
        )
        assert _errors(payload) == {
            (("input", "kind"), "REQUIRED"),
            (("input", "language"), "REQUIRED"),
        }

    async def test_stale_row_version_is_a_conflict(self, world: World) -> None:
        created = await world.create()
        change = {"id": created["id"], "rowVersion": 1, "title": "First"}
        assert (await world.payload(UPDATE, change))["userErrors"] == []
        assert _errors(await world.payload(UPDATE, change | {"title": "Lost"})) == {
            ((), "CONFLICT")
        }

    async def test_hidden_is_not_found_and_visible_is_forbidden(self, world: World) -> None:
        created = await world.create()
        change = {"id": created["id"], "rowVersion": 1, "title": "x"}
        hidden = await world.payload(UPDATE, change, "OUTSIDER")
        assert _errors(hidden) == {(("input", "id"), "NOT_FOUND")}
        _forbidden(await world.call(UPDATE, change, "VIEWER"), "EDITOR role")


class TestVisibility:
    async def test_admin_sets_visibility(self, world: World) -> None:
        created = await world.create()
        input = {"id": created["id"], "rowVersion": 1, "visibility": "PUBLIC"}
        _forbidden(await world.call(VISIBILITY, input, "EDITOR"), "ADMIN role")
        _forbidden(
            await world.call(VISIBILITY, input, "ADMIN_DATA_ONLY"),
            "coalition:admin or partnership:admin",
        )
        payload = await world.payload(VISIBILITY, input, "ADMIN")
        assert payload["publication"]["visibility"] == "PUBLIC"
        probe = await world.call(
            "query($input: String!) { publication(slug: $input) { visibility } }",
            created["slug"],  # type: ignore[arg-type]
            None,
        )
        assert probe["data"]["publication"] == {"visibility": "PUBLIC"}
        stale = await world.payload(VISIBILITY, input | {"visibility": "COALITION"}, "ADMIN")
        assert _errors(stale) == {((), "CONFLICT")}
        action, before, after = (await world.audit())[-1]
        assert (action, before["visibility"], after["visibility"]) == (
            "publication.visibility",
            "COALITION",
            "PUBLIC",
        )

    async def test_partnership_wide_by_partnership_admins(self, world: World) -> None:
        created = await world.create("PARTNERSHIP", coalition=None)
        input = {"id": created["id"], "rowVersion": 1, "visibility": "PUBLIC"}
        payload = await world.payload(VISIBILITY, input, "PARTNERSHIP")
        assert payload["publication"]["visibility"] == "PUBLIC"
        again = {"id": created["id"], "rowVersion": 2, "visibility": "COALITION"}
        _forbidden(await world.call(VISIBILITY, again, "ADMIN"), "partnership admin")


class TestDelete:
    async def test_editor_deletes(self, world: World) -> None:
        created = await world.create(targets=["1.1"])
        _forbidden(
            await world.call(DELETE, {"id": created["id"], "rowVersion": 1}, "VIEWER"),
            "EDITOR role",
        )
        stale = await world.payload(DELETE, {"id": created["id"], "rowVersion": 3})
        assert _errors(stale) == {((), "CONFLICT")}
        payload = await world.payload(DELETE, {"id": created["id"], "rowVersion": 1})
        assert payload == {"deletedId": created["id"], "userErrors": []}
        count = await world.conn.scalar(
            sa.select(sa.func.count())
            .select_from(models.Publication)
            .where(models.Publication.slug == created["slug"])
        )
        assert count == 0
        action, before, after = (await world.audit())[-1]
        assert (action, before["slug"], after) == ("publication.delete", created["slug"], None)
