"""Coalition role mutations: grant, revoke, the last ADMIN, FORBIDDEN, audit."""

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

SCOPES = ("data:read", "data:write", "coalition:admin")
ASSIGNMENT = "assignment { role user { email name } coalition { code } }"
GRANT = (
    "mutation($input: CoalitionRoleGrantInput!) { coalitionRoleGrant(input: $input) {"
    f" {ASSIGNMENT} userErrors {{ field code message }} }} }}"
)
REVOKE = (
    "mutation($input: CoalitionRoleRevokeInput!) { coalitionRoleRevoke(input: $input) {"
    f" {ASSIGNMENT} userErrors {{ field code message }} }} }}"
)
ROLES = "{ viewer { roles { role coalition { code } } } }"


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}
        self.users: dict[str, Any] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        self.other = await f.create_coalition(self.conn)
        org = await f.create_organisation(self.conn)
        self.frontend = await f.create_client(self.conn, org)
        await self.user("ADMIN", role="ADMIN")
        # an admin of the other coalition, so that ADMIN is the last admin of this one
        await self.user("ADMIN_NO_SCOPE", role="ADMIN", coalition=self.other, scopes=("data:read",))
        await self.user("EDITOR", role="EDITOR")
        await self.user("OTHER_ADMIN", role="ADMIN", coalition=self.other)
        await self.user(
            "PARTNERSHIP", is_partnership_admin=True, scopes=(*SCOPES, "partnership:admin")
        )
        await self.user("NEWCOMER", email="Newcomer@Example.org", name="Newcomer")
        return self

    async def user(
        self,
        key: str,
        *,
        role: str | None = None,
        coalition: Any = None,
        scopes: tuple[str, ...] = SCOPES,
        **overrides: Any,
    ) -> None:
        user = await f.create_user(self.conn, **overrides)
        if role is not None:
            await f.give_role(self.conn, user, coalition or self.coalition, role)
        self.users[key] = user
        self.tokens[key] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)

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

    def ref(self, name: str) -> dict[str, str]:
        return {"coalition": self.coalition["code"], "user": self.users[name]["email"]}

    async def audit(self) -> list[tuple[str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action, models.AuditEvent.before, models.AuditEvent.after)
            .where(models.AuditEvent.entity_type == "CoalitionUserRole")
            .order_by(models.AuditEvent.id)
        )
        return [tuple(r) for r in rows]


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


def _errors(payload: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}


class TestGrant:
    async def test_admin_grants_and_it_applies_next_request(self, world: World) -> None:
        # when (the e-mail matches whatever its case)
        payload = await world.payload(
            GRANT,
            {
                "coalition": world.coalition["code"],
                "user": "newcomer@example.ORG",
                "role": "EDITOR",
            },
            "ADMIN",
        )
        # then
        assert payload == {
            "assignment": {
                "role": "EDITOR",
                "user": {"email": "Newcomer@Example.org", "name": "Newcomer"},
                "coalition": {"code": world.coalition["code"]},
            },
            "userErrors": [],
        }
        viewer = await world.call(ROLES, {}, "NEWCOMER")
        assert viewer["data"]["viewer"]["roles"] == [
            {"role": "EDITOR", "coalition": {"code": world.coalition["code"]}}
        ]
        [(action, before, after)] = await world.audit()
        assert (action, before, after["role"]) == ("coalition_role.grant", None, "EDITOR")

    async def test_grant_replaces_the_role(self, world: World) -> None:
        payload = await world.payload(GRANT, world.ref("EDITOR") | {"role": "ADMIN"}, "ADMIN")
        assert payload["assignment"]["role"] == "ADMIN"
        [(_, before, after)] = await world.audit()
        assert (before["role"], after["role"]) == ("EDITOR", "ADMIN")

    async def test_the_last_admin_stays_an_admin(self, world: World) -> None:
        payload = await world.payload(GRANT, world.ref("ADMIN") | {"role": "VIEWER"}, "ADMIN")
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == (["input", "user"], "INVALID_STATE")
        assert "last ADMIN" in error["message"]
        assert await world.audit() == []

    async def test_an_admin_steps_down_once_there_is_another(self, world: World) -> None:
        await world.payload(GRANT, world.ref("EDITOR") | {"role": "ADMIN"}, "ADMIN")
        payload = await world.payload(GRANT, world.ref("ADMIN") | {"role": "VIEWER"}, "ADMIN")
        assert payload["assignment"]["role"] == "VIEWER"

    async def test_user_errors(self, world: World) -> None:
        nobody = await world.payload(
            GRANT,
            {"coalition": world.coalition["code"], "user": "nobody@x.org", "role": "VIEWER"},
            "ADMIN",
        )
        assert _errors(nobody) == {(("input", "user"), "NOT_FOUND")}
        nowhere = await world.payload(
            GRANT, world.ref("NEWCOMER") | {"coalition": "ZZ", "role": "VIEWER"}, "ADMIN"
        )
        assert _errors(nowhere) == {(("input", "coalition"), "INVALID_CODE")}

    async def test_partnership_admin_may_grant(self, world: World) -> None:
        payload = await world.payload(
            GRANT, world.ref("NEWCOMER") | {"role": "ADMIN"}, "PARTNERSHIP"
        )
        assert payload["assignment"]["role"] == "ADMIN"

    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("EDITOR", "ADMIN role"),
            ("OTHER_ADMIN", "ADMIN role"),
            ("ADMIN_NO_SCOPE", "coalition:admin"),
            (None, "coalition:admin"),
        ],
    )
    async def test_forbidden(self, world: World, who: str | None, message: str) -> None:
        for query, extra in ((GRANT, {"role": "ADMIN"}), (REVOKE, {})):
            body = await world.call(query, world.ref("EDITOR") | extra, who)
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert message in body["errors"][0]["message"]
        assert await world.audit() == []


class TestRevoke:
    async def test_admin_revokes(self, world: World) -> None:
        payload = await world.payload(REVOKE, world.ref("EDITOR"), "ADMIN")
        assert payload["assignment"]["role"] == "EDITOR"
        viewer = await world.call(ROLES, {}, "EDITOR")
        assert viewer["data"]["viewer"]["roles"] == []
        [(action, before, after)] = await world.audit()
        assert (action, before["role"], after) == ("coalition_role.revoke", "EDITOR", None)

    async def test_the_last_admin_cannot_be_removed(self, world: World) -> None:
        payload = await world.payload(REVOKE, world.ref("ADMIN"), "PARTNERSHIP")
        assert _errors(payload) == {(("input", "user"), "INVALID_STATE")}

    async def test_no_role_to_revoke(self, world: World) -> None:
        payload = await world.payload(REVOKE, world.ref("NEWCOMER"), "ADMIN")
        assert _errors(payload) == {(("input", "user"), "NOT_FOUND")}
