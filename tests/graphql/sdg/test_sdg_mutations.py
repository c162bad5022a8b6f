"""Custom indicator mutations: codes, targets, read-only SDG indicators, FORBIDDEN, audit."""

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
FIELDS = "indicator { id code targetCode title unit description isCustom rowVersion }"


def _mutation(name: str, selection: str) -> str:
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { field code message } } }"
    )


CREATE = _mutation("customIndicatorCreate", FIELDS)
UPDATE = _mutation("customIndicatorUpdate", FIELDS)


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        self.other = await f.create_coalition(self.conn)
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

    async def create(self, **fields: Any) -> dict[str, Any]:
        input = {
            "coalition": self.coalition["code"],
            "target": "1.2",
            "title": "Households of persons with disabilities below the poverty line",
            "unit": "PERCENT",
        }
        payload = await self.payload(CREATE, input | fields)
        assert payload["userErrors"] == [], payload
        return payload["indicator"]

    async def audit(self) -> list[tuple[str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action, models.AuditEvent.before, models.AuditEvent.after)
            .where(models.AuditEvent.entity_type == "Indicator")
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
    async def test_codes_are_numbered_per_coalition(self, world: World) -> None:
        code = world.coalition["code"]
        first = await world.create(target="1.A")
        assert (first["code"], first["targetCode"], first["isCustom"]) == (
            f"{code}-C-0001",
            "1.a",
            True,
        )
        # a gap left by an older indicator is not reused: numbering continues after the highest
        await world.conn.execute(
            sa.insert(models.Indicator.__table__).values(
                code=f"{code}-C-0007",
                target_code="1.2",
                title="Older",
                coalition_id=world.coalition["id"],
                sort_key=f"~~{code}-C-0007",
            )
        )
        assert (await world.create())["code"] == f"{code}-C-0008"
        [(action, before, after), _] = await world.audit()
        assert (action, before, after["code"]) == ("indicator.create", None, f"{code}-C-0001")

    async def test_user_errors_name_each_field(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            {"coalition": world.coalition["code"], "target": "99.9", "title": "", "unit": "u" * 81},
        )
        assert payload["indicator"] is None
        assert _errors(payload) == {
            (("input", "target"), "INVALID_CODE"),
            (("input", "title"), "REQUIRED"),
            (("input", "unit"), "TOO_LONG"),
        }
        unknown = await world.payload(CREATE, {"coalition": "ZZ", "target": "1.2", "title": "t"})
        assert _errors(unknown) == {(("input", "coalition"), "INVALID_CODE")}
        assert await world.audit() == []

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
        input = {"coalition": world.coalition["code"], "target": "1.2", "title": "t"}
        _forbidden(await world.call(CREATE, input, who), message)


class TestUpdate:
    async def test_editor_edits(self, world: World) -> None:
        created = await world.create()
        payload = await world.payload(
            UPDATE,
            {
                "id": created["id"],
                "rowVersion": 1,
                "title": "Renamed",
                "unit": None,
                "target": "1.4",
            },
        )
        updated = payload["indicator"]
        assert (updated["title"], updated["unit"], updated["targetCode"]) == (
            "Renamed",
            None,
            "1.4",
        )
        assert (updated["code"], updated["rowVersion"]) == (created["code"], 2)
        action, before, after = (await world.audit())[-1]
        assert (action, before["unit"], after["unit"]) == ("indicator.update", "PERCENT", None)

    async def test_global_indicators_are_read_only(self, world: World) -> None:
        global_id = to_global_id("Indicator", await f.indicator_id(world.conn, "1.1.1"))
        payload = await world.payload(UPDATE, {"id": global_id, "rowVersion": 1, "title": "x"})
        assert _errors(payload) == {(("input", "id"), "INVALID_STATE")}

    async def test_user_errors(self, world: World) -> None:
        created = await world.create()
        payload = await world.payload(
            UPDATE, {"id": created["id"], "rowVersion": 1, "target": "1", "title": None}
        )
        assert _errors(payload) == {
            (("input", "target"), "INVALID_CODE"),
            (("input", "title"), "REQUIRED"),
        }
        missing = await world.payload(
            UPDATE, {"id": to_global_id("Indicator", 0), "rowVersion": 1, "title": "x"}
        )
        assert _errors(missing) == {(("input", "id"), "NOT_FOUND")}

    async def test_stale_row_version_is_a_conflict(self, world: World) -> None:
        created = await world.create()
        change = {"id": created["id"], "rowVersion": 1, "title": "First"}
        assert (await world.payload(UPDATE, change))["userErrors"] == []
        assert _errors(await world.payload(UPDATE, change | {"title": "Lost"})) == {
            ((), "CONFLICT")
        }

    @pytest.mark.parametrize(
        ("who", "message"), [("VIEWER", "EDITOR role"), ("OUTSIDER", "EDITOR role")]
    )
    async def test_forbidden(self, world: World, who: str, message: str) -> None:
        created = await world.create()
        body = await world.call(UPDATE, {"id": created["id"], "rowVersion": 1, "title": "x"}, who)
        _forbidden(body, message)
        assert [a for a, _, _ in await world.audit()] == ["indicator.create"]
