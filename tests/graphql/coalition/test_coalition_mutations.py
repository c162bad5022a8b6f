"""Coalition mutations: create, update, member organisations; user errors, FORBIDDEN, audit."""

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
FIELDS = (
    "coalition { id code slug name description launchedYear cohort suppressionThreshold"
    " rowVersion }"
)
MEMBERSHIP = "membership { role coalition { code } organisation { slug } }"


def _mutation(name: str, selection: str) -> str:
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { field code message } } }"
    )


CREATE = _mutation("coalitionCreate", FIELDS)
UPDATE = _mutation("coalitionUpdate", FIELDS)
ADD = _mutation("coalitionMemberAdd", MEMBERSHIP)
CHANGE = _mutation("coalitionMemberUpdate", MEMBERSHIP)
REMOVE = _mutation("coalitionMemberRemove", MEMBERSHIP)


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        self.other = await f.create_coalition(self.conn)
        self.home = await f.create_organisation(self.conn)
        self.frontend = await f.create_client(self.conn, self.home)
        self.org = await f.create_organisation(self.conn)
        await self.user("PARTNERSHIP", is_partnership_admin=True)
        await self.user("ADMIN", role="ADMIN")
        await self.user("ADMIN_NO_SCOPE", role="ADMIN", scopes=("data:read", "data:write"))
        await self.user("EDITOR", role="EDITOR")
        await self.user("OTHER_ADMIN", role="ADMIN", coalition=self.other)
        self.id = to_global_id("Coalition", self.coalition["id"])
        return self

    async def user(
        self,
        name: str,
        *,
        role: str | None = None,
        coalition: Any = None,
        scopes: tuple[str, ...] = ALL_SCOPES,
        **overrides: Any,
    ) -> Any:
        user = await f.create_user(self.conn, **overrides)
        if role is not None:
            await f.give_role(self.conn, user, coalition or self.coalition, role)
        self.tokens[name] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)
        return user

    async def call(self, query: str, input: dict[str, Any], as_: str | None) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": {"input": input}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def payload(self, query: str, input: dict[str, Any], as_: str) -> dict[str, Any]:
        body = await self.call(query, input, as_)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        return payload

    async def audit(self, entity_type: str) -> list[tuple[str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action, models.AuditEvent.before, models.AuditEvent.after)
            .where(models.AuditEvent.entity_type == entity_type)
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
    async def test_partnership_admin_opens_a_coalition(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            {"code": "ar", "name": "LNOB Argentina", "launchedYear": 2024, "cohort": "2024"},
            "PARTNERSHIP",
        )
        created = payload["coalition"]
        assert (created["code"], created["slug"], created["suppressionThreshold"]) == (
            "AR",
            "lnob-argentina",
            5,
        )
        [(action, before, after)] = await world.audit("Coalition")
        assert (action, before, after["code"], after["launched_year"]) == (
            "coalition.create",
            None,
            "AR",
            2024,
        )

    async def test_user_errors_name_each_field(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            {
                "code": "KE-30",
                "name": "",
                "cohort": "c" * 41,
                "launchedYear": 1990,
                "suppressionThreshold": -1,
            },
            "PARTNERSHIP",
        )
        assert payload["coalition"] is None
        assert _errors(payload) == {
            (("input", "code"), "INVALID_CODE"),
            (("input", "name"), "REQUIRED"),
            (("input", "cohort"), "TOO_LONG"),
            (("input", "launchedYear"), "INVALID"),
            (("input", "suppressionThreshold"), "INVALID"),
        }
        assert await world.audit("Coalition") == []

    async def test_a_country_has_one_coalition(self, world: World) -> None:
        payload = await world.payload(
            CREATE, {"code": world.coalition["code"], "name": "Again"}, "PARTNERSHIP"
        )
        assert _errors(payload) == {(("input", "code"), "NOT_UNIQUE")}

    async def test_taken_slug(self, world: World) -> None:
        payload = await world.payload(
            CREATE, {"code": "AR", "name": "x", "slug": world.coalition["slug"]}, "PARTNERSHIP"
        )
        assert _errors(payload) == {(("input", "slug"), "NOT_UNIQUE")}

    @pytest.mark.parametrize("who", ["ADMIN", None])
    async def test_forbidden(self, world: World, who: str | None) -> None:
        body = await world.call(CREATE, {"code": "AR", "name": "x"}, who)
        _forbidden(body, "partnership:admin")


class TestUpdate:
    async def test_partnership_admin_edits_anything(self, world: World) -> None:
        payload = await world.payload(
            UPDATE,
            {"id": world.id, "rowVersion": 1, "name": "Renamed", "launchedYear": None},
            "PARTNERSHIP",
        )
        assert payload["userErrors"] == []
        assert (payload["coalition"]["name"], payload["coalition"]["rowVersion"]) == ("Renamed", 2)
        [(action, before, after)] = await world.audit("Coalition")
        assert action == "coalition.update"
        assert (before["name"], after["name"]) == (world.coalition["name"], "Renamed")

    async def test_coalition_admin_sets_description_and_threshold(self, world: World) -> None:
        payload = await world.payload(
            UPDATE,
            {"id": world.id, "rowVersion": 1, "description": "Ours", "suppressionThreshold": 10},
            "ADMIN",
        )
        updated = payload["coalition"]
        assert (updated["description"], updated["suppressionThreshold"]) == ("Ours", 10)
        [(_, before, after)] = await world.audit("Coalition")
        assert (before["suppression_threshold"], after["suppression_threshold"]) == (5, 10)

    async def test_coalition_admin_cannot_rename(self, world: World) -> None:
        body = await world.call(UPDATE, {"id": world.id, "rowVersion": 1, "name": "Mine"}, "ADMIN")
        _forbidden(body, "name need a partnership admin")

    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("EDITOR", "ADMIN role"),
            ("OTHER_ADMIN", "ADMIN role"),
            ("ADMIN_NO_SCOPE", "coalition:admin or partnership:admin"),
            (None, "coalition:admin or partnership:admin"),
        ],
    )
    async def test_forbidden(self, world: World, who: str | None, message: str) -> None:
        body = await world.call(UPDATE, {"id": world.id, "rowVersion": 1, "description": "x"}, who)
        _forbidden(body, message)
        assert await world.audit("Coalition") == []

    async def test_stale_row_version_is_a_conflict(self, world: World) -> None:
        change = {"id": world.id, "rowVersion": 1, "description": "first"}
        assert (await world.payload(UPDATE, change, "ADMIN"))["userErrors"] == []
        payload = await world.payload(UPDATE, change | {"description": "lost"}, "ADMIN")
        assert _errors(payload) == {((), "CONFLICT")}

    async def test_user_errors(self, world: World) -> None:
        payload = await world.payload(
            UPDATE,
            {"id": world.id, "rowVersion": 1, "suppressionThreshold": None, "description": "d"},
            "ADMIN",
        )
        assert _errors(payload) == {(("input", "suppressionThreshold"), "REQUIRED")}
        missing = await world.payload(
            UPDATE,
            {"id": to_global_id("Coalition", 0), "rowVersion": 1, "description": "d"},
            "PARTNERSHIP",
        )
        assert _errors(missing) == {(("input", "id"), "NOT_FOUND")}


