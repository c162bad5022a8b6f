"""A small world for the community-evidence tests: one coalition with its role holders, an
outside coalition, a partner and a partnership admin, each with a real bearer token."""

from __future__ import annotations

import json
from typing import Any, Self

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

ALL_SCOPES = ("data:read", "data:write", "coalition:admin")
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}
        self.users: dict[str, Any] = {}

    async def build(self) -> Self:
        self.coalition = await f.create_coalition(self.conn)
        self.country = self.coalition["code"]
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        self.frontend = await f.create_client(self.conn, org)
        for role in ("VIEWER", "EDITOR", "ADMIN"):
            await self._user(role, self.coalition, role, ALL_SCOPES)
        editor = self.users["EDITOR"]
        self.tokens["EDITOR_READ_ONLY"] = token_for(
            self.keys, client=self.frontend, user=editor, scopes=("data:read",)
        )
        # Another coalition: its editor is an outsider here, and a partner of the partnership.
        self.other = await f.create_coalition(self.conn)
        other_org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.other, other_org)
        outsider = await self._user("OUTSIDER", self.other, "EDITOR", ALL_SCOPES)
        await f.join_organisation(self.conn, outsider, other_org)
        admin = await f.create_user(self.conn, is_partnership_admin=True)
        self.users["PARTNERSHIP_ADMIN"] = admin
        self.tokens["PARTNERSHIP_ADMIN"] = token_for(
            self.keys,
            client=self.frontend,
            user=admin,
            scopes=("data:read", "partnership:admin"),
        )
        self.area = await self.subdivision(self.country)
        self.other_area = await self.subdivision(self.other["code"])
        return self

    async def _user(self, name: str, coalition: Any, role: str, scopes: tuple[str, ...]) -> Any:
        user = await f.create_user(self.conn)
        await f.give_role(self.conn, user, coalition, role)
        self.users[name] = user
        self.tokens[name] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)
        return user

    async def subdivision(self, country: str) -> str:
        code = await self.conn.scalar(
            sa.select(models.Area.code)
            .where(models.Area.country_code == country, models.Area.level == "SUBDIVISION")
            .order_by(models.Area.code)
            .limit(1)
        )
        assert code is not None
        return str(code)

    async def local_area(self, parent: str, code: str) -> str:
        """A ward registered by the coalition under ``parent``."""
        await self.conn.execute(
            sa.insert(models.Area.__table__).values(
                code=code,
                name=f"Ward {code}",
                level="LOCAL",
                type="Ward",
                country_code=self.country,
                parent_code=parent,
                ancestors=[self.country, parent] if parent != self.country else [self.country],
                coalition_id=self.coalition["id"],
            )
        )
        return code

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

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, as_: str | None = "EDITOR"
    ) -> dict[str, Any]:
        """The data of a call that must succeed without errors or user errors."""
        body = await self.call(query, variables, as_)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        for payload in data.values():
            if isinstance(payload, dict) and "userErrors" in payload:
                assert payload["userErrors"] == [], payload
        return data

    async def upload(
        self, query: str, variables: dict[str, Any], content: bytes, as_: str | None = "EDITOR"
    ) -> dict[str, Any]:
        """A GraphQL multipart request with the file at ``variables.input.file``."""
        variables = json.loads(json.dumps(variables))
        variables["input"]["file"] = None
        operations = json.dumps({"query": query, "variables": variables})
        response = await self.client.post(
            "/graphql",
            data={"operations": operations, "map": json.dumps({"0": ["variables.input.file"]})},
            files={"0": ("values.csv", content, "text/csv")},
            headers=(bearer(self.tokens[as_]) if as_ else {}) | PREFLIGHT,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def audit(self, entity_type: str) -> list[str]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action)
            .where(models.AuditEvent.entity_type == entity_type)
            .order_by(models.AuditEvent.id)
        )
        return list(rows.scalars())

    async def count(self, model: Any) -> int:
        return int(
            await self.conn.scalar(sa.select(sa.func.count()).select_from(model.__table__)) or 0
        )


def gid(type_name: str, key: Any) -> str:
    return to_global_id(type_name, key)


def errors_of(payload: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}
