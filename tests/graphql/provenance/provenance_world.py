"""A coalition with users in every role (and outsiders), for the provenance GraphQL tests."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

ALL_SCOPES = ("data:read", "data:write", "coalition:admin", "partnership:admin")


def mutation(name: str, selection: str) -> str:
    kind = name[0].upper() + name[1:]
    return (
        f"mutation($input: {kind}Input!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { field code message } } }"
    )


def errors(payload: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}


def forbidden(body: dict[str, Any]) -> None:
    assert body["data"] is None, body
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


class World:
    """``coalition`` with a VIEWER, EDITOR, ADMIN (all scopes), ADMIN_NO_SCOPE (data scopes
    only), an ADMIN of ``other`` coalition, an EDITOR of ``other``, and a PARTNERSHIP admin."""

    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        self.other = await f.create_coalition(self.conn)
        home = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, home)
        self.frontend = await f.create_client(self.conn, home)
        await self.user("PARTNERSHIP", is_partnership_admin=True)
        await self.user("ADMIN", role="ADMIN")
        await self.user("ADMIN_NO_SCOPE", role="ADMIN", scopes=("data:read", "data:write"))
        await self.user("EDITOR", role="EDITOR")
        await self.user("EDITOR_READ_ONLY", role="EDITOR", scopes=("data:read",))
        await self.user("VIEWER", role="VIEWER")
        await self.user("OTHER_ADMIN", role="ADMIN", coalition=self.other)
        await self.user("OTHER_EDITOR", role="EDITOR", coalition=self.other)
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

    async def call(
        self, query: str, variables: dict[str, Any] | None = None, as_: str | None = "EDITOR"
    ) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, as_: str | None = "EDITOR"
    ) -> dict[str, Any]:
        body = await self.call(query, variables, as_)
        assert "errors" not in body, body["errors"]
        found: dict[str, Any] = body["data"]
        return found

    async def payload(self, query: str, input: dict[str, Any], as_: str) -> dict[str, Any]:
        (payload,) = (await self.data(query, {"input": input}, as_)).values()
        result: dict[str, Any] = payload
        return result

    async def criterion(self, code: str, coalition: Any = None, **overrides: Any) -> Any:
        values = {
            "coalition_id": (coalition or self.coalition)["id"],
            "code": code,
            "label": f"Criterion {code}",
        }
        table = models.QualityCriterion.__table__
        result = await self.conn.execute(
            sa.insert(table).values(**(values | overrides)).returning(table)
        )
        return result.mappings().one()

    async def meets(self, dataset: Any, *criteria: Any) -> None:
        await self.conn.execute(
            sa.insert(models.DatasetQualityCriterion.__table__),
            [{"dataset_id": dataset["id"], "criterion_id": c["id"]} for c in criteria],
        )

    async def audit(self, entity_type: str) -> list[tuple[str, Any, Any]]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action, models.AuditEvent.before, models.AuditEvent.after)
            .where(models.AuditEvent.entity_type == entity_type)
            .order_by(models.AuditEvent.id)
        )
        return [tuple(r) for r in rows]
