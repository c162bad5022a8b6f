"""auditEvents: who may read which events; events cannot be changed through the API."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.schema import schema

CREATE = "mutation($input: DatasetCreateInput!) { datasetCreate(input: $input) { dataset { id } userErrors { code } } }"
EVENTS = """query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 50) { totalCount
  edges { node { action entityType entityId before after requestId clientId coalition { code } } } } }"""


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> dict[str, str]:
    a = await f.create_coalition(conn)
    b = await f.create_coalition(conn)
    org = await f.create_organisation(conn)
    frontend = await f.create_client(conn, org)
    out: dict[str, str] = {"a": a["code"], "b": b["code"]}
    for name, coalition, role in [
        ("editor_a", a, "EDITOR"),
        ("editor_b", b, "EDITOR"),
        ("admin_a", a, "ADMIN"),
    ]:
        user = await f.create_user(conn)
        await f.give_role(conn, user, coalition, role)
        out[name] = token_for(
            signing_keys,
            client=frontend,
            user=user,
            scopes=("data:read", "data:write", "coalition:admin"),
        )
    boss = await f.create_user(conn, is_partnership_admin=True)
    out["partnership_admin"] = token_for(
        signing_keys, client=frontend, user=boss, scopes=("data:read", "partnership:admin")
    )
    for who, code in [("editor_a", a["code"]), ("editor_b", b["code"])]:
        body = (
            await client.post(
                "/graphql",
                json={
                    "query": CREATE,
                    "variables": {"input": {"coalition": code, "title": f"Survey {code}"}},
                },
                headers=bearer(out[who]) | {"X-Request-Id": f"req-{code}"},
            )
        ).json()
        assert body["data"]["datasetCreate"]["userErrors"] == []
    return out


async def _events(
    client: httpx.AsyncClient, token: str | None, variables: dict | None = None
) -> dict:
    headers = bearer(token) if token else {}
    return (
        await client.post(
            "/graphql", json={"query": EVENTS, "variables": variables or {}}, headers=headers
        )
    ).json()


class TestAuditEvents:
    async def test_coalition_admin_sees_own_coalition_only(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        body = await _events(client, tokens["admin_a"])
        nodes = [e["node"] for e in body["data"]["auditEvents"]["edges"]]
        assert {n["coalition"]["code"] for n in nodes} == {tokens["a"]}
        created = next(n for n in nodes if n["action"] == "dataset.create")
        assert created["before"] is None
        assert created["after"]["title"] == f"Survey {tokens['a']}"
        assert created["requestId"] == f"req-{tokens['a']}"
        assert created["entityType"] == "Dataset"

    async def test_partnership_admin_sees_all(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        body = await _events(
            client, tokens["partnership_admin"], {"filter": {"action": "dataset.create"}}
        )
        codes = {e["node"]["coalition"]["code"] for e in body["data"]["auditEvents"]["edges"]}
        assert {tokens["a"], tokens["b"]} <= codes

    async def test_filter_by_coalition_outside_ones_reach_is_empty(
        self, client: httpx.AsyncClient, tokens: dict[str, str]
    ) -> None:
        body = await _events(client, tokens["admin_a"], {"filter": {"coalition": tokens["b"]}})
        assert body["data"]["auditEvents"]["totalCount"] == 0

    @pytest.mark.parametrize("who", ["editor_a", None])
    async def test_others_are_forbidden(
        self, client: httpx.AsyncClient, tokens: dict[str, str], who: str | None
    ) -> None:
        token = tokens[who] if who else None
        if who == "editor_a":
            # an editor's token carries coalition:admin here, but no ADMIN role: sees nothing
            body = await _events(client, token)
            assert body["data"]["auditEvents"]["totalCount"] == 0
        else:
            body = await _events(client, token)
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    async def test_no_mutation_touches_audit_events(self) -> None:
        import re

        mutation = schema.as_str().split("type Mutation {", 1)[1].split("\n}", 1)[0]
        names = re.findall(r"^  (\w+)\(", mutation, flags=re.MULTILINE)
        assert names, "no mutations found"
        assert not [n for n in names if n.lower().startswith("audit")]
