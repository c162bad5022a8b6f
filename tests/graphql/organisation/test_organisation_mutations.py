"""Organisation mutations: create, update, delete; user errors, FORBIDDEN, conflicts, audit."""

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

ALL_SCOPES = ("data:read", "data:write", "coalition:admin", "partnership:admin")
FIELDS = "organisation { id slug name kind countryCode website description rowVersion }"


def _mutation(name: str, selection: str) -> str:
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { field code message } } }"
    )


CREATE = _mutation("organisationCreate", FIELDS)
UPDATE = _mutation("organisationUpdate", FIELDS)
DELETE = _mutation("organisationDelete", "deletedId")


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        self.home = await f.create_organisation(self.conn)
        self.frontend = await f.create_client(self.conn, self.home)
        await self.user("PARTNERSHIP", is_partnership_admin=True)
        await self.user(
            "PARTNERSHIP_NO_SCOPE",
            is_partnership_admin=True,
            scopes=("data:read", "data:write", "coalition:admin"),
        )
        admin = await self.user("COALITION_ADMIN")
        await f.give_role(self.conn, admin, self.coalition, "ADMIN")
        return self

    async def user(
        self, name: str, *, scopes: tuple[str, ...] = ALL_SCOPES, **overrides: Any
    ) -> Any:
        user = await f.create_user(self.conn, **overrides)
        self.tokens[name] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)
        return user

    async def call(
        self, query: str, input: dict[str, Any], as_: str | None = "PARTNERSHIP"
    ) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": {"input": input}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def payload(
        self, query: str, input: dict[str, Any], as_: str | None = "PARTNERSHIP"
    ) -> dict[str, Any]:
        body = await self.call(query, input, as_)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        return payload

    async def create(self, **fields: Any) -> dict[str, Any]:
        payload = await self.payload(CREATE, {"name": "Kenya Data Collective"} | fields)
        assert payload["userErrors"] == [], payload
        return payload["organisation"]

    async def audit(self) -> list[tuple[str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action, models.AuditEvent.before, models.AuditEvent.after)
            .where(models.AuditEvent.entity_type == "Organisation")
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
    async def test_partnership_admin_creates(self, world: World) -> None:
        # when
        created = await world.create(
            kind="STATISTICS_AGENCY",
            country="ke",
            website="https://data.example.org",
            description=" Statistics ",
        )
        # then
        assert created["slug"] == "kenya-data-collective"
        assert (created["kind"], created["countryCode"]) == ("STATISTICS_AGENCY", "KE")
        assert (created["description"], created["rowVersion"]) == ("Statistics", 1)
        [(action, before, after)] = await world.audit()
        assert (action, before) == ("organisation.create", None)
        assert after["slug"] == "kenya-data-collective" and after["country_code"] == "KE"

    async def test_slugs_stay_unique(self, world: World) -> None:
        first = await world.create()
        second = await world.create()
        assert second["slug"] == f"{first['slug']}-2"

    async def test_user_errors_name_each_field(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            {"name": " ", "country": "ZZ", "website": "ftp://x", "description": "d" * 20_001},
        )
        assert payload["organisation"] is None
        assert _errors(payload) == {
            (("input", "name"), "REQUIRED"),
            (("input", "country"), "INVALID_CODE"),
            (("input", "website"), "INVALID"),
            (("input", "description"), "TOO_LONG"),
        }
        assert await world.audit() == []

    @pytest.mark.parametrize(
        ("fields", "field", "code"),
        [
            ({"name": "x" * 301}, "name", "TOO_LONG"),
            ({"slug": "Not A Slug"}, "slug", "INVALID"),
            ({"slug": "x" * 81}, "slug", "TOO_LONG"),
        ],
    )
    async def test_single_problems(
        self, world: World, fields: dict[str, Any], field: str, code: str
    ) -> None:
        payload = await world.payload(CREATE, {"name": "Fine"} | fields)
        assert _errors(payload) == {(("input", field), code)}

    async def test_taken_slug(self, world: World) -> None:
        payload = await world.payload(CREATE, {"name": "Again", "slug": world.home["slug"]})
        assert _errors(payload) == {(("input", "slug"), "NOT_UNIQUE")}

    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("COALITION_ADMIN", "partnership:admin"),
            ("PARTNERSHIP_NO_SCOPE", "partnership:admin"),
            (None, "partnership:admin"),
        ],
    )
    async def test_forbidden(self, world: World, who: str | None, message: str) -> None:
        _forbidden(await world.call(CREATE, {"name": "Nope"}, as_=who), message)
        assert await world.audit() == []


