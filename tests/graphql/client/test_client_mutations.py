"""OAuth client mutations: the secret shown once and stored only hashed, scopes validated,
revocation effective on the next request, FORBIDDEN, audit."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.secrets import hash_secret
from lnob_api.graphql.ids import to_global_id

SCOPES = ("data:read", "data:write", "coalition:admin", "partnership:admin")
FIELDS = (
    "client { clientId name scopes redirectUris grantTypes isPublic revokedAt"
    " organisation { slug } }"
)
CREATE = (
    "mutation($input: ClientCreateInput!) { clientCreate(input: $input) {"
    f" {FIELDS} clientSecret userErrors {{ field code message }} }} }}"
)
REVOKE = (
    "mutation($input: ClientRevokeInput!) { clientRevoke(input: $input) {"
    f" {FIELDS} userErrors {{ field code message }} }} }}"
)


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        coalition = await f.create_coalition(self.conn)
        home = await f.create_organisation(self.conn)
        self.frontend = await f.create_client(self.conn, home)
        self.agency = await f.create_organisation(self.conn, kind="STATISTICS_AGENCY")
        await self.user("PARTNERSHIP", is_partnership_admin=True)
        admin = await self.user("COALITION_ADMIN")
        await f.give_role(self.conn, admin, coalition, "ADMIN")
        await self.user(
            "PARTNERSHIP_NO_SCOPE",
            is_partnership_admin=True,
            scopes=("data:read", "data:write", "coalition:admin"),
        )
        return self

    async def user(self, key: str, *, scopes: tuple[str, ...] = SCOPES, **overrides: Any) -> Any:
        user = await f.create_user(self.conn, **overrides)
        self.tokens[key] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)
        return user

    async def call(self, query: str, input: Any, as_: str | None) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": {"input": input}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def payload(self, query: str, input: Any, as_: str = "PARTNERSHIP") -> dict[str, Any]:
        body = await self.call(query, input, as_)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        return payload

    def input(self, **fields: Any) -> dict[str, Any]:
        base = {"organisation": self.agency["slug"], "name": "KNBS sync", "scopes": ["data:read"]}
        return base | fields

    async def create(self, **fields: Any) -> dict[str, Any]:
        payload = await self.payload(CREATE, self.input(**fields))
        assert payload["userErrors"] == [], payload
        return payload

    async def token(self, client_id: str, secret: str) -> httpx.Response:
        return await self.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
        )

    async def audit(self) -> list[tuple[str, str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(
                models.AuditEvent.action,
                models.AuditEvent.entity_id,
                models.AuditEvent.before,
                models.AuditEvent.after,
            )
            .where(models.AuditEvent.entity_type == "OAuthClient")
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
    async def test_machine_client_gets_its_secret_once(self, world: World) -> None:
        # when
        payload = await world.create(scopes=["data:read", "data:write"])
        client, secret = payload["client"], payload["clientSecret"]
        # then the secret works, and only its hash is stored
        assert secret and client["clientId"].startswith("lnob_")
        assert (client["scopes"], client["isPublic"], client["redirectUris"]) == (
            ["data:read", "data:write"],
            False,
            [],
        )
        assert client["grantTypes"] == ["client_credentials", "refresh_token"]
        assert client["organisation"] == {"slug": world.agency["slug"]}
        stored = await world.conn.scalar(
            sa.select(models.OAuthClient.secret_hash).where(
                models.OAuthClient.client_id == client["clientId"]
            )
        )
        assert stored == hash_secret(secret) != secret
        assert (await world.token(client["clientId"], secret)).status_code == 200
        # and the audit event names the client without any secret
        [(action, entity_id, before, after)] = await world.audit()
        assert (action, entity_id, before) == ("client.create", client["clientId"], None)
        assert after["scopes"] == ["data:read", "data:write"]
        assert secret not in json.dumps(after) and stored not in json.dumps(after)

    async def test_public_frontend_has_no_secret(self, world: World) -> None:
        payload = await world.create(
            organisation=to_global_id("Organisation", world.agency["id"]),
            public=True,
            redirectUris=["https://app.example.org/callback"],
        )
        assert payload["clientSecret"] is None
        assert payload["client"]["isPublic"] is True
        assert payload["client"]["grantTypes"] == ["authorization_code", "refresh_token"]

    async def test_user_errors_name_each_field(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            world.input(
                organisation="nobody",
                name=" ",
                scopes=["data:read", "everything"],
                redirectUris=["https://ok.example.org/cb", "http://evil.example.org/cb"],
            ),
        )
        assert (payload["client"], payload["clientSecret"]) == (None, None)
        assert _errors(payload) == {
            (("input", "organisation"), "NOT_FOUND"),
            (("input", "name"), "REQUIRED"),
            (("input", "scopes"), "INVALID"),
            (("input", "redirectUris", "1"), "INVALID"),
        }
        assert await world.audit() == []

    async def test_more_user_errors(self, world: World) -> None:
        empty = await world.payload(CREATE, world.input(scopes=[], name="n" * 201))
        assert _errors(empty) == {
            (("input", "scopes"), "REQUIRED"),
            (("input", "name"), "TOO_LONG"),
        }
        public = await world.payload(CREATE, world.input(public=True))
        assert _errors(public) == {(("input", "redirectUris"), "REQUIRED")}

    @pytest.mark.parametrize("who", ["COALITION_ADMIN", "PARTNERSHIP_NO_SCOPE", None])
    async def test_forbidden(self, world: World, who: str | None) -> None:
        _forbidden(await world.call(CREATE, world.input(), who), "partnership:admin")
        assert await world.audit() == []


class TestRevoke:
    async def test_revokes_from_the_next_request(self, world: World) -> None:
        created = await world.create()
        client_id, secret = created["client"]["clientId"], created["clientSecret"]
        token = token_for(world.keys, client={"client_id": client_id}, scopes=("data:read",))
        viewer = "{ viewer { clientId } }"
        before = await world.client.post("/graphql", json={"query": viewer}, headers=bearer(token))
        assert before.status_code == 200
        # when
        payload = await world.payload(REVOKE, {"clientId": client_id})
        # then
        assert payload["client"]["revokedAt"] is not None
        after = await world.client.post("/graphql", json={"query": viewer}, headers=bearer(token))
        assert after.status_code == 401
        assert (await world.token(client_id, secret)).status_code != 200
        action, entity_id, old, new = (await world.audit())[-1]
        assert (action, entity_id, old["revoked_at"]) == ("client.revoke", client_id, None)
        assert new["revoked_at"] is not None

    async def test_user_errors(self, world: World) -> None:
        created = await world.create()
        client_id = created["client"]["clientId"]
        await world.payload(REVOKE, {"clientId": client_id})
        again = await world.payload(REVOKE, {"clientId": client_id})
        assert _errors(again) == {(("input", "clientId"), "INVALID_STATE")}
        nobody = await world.payload(REVOKE, {"clientId": "lnob_nobody"})
        assert _errors(nobody) == {(("input", "clientId"), "NOT_FOUND")}

    @pytest.mark.parametrize("who", ["COALITION_ADMIN", "PARTNERSHIP_NO_SCOPE"])
    async def test_forbidden(self, world: World, who: str) -> None:
        created = await world.create()
        client_id = created["client"]["clientId"]
        _forbidden(await world.call(REVOKE, {"clientId": client_id}, who), "partnership:admin")
