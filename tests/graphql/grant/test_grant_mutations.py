"""Grant mutations: open and revoke access, effective on the next request; user errors,
FORBIDDEN, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
    "grant { id clientId expiresAt revokedAt note status coalition { code }"
    " dataset { slug } organisation { slug } }"
)
CREATE = (
    "mutation($input: GrantCreateInput!) { grantCreate(input: $input) {"
    f" {FIELDS} userErrors {{ field code message }} }} }}"
)
REVOKE = (
    "mutation($input: GrantRevokeInput!) { grantRevoke(input: $input) {"
    f" {FIELDS} userErrors {{ field code message }} }} }}"
)
PROBE = "query($input: String!) { dataset(slug: $input) { slug } }"


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        self.other = await f.create_coalition(self.conn)
        home = await f.create_organisation(self.conn)
        self.frontend = await f.create_client(self.conn, home)
        self.dataset = await f.create_dataset(self.conn, self.coalition, visibility="COALITION")
        self.foreign = await f.create_dataset(self.conn, self.other, visibility="COALITION")
        self.agency = await f.create_organisation(self.conn, kind="STATISTICS_AGENCY")
        self.machine = await f.create_client(self.conn, self.agency, scopes=["data:read"])
        self.tokens["MACHINE"] = token_for(self.keys, client=self.machine, scopes=("data:read",))
        await self.user("ADMIN", "ADMIN")
        await self.user("EDITOR", "EDITOR")
        await self.user("ADMIN_NO_SCOPE", "ADMIN", scopes=("data:read", "data:write"))
        await self.user("OTHER_ADMIN", "ADMIN", coalition=self.other)
        grantee = await self.user("GRANTEE_ADMIN", "ADMIN", coalition=self.other)
        await f.join_organisation(self.conn, grantee, self.agency)
        return self

    async def user(
        self, key: str, role: str, *, coalition: Any = None, scopes: tuple[str, ...] = SCOPES
    ) -> Any:
        user = await f.create_user(self.conn)
        await f.give_role(self.conn, user, coalition or self.coalition, role)
        self.tokens[key] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)
        return user

    async def call(self, query: str, input: Any, as_: str | None) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": {"input": input}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def payload(self, query: str, input: Any, as_: str = "ADMIN") -> dict[str, Any]:
        body = await self.call(query, input, as_)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        return payload

    def input(self, **fields: Any) -> dict[str, Any]:
        return {"coalition": self.coalition["code"], "organisation": self.agency["slug"]} | fields

    async def create(self, **fields: Any) -> dict[str, Any]:
        payload = await self.payload(CREATE, self.input(**fields))
        assert payload["userErrors"] == [], payload
        return payload["grant"]

    async def machine_sees_the_dataset(self) -> bool:
        body = await self.call(PROBE, self.dataset["slug"], "MACHINE")
        return body["data"]["dataset"] is not None

    async def audit(self) -> list[tuple[str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action, models.AuditEvent.before, models.AuditEvent.after)
            .where(models.AuditEvent.entity_type == "Grant")
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
    async def test_opens_the_coalition_to_an_organisation_from_the_next_request(
        self, world: World
    ) -> None:
        assert not await world.machine_sees_the_dataset()
        grant = await world.create(note=" statistics review ")
        assert (grant["status"], grant["dataset"], grant["clientId"]) == ("ACTIVE", None, None)
        assert grant["organisation"] == {"slug": world.agency["slug"]}
        assert grant["coalition"] == {"code": world.coalition["code"]}
        assert grant["note"] == "statistics review"
        assert await world.machine_sees_the_dataset()
        [(action, before, after)] = await world.audit()
        assert (action, before) == ("grant.create", None)
        assert (after["organisation_slug"], after["revoked_at"]) == (world.agency["slug"], None)

    async def test_opens_one_dataset_to_a_client_until_a_moment(self, world: World) -> None:
        until = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
        grant = await world.create(
            organisation=None,
            client=world.machine["client_id"],
            dataset=to_global_id("Dataset", world.dataset["id"]),
            expiresAt=until.isoformat(),
        )
        assert (grant["clientId"], grant["organisation"]) == (world.machine["client_id"], None)
        assert grant["dataset"] == {"slug": world.dataset["slug"]}
        assert datetime.fromisoformat(grant["expiresAt"]) == until
        assert await world.machine_sees_the_dataset()

    async def test_user_errors(self, world: World) -> None:
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        gone = await f.create_client(world.conn, world.agency, revoked_at=datetime.now(UTC))
        cases: list[tuple[dict[str, Any], set[tuple[tuple[str, ...], str]]]] = [
            ({"organisation": None}, {(("input", "organisation"), "REQUIRED")}),
            ({"client": world.machine["client_id"]}, {(("input", "organisation"), "INVALID")}),
            ({"organisation": "nobody"}, {(("input", "organisation"), "NOT_FOUND")}),
            (
                {"organisation": None, "client": "lnob_nobody"},
                {(("input", "client"), "NOT_FOUND")},
            ),
            (
                {"organisation": None, "client": gone["client_id"]},
                {(("input", "client"), "INVALID_STATE")},
            ),
            (
                {"dataset": to_global_id("Dataset", world.foreign["id"])},
                {(("input", "dataset"), "NOT_FOUND")},
            ),
            ({"dataset": to_global_id("Project", 1)}, {(("input", "dataset"), "INVALID_ID")}),
            ({"expiresAt": past}, {(("input", "expiresAt"), "INVALID")}),
            ({"note": "n" * 2001}, {(("input", "note"), "TOO_LONG")}),
            ({"coalition": "ZZ"}, {(("input", "coalition"), "INVALID_CODE")}),
        ]
        for fields, expected in cases:
            payload = await world.payload(CREATE, world.input(**fields))
            assert (fields, _errors(payload)) == (fields, expected)
            assert payload["grant"] is None
        assert await world.audit() == []

    async def test_one_live_grant_of_a_reach(self, world: World) -> None:
        await world.create()
        payload = await world.payload(CREATE, world.input())
        assert _errors(payload) == {(("input", "organisation"), "NOT_UNIQUE")}

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
        _forbidden(await world.call(CREATE, world.input(), who), message)
        assert not await world.machine_sees_the_dataset()


class TestRevoke:
    async def test_revokes_from_the_next_request(self, world: World) -> None:
        grant = await world.create()
        payload = await world.payload(REVOKE, {"id": grant["id"]})
        assert payload["grant"]["status"] == "REVOKED"
        assert payload["grant"]["revokedAt"] is not None
        assert not await world.machine_sees_the_dataset()
        action, before, after = (await world.audit())[-1]
        assert (action, before["revoked_at"]) == ("grant.revoke", None)
        assert after["revoked_at"] is not None
        again = await world.payload(REVOKE, {"id": grant["id"]})
        assert _errors(again) == {(("input", "id"), "INVALID_STATE")}

    async def test_unknown_or_unmanaged_grants_are_not_found(self, world: World) -> None:
        grant = await world.create()
        for id_, who in ((to_global_id("Grant", 0), "ADMIN"), (grant["id"], "OTHER_ADMIN")):
            payload = await world.payload(REVOKE, {"id": id_}, who)
            assert _errors(payload) == {(("input", "id"), "NOT_FOUND")}
        assert await world.machine_sees_the_dataset()

    @pytest.mark.parametrize(
        ("who", "message"),
        [("GRANTEE_ADMIN", "ADMIN role"), ("ADMIN_NO_SCOPE", "coalition:admin")],
    )
    async def test_forbidden(self, world: World, who: str, message: str) -> None:
        grant = await world.create()
        _forbidden(await world.call(REVOKE, {"id": grant["id"]}, who), message)
        assert await world.machine_sees_the_dataset()