class TestMembers:
    async def test_add_update_remove(self, world: World) -> None:
        # when an admin adds an organisation by slug
        ref = {"coalition": world.coalition["code"].lower(), "organisation": world.org["slug"]}
        added = await world.payload(ADD, ref | {"role": "OBSERVER"}, "ADMIN")
        # then
        assert added == {
            "membership": {
                "role": "OBSERVER",
                "coalition": {"code": world.coalition["code"]},
                "organisation": {"slug": world.org["slug"]},
            },
            "userErrors": [],
        }
        # when its role changes (named by its global id)
        by_id = ref | {"organisation": to_global_id("Organisation", world.org["id"])}
        changed = await world.payload(CHANGE, by_id | {"role": "LEAD"}, "ADMIN")
        assert changed["membership"]["role"] == "LEAD"
        # when it is removed
        removed = await world.payload(REMOVE, ref, "PARTNERSHIP")
        assert removed["membership"]["role"] == "LEAD"
        count = await world.conn.scalar(
            sa.select(sa.func.count())
            .select_from(models.CoalitionMember)
            .where(models.CoalitionMember.organisation_id == world.org["id"])
        )
        assert count == 0
        # then each change is audited with its before and after
        events = await world.audit("CoalitionMember")
        assert [e[0] for e in events] == [
            "coalition_member.add",
            "coalition_member.update",
            "coalition_member.remove",
        ]
        assert events[0][1] is None and events[0][2]["role"] == "OBSERVER"
        assert (events[1][1]["role"], events[1][2]["role"]) == ("OBSERVER", "LEAD")
        assert (events[2][1]["role"], events[2][2]) == ("LEAD", None)

    async def test_user_errors(self, world: World) -> None:
        ref = {"coalition": world.coalition["code"], "organisation": world.org["slug"]}
        await world.payload(ADD, ref, "ADMIN")
        again = await world.payload(ADD, ref, "ADMIN")
        assert _errors(again) == {(("input", "organisation"), "NOT_UNIQUE")}
        nobody = await world.payload(ADD, ref | {"organisation": "nobody"}, "ADMIN")
        assert _errors(nobody) == {(("input", "organisation"), "NOT_FOUND")}
        nowhere = await world.payload(ADD, ref | {"coalition": "ZZ"}, "ADMIN")
        assert _errors(nowhere) == {(("input", "coalition"), "INVALID_CODE")}
        outsider = {"coalition": world.coalition["code"], "organisation": world.home["slug"]}
        for query in (CHANGE, REMOVE):
            extra = {"role": "LEAD"} if query is CHANGE else {}
            payload = await world.payload(query, outsider | extra, "ADMIN")
            assert _errors(payload) == {(("input", "organisation"), "NOT_FOUND")}

    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("EDITOR", "ADMIN role"),
            ("OTHER_ADMIN", "ADMIN role"),
            ("ADMIN_NO_SCOPE", "coalition:admin"),
        ],
    )
    async def test_forbidden(self, world: World, who: str, message: str) -> None:
        ref = {"coalition": world.coalition["code"], "organisation": world.org["slug"]}
        for query, extra in ((ADD, {}), (CHANGE, {"role": "LEAD"}), (REMOVE, {})):
            _forbidden(await world.call(query, ref | extra, who), message)
        assert await world.audit("CoalitionMember") == []
