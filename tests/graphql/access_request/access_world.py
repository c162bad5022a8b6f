"""Fixture data shared by the access request and notification tests.

A coalition with two admins and an editor; a dataset whose description is public and whose
data is the coalition's (``metadata_visibility`` PUBLIC, ``visibility`` COALITION) holding two
observations, a dataset hidden altogether, and a public one. Outside the coalition: a
statistics agency with a user and a machine client, a stranger in another organisation, a user
without any organisation, the admin of another coalition and a partnership admin.
"""

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

REQUEST_FIELDS = """id status purpose requesterName requesterEmail requesterIsClient expiresAt
  decisionNote decidedAt dataset { slug } coalition { code } organisation { slug }"""
ERRORS = "userErrors { field code message }"
CREATE = f"""mutation($input: AccessRequestCreateInput!) {{ accessRequestCreate(input: $input) {{
  accessRequest {{ {REQUEST_FIELDS} }} {ERRORS} }} }}"""
APPROVE = f"""mutation($input: AccessRequestApproveInput!) {{ accessRequestApprove(input: $input) {{
  accessRequest {{ {REQUEST_FIELDS} }} {ERRORS} }} }}"""
DECLINE = f"""mutation($input: AccessRequestDeclineInput!) {{ accessRequestDecline(input: $input) {{
  accessRequest {{ {REQUEST_FIELDS} }} {ERRORS} }} }}"""
WITHDRAW = f"""mutation($input: AccessRequestWithdrawInput!) {{
  accessRequestWithdraw(input: $input) {{ accessRequest {{ {REQUEST_FIELDS} }} {ERRORS} }} }}"""
DATA = """query($id: ID!) { dataset(id: $id) { slug observations { totalCount } } }"""


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def _user(self, key: str, scopes: tuple[str, ...], **overrides: Any) -> Any:
        user = await f.create_user(self.conn, **overrides)
        self.tokens[key] = token_for(self.keys, client=self.frontend, user=user, scopes=scopes)
        return user

    async def build(self) -> World:
        conn = self.conn
        admin_scopes = ("data:read", "data:write", "coalition:admin")
        self.coalition = await f.create_coalition(conn)
        member = await f.create_organisation(conn)
        await f.add_member(conn, self.coalition, member)
        self.frontend = await f.create_client(conn, member)
        self.admin = await self._user("admin", admin_scopes)
        self.admin2 = await self._user("admin2", admin_scopes)
        self.editor = await self._user("editor", admin_scopes)
        await f.give_role(conn, self.admin, self.coalition, "ADMIN")
        await f.give_role(conn, self.admin2, self.coalition, "ADMIN")
        await f.give_role(conn, self.editor, self.coalition, "EDITOR")
        self.tokens["admin_read_only"] = token_for(
            self.keys, client=self.frontend, user=self.admin, scopes=("data:read",)
        )

        self.agency = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
        self.requester = await self._user("requester", ("data:read",), name="Asha Rao")
        await f.join_organisation(conn, self.requester, self.agency)
        # The requester again, with a token carrying an admin scope but no admin role.
        self.tokens["requester_admin_scope"] = token_for(
            self.keys,
            client=self.frontend,
            user=self.requester,
            scopes=("data:read", "coalition:admin"),
        )
        self.colleague = await self._user("colleague", ("data:read",))
        await f.join_organisation(conn, self.colleague, self.agency)
        self.machine = await f.create_client(conn, self.agency, name="Agency SDG pipeline")
        self.tokens["machine"] = token_for(self.keys, client=self.machine, scopes=("data:read",))
        # A person signing in through the agency's client: not the client itself.
        self.tokens["via_machine"] = token_for(
            self.keys, client=self.machine, user=self.colleague, scopes=("data:read",)
        )

        other_org = await f.create_organisation(conn)
        self.stranger = await self._user("stranger", ("data:read",))
        await f.join_organisation(conn, self.stranger, other_org)
        self.loner = await self._user("loner", ("data:read",))
        other_coalition = await f.create_coalition(conn)
        other_admin = await self._user("other_admin", admin_scopes)
        await f.give_role(conn, other_admin, other_coalition, "ADMIN")
        await self._user("boss", ("data:read", "partnership:admin"), is_partnership_admin=True)

        self.dataset = await f.create_dataset(
            conn,
            self.coalition,
            title="Disability survey",
            visibility="COALITION",
            metadata_visibility="PUBLIC",
        )
        await f.create_observation(conn, self.dataset, period="2020")
        await f.create_observation(conn, self.dataset, period="2021")
        self.hidden = await f.create_dataset(conn, self.coalition, visibility="COALITION")
        self.public = await f.create_dataset(conn, self.coalition)
        return self

    @property
    def dataset_id(self) -> str:
        return to_global_id("Dataset", self.dataset["id"])

    async def call(
        self, query: str, variables: dict[str, Any] | None = None, as_: str | None = "requester"
    ) -> dict[str, Any]:
        headers = bearer(self.tokens[as_]) if as_ else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def payload(
        self, query: str, field: str, input: dict[str, Any], as_: str | None = "requester"
    ) -> dict[str, Any]:
        body = await self.call(query, {"input": input}, as_)
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"][field]
        return result

    async def request(self, as_: str = "requester", **fields: Any) -> dict[str, Any]:
        """File a request for the metadata-only dataset; assert it succeeded."""
        input = {"dataset": self.dataset_id, "purpose": "SDG 10.2 baseline"} | fields
        payload = await self.payload(CREATE, "accessRequestCreate", input, as_)
        assert payload["userErrors"] == [], payload
        request: dict[str, Any] = payload["accessRequest"]
        return request

    async def observation_count(self, as_: str) -> int | None:
        """How many of the dataset's observations ``as_`` reads (None: dataset not seen)."""
        body = await self.call(DATA, {"id": self.dataset_id}, as_)
        assert "errors" not in body, body
        found = body["data"]["dataset"]
        return None if found is None else int(found["observations"]["totalCount"])

    async def audit(self) -> list[str]:
        rows = await self.conn.execute(
            sa.select(models.AuditEvent.action)
            .where(models.AuditEvent.entity_type.in_(["AccessRequest", "Grant"]))
            .where(models.AuditEvent.coalition_id == self.coalition["id"])
            .order_by(models.AuditEvent.id)
        )
        return list(rows.scalars())

    async def notifications(self) -> list[tuple[int | None, int | None, str]]:
        """(recipient user, recipient client, kind) of every notification, in order."""
        n = models.Notification.__table__
        rows = await self.conn.execute(
            sa.select(n.c.recipient_user_id, n.c.recipient_client_id, n.c.kind).order_by(n.c.id)
        )
        return [(r[0], r[1], str(r[2])) for r in rows]


async def build_world(client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> World:
    return await World(client, conn, keys).build()
