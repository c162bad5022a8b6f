"""Local area mutations: codes under a subdivision, renames with updatedAt as the lock,
read-only ISO areas, FORBIDDEN, audit."""

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

SCOPES = ("data:read", "data:write")
FIELDS = "area { id code name level type countryCode updatedAt parent { code } ancestors { code } }"


def _mutation(name: str, selection: str) -> str:
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { field code message } } }"
    )


CREATE = _mutation("localAreaCreate", FIELDS)
UPDATE = _mutation("localAreaUpdate", FIELDS)


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        self.other = await f.create_coalition(self.conn)
        self.subdivision = await self.conn.scalar(
            sa.select(models.Area.code)
            .where(
                models.Area.country_code == self.coalition["code"],
                models.Area.level == "SUBDIVISION",
            )
            .order_by(models.Area.code)
            .limit(1)
        )
        org = await f.create_organisation(self.conn)
        self.frontend = await f.create_client(self.conn, org)
        for role in ("VIEWER", "EDITOR"):
            await self.user(role, role)
        await self.user("EDITOR_READ_ONLY", "EDITOR", scopes=("data:read",))
        await self.user("OUTSIDER", "EDITOR", coalition=self.other)
        return self

    async def user(
        self, key: str, role: str, *, coalition: Any = None, scopes: tuple[str, ...] = SCOPES
    ) -> None:
        user = await f.create_user(self.conn)
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

    def input(self, **fields: Any) -> dict[str, Any]:
        base = {
            "coalition": self.coalition["code"],
            "parent": self.subdivision,
            "code": "W001",
            "name": "Ward One",
            "type": "Ward",
        }
        return base | fields

    async def create(self, **fields: Any) -> dict[str, Any]:
        payload = await self.payload(CREATE, self.input(**fields))
        assert payload["userErrors"] == [], payload
        return payload["area"]

    async def audit(self) -> list[tuple[str, str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(
                models.AuditEvent.action,
                models.AuditEvent.entity_id,
                models.AuditEvent.before,
                models.AuditEvent.after,
            )
            .where(models.AuditEvent.entity_type == "Area")
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
    async def test_editor_registers_under_a_subdivision_and_a_local_area(
        self, world: World
    ) -> None:
        ward = await world.create(code="w001")
        code = f"{world.subdivision}-W001"
        assert (ward["code"], ward["level"], ward["type"]) == (code, "LOCAL", "Ward")
        assert ward["parent"] == {"code": world.subdivision}
        ancestors = [a["code"] for a in ward["ancestors"]]
        assert (ancestors[0], ancestors[-1]) == (world.coalition["code"], world.subdivision)
        village = await world.create(parent=code.lower(), code="V01", name="Village", type=None)
        assert (village["code"], village["type"]) == (f"{code}-V01", "")
        assert [a["code"] for a in village["ancestors"]][-1] == code
        [(action, entity_id, before, after), _] = await world.audit()
        assert (action, entity_id, before, after["name"]) == ("area.create", code, None, "Ward One")

    async def test_user_errors_name_each_field(self, world: World) -> None:
        payload = await world.payload(
            CREATE, world.input(parent="KE-30", code="W-1", name=" ", type="t" * 81)
        )
        assert payload["area"] is None
        assert _errors(payload) == {
            (("input", "parent"), "INVALID"),
            (("input", "code"), "INVALID_CODE"),
            (("input", "name"), "REQUIRED"),
            (("input", "type"), "TOO_LONG"),
        }
        assert await world.audit() == []

    @pytest.mark.parametrize(
        ("fields", "field", "code"),
        [
            ({"parent": "ZZ-99"}, "parent", "INVALID_CODE"),
            ({"parent": "COUNTRY"}, "parent", "INVALID"),
            ({"code": "X" * 40}, "code", "TOO_LONG"),
            ({"coalition": "ZZ"}, "coalition", "INVALID_CODE"),
        ],
    )
    async def test_single_problems(
        self, world: World, fields: dict[str, Any], field: str, code: str
    ) -> None:
        if fields.get("parent") == "COUNTRY":
            fields = {"parent": world.coalition["code"]}
        payload = await world.payload(CREATE, world.input(**fields))
        assert _errors(payload) == {(("input", field), code)}

    async def test_codes_are_unique(self, world: World) -> None:
        await world.create()
        payload = await world.payload(CREATE, world.input(name="Again"))
        assert _errors(payload) == {(("input", "code"), "NOT_UNIQUE")}

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
        _forbidden(await world.call(CREATE, world.input(), who), message)


class TestUpdate:
    async def test_editor_renames(self, world: World) -> None:
        ward = await world.create()
        payload = await world.payload(
            UPDATE, {"id": ward["id"], "updatedAt": ward["updatedAt"], "name": "Ward 1"}
        )
        updated = payload["area"]
        assert (updated["name"], updated["type"], updated["code"]) == (
            "Ward 1",
            "Ward",
            ward["code"],
        )
        assert updated["updatedAt"] != ward["updatedAt"]
        action, entity_id, before, after = (await world.audit())[-1]
        assert (action, entity_id, before["name"], after["name"]) == (
            "area.update",
            ward["code"],
            "Ward One",
            "Ward 1",
        )

    async def test_stale_updated_at_is_a_conflict(self, world: World) -> None:
        ward = await world.create()
        change = {"id": ward["id"], "updatedAt": ward["updatedAt"], "name": "First"}
        assert (await world.payload(UPDATE, change))["userErrors"] == []
        assert _errors(await world.payload(UPDATE, change | {"name": "Lost"})) == {((), "CONFLICT")}

    async def test_iso_areas_are_read_only(self, world: World) -> None:
        iso = to_global_id("Area", world.subdivision)
        payload = await world.payload(
            UPDATE, {"id": iso, "updatedAt": "2024-01-01T00:00:00Z", "name": "x"}
        )
        assert _errors(payload) == {(("input", "id"), "INVALID_STATE")}

    async def test_user_errors(self, world: World) -> None:
        ward = await world.create()
        blank = await world.payload(
            UPDATE, {"id": ward["id"], "updatedAt": ward["updatedAt"], "name": None}
        )
        assert _errors(blank) == {(("input", "name"), "REQUIRED")}
        for id_, code in (
            (to_global_id("Area", "ZZ-NOPE"), "NOT_FOUND"),
            (to_global_id("Project", 1), "INVALID_ID"),
        ):
            payload = await world.payload(
                UPDATE, {"id": id_, "updatedAt": ward["updatedAt"], "name": "x"}
            )
            assert _errors(payload) == {(("input", "id"), code)}

    @pytest.mark.parametrize("who", ["VIEWER", "OUTSIDER"])
    async def test_forbidden(self, world: World, who: str) -> None:
        ward = await world.create()
        input = {"id": ward["id"], "updatedAt": ward["updatedAt"], "name": "x"}
        _forbidden(await world.call(UPDATE, input, who), "EDITOR role")