class TestUpdate:
    async def test_edits_and_bumps_the_version(self, world: World) -> None:
        # given
        created = await world.create()
        # when
        payload = await world.payload(
            UPDATE,
            {
                "id": created["id"],
                "rowVersion": created["rowVersion"],
                "name": "Renamed",
                "kind": "CIVIC_PLATFORM",
                "website": None,
            },
        )
        # then
        updated = payload["organisation"]
        assert (updated["name"], updated["kind"], updated["rowVersion"]) == (
            "Renamed",
            "CIVIC_PLATFORM",
            2,
        )
        assert updated["slug"] == created["slug"]
        action, before, after = (await world.audit())[-1]
        assert action == "organisation.update"
        assert (before["name"], after["name"]) == ("Kenya Data Collective", "Renamed")
        assert (before["row_version"], after["row_version"]) == (1, 2)

    async def test_stale_row_version_is_a_conflict(self, world: World) -> None:
        created = await world.create()
        first = {"id": created["id"], "rowVersion": 1, "name": "First"}
        assert (await world.payload(UPDATE, first))["userErrors"] == []
        payload = await world.payload(UPDATE, first | {"name": "Lost"})
        assert _errors(payload) == {((), "CONFLICT")}
        name = await world.conn.scalar(
            sa.select(models.Organisation.name).where(models.Organisation.slug == created["slug"])
        )
        assert name == "First"

    async def test_user_errors(self, world: World) -> None:
        created = await world.create()
        payload = await world.payload(
            UPDATE, {"id": created["id"], "rowVersion": 1, "name": None, "country": "KE-30"}
        )
        assert _errors(payload) == {
            (("input", "name"), "REQUIRED"),
            (("input", "country"), "INVALID_CODE"),
        }

    @pytest.mark.parametrize(
        ("id_", "code"), [("T3JnYW5pc2F0aW9uOjA=", "NOT_FOUND"), ("nonsense", "INVALID_ID")]
    )
    async def test_unknown_or_bad_id(self, world: World, id_: str, code: str) -> None:
        payload = await world.payload(UPDATE, {"id": id_, "rowVersion": 1, "name": "x"})
        assert _errors(payload) == {(("input", "id"), code)}

    async def test_forbidden(self, world: World) -> None:
        created = await world.create()
        body = await world.call(
            UPDATE, {"id": created["id"], "rowVersion": 1, "name": "x"}, as_="COALITION_ADMIN"
        )
        _forbidden(body, "partnership:admin")


class TestDelete:
    async def test_deletes_an_unused_organisation(self, world: World) -> None:
        created = await world.create()
        payload = await world.payload(DELETE, {"id": created["id"], "rowVersion": 1})
        assert payload == {"deletedId": created["id"], "userErrors": []}
        count = await world.conn.scalar(
            sa.select(sa.func.count())
            .select_from(models.Organisation)
            .where(models.Organisation.slug == created["slug"])
        )
        assert count == 0
        action, before, after = (await world.audit())[-1]
        assert (action, before["slug"], after) == ("organisation.delete", created["slug"], None)

    async def test_refuses_while_users_clients_or_memberships_remain(self, world: World) -> None:
        # given the organisation the tokens' client belongs to, with a user and a membership
        user = await f.create_user(world.conn)
        await f.join_organisation(world.conn, user, world.home)
        await f.add_member(world.conn, world.coalition, world.home)
        gid = to_global_id("Organisation", world.home["id"])
        # when
        payload = await world.payload(DELETE, {"id": gid, "rowVersion": 1})
        # then
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == (["input", "id"], "INVALID_STATE")
        assert "1 user" in error["message"] and "1 OAuth client" in error["message"]
        assert world.coalition["code"] in error["message"]
        assert await world.audit() == []

    async def test_stale_row_version_is_a_conflict(self, world: World) -> None:
        created = await world.create()
        payload = await world.payload(DELETE, {"id": created["id"], "rowVersion": 7})
        assert _errors(payload) == {((), "CONFLICT")}

    async def test_forbidden(self, world: World) -> None:
        created = await world.create()
        body = await world.call(
            DELETE, {"id": created["id"], "rowVersion": 1}, as_="COALITION_ADMIN"
        )
        _forbidden(body, "partnership:admin")
