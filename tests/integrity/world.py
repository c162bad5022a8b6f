"""A committed world for integrity tests: real transactions, real tokens, real concurrency.

Each test gets two coalitions (the owner ``A`` and another ``B``), their people, an outsider
user, a statistics agency client and a partnership admin, all committed, and an app on the
engine (every request its own transaction). Everything is deleted again afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase
from lnob_api.graphql.ids import to_global_id

WRITE = ("data:read", "data:write", "coalition:admin")
GRANT = (
    "mutation($input: GrantCreateInput!) { grantCreate(input: $input) {"
    " grant { id status } userErrors { code } } }"
)
REVOKE = (
    "mutation($input: GrantRevokeInput!) { grantRevoke(input: $input) {"
    " grant { status } userErrors { code } } }"
)


@dataclass
class World:
    engine: AsyncEngine
    keys: KeyStore
    client: httpx.AsyncClient
    a: dict[str, Any] = field(default_factory=dict)
    b: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    orgs: list[dict[str, Any]] = field(default_factory=list)
    clients: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    extra_coalition_codes: list[str] = field(default_factory=list)
    hidden: dict[str, int] = field(default_factory=dict)

    async def post(
        self, query: str, variables: dict[str, Any], who: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        hdrs = bearer(self.tokens[who]) if who != "anonymous" else {}
        return await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=hdrs | (headers or {}),
        )

    async def call(self, query: str, variables: dict[str, Any], who: str) -> dict[str, Any]:
        response = await self.post(query, variables, who)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def race(
        self, query: str, variables: dict[str, Any] | list[dict[str, Any]], who: str, n: int = 20
    ) -> list[dict[str, Any]]:
        """``n`` concurrent requests; each answer's one payload (the mutation's)."""
        each = variables if isinstance(variables, list) else [variables] * n
        bodies = await asyncio.gather(*(self.call(query, v, who) for v in each))
        return [next(iter(b.values())) for b in bodies]

    async def scalar(self, stmt: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar()

    async def rows(self, stmt: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    async def dataset(self, coalition: dict[str, Any], **values: Any) -> dict[str, Any]:
        async with self.engine.begin() as conn:
            ds: dict[str, Any] = dict(await f.create_dataset(conn, coalition, **values))
            await f.create_observation(conn, ds, value=10.0, sample_size=50)
        ds["gid"] = to_global_id("Dataset", ds["id"])
        return ds

    async def granted(self, **dataset: Any) -> tuple[dict[str, Any], str]:
        """A dataset of coalition A and an active grant of it to the agency's client, made by
        A's admin: the dataset and the grant's global id."""
        ds = await self.dataset(self.a, **dataset)
        variables = {
            "input": {
                "coalition": self.a["code"],
                "client": self.a["agency_client"]["client_id"],
                "dataset": ds["gid"],
            }
        }
        payload = (await self.call(GRANT, variables, "admin"))["grantCreate"]
        assert payload["userErrors"] == [], payload
        assert payload["grant"]["status"] == "ACTIVE", payload
        return ds, str(payload["grant"]["id"])


def outcome(payload: dict[str, Any]) -> str:
    """OK, or the one user error's code."""
    errors = payload["userErrors"]
    if not errors:
        return "OK"
    assert len(errors) == 1, errors
    return str(errors[0]["code"])


def tally(payloads: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for payload in payloads:
        counts[outcome(payload)] = counts.get(outcome(payload), 0) + 1
    return counts


async def _people(conn: Any, world: World) -> None:
    a = await f.create_coalition(conn)
    b = await f.create_coalition(conn)
    world.a, world.b = dict(a), dict(b)
    partner = await f.create_organisation(conn)
    other = await f.create_organisation(conn)
    outside = await f.create_organisation(conn)
    agency = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    await f.add_member(conn, a, partner)
    await f.add_member(conn, b, other)
    world.orgs += [partner, other, outside, agency]
    people = {
        "admin": (partner, a, "ADMIN"),
        "editor": (partner, a, "EDITOR"),
        "viewer": (partner, a, "VIEWER"),
        "other": (other, b, "ADMIN"),
        "outsider": (outside, None, None),
    }
    for who, (org, coalition, role) in people.items():
        user = await f.create_user(conn)
        await conn.execute(
            sa.insert(models.OrganisationUser.__table__).values(
                organisation_id=org["id"], user_id=user["id"]
            )
        )
        client = await f.create_client(conn, org)
        world.users.append(user)
        world.clients.append(client)
        if coalition is not None:
            await f.give_role(conn, user, coalition, role)
        world.tokens[who] = token_for(world.keys, client=client, user=user, scopes=WRITE)
    boss = await f.create_user(conn, is_partnership_admin=True)
    boss_client = await f.create_client(conn, outside)
    world.users.append(boss)
    world.clients.append(boss_client)
    world.tokens["partnership"] = token_for(
        world.keys, client=boss_client, user=boss, scopes=(*WRITE, "partnership:admin")
    )
    machine = await f.create_client(conn, agency)
    world.clients.append(machine)
    world.tokens["agency"] = token_for(world.keys, client=machine, scopes=("data:read",))
    world.a["agency_org"] = agency
    world.a["agency_client"] = machine


async def _cleanup(engine: AsyncEngine, world: World) -> None:
    codes = [world.a["code"], world.b["code"], *world.extra_coalition_codes]
    async with engine.begin() as conn:
        ids = list(
            (
                await conn.execute(
                    sa.select(models.Coalition.id).where(models.Coalition.code.in_(codes))
                )
            ).scalars()
        )
        user_ids = [u["id"] for u in world.users]
        client_ids = [c["client_id"] for c in world.clients]
        org_ids = [o["id"] for o in world.orgs]
        org_ids += list(
            (
                await conn.execute(
                    sa.select(models.Organisation.id).where(
                        models.Organisation.slug.like("integrity-%")
                    )
                )
            ).scalars()
        )
        t = {m: m.__table__ for m in (models.AuditEvent, models.Removal, models.IdempotencyKey)}
        await conn.execute(
            sa.delete(t[models.AuditEvent]).where(
                sa.or_(
                    models.AuditEvent.coalition_id.in_(ids),
                    models.AuditEvent.user_id.in_(user_ids),
                )
            )
        )
        await conn.execute(sa.delete(t[models.Removal]).where(models.Removal.coalition_id.in_(ids)))
        await conn.execute(sa.delete(t[models.IdempotencyKey]))
        for model in (
            models.AccessRequest,
            models.Notification,
            models.Recommendation,
            models.Scorecard,
            models.Grant,
            models.Consent,
            models.Dataset,
            models.Project,
            models.Publication,
            models.Indicator,
        ):
            table = model.__table__
            if "coalition_id" in table.c:
                await conn.execute(sa.delete(table).where(table.c.coalition_id.in_(ids)))
        await conn.execute(
            sa.delete(models.Area.__table__).where(models.Area.coalition_id.in_(ids))
        )
        await conn.execute(
            sa.delete(models.Coalition.__table__).where(models.Coalition.id.in_(ids))
        )
        await conn.execute(
            sa.delete(models.OAuthClient.__table__).where(
                models.OAuthClient.client_id.in_(client_ids)
            )
        )
        await conn.execute(sa.delete(models.User.__table__).where(models.User.id.in_(user_ids)))
        await conn.execute(
            sa.delete(models.Organisation.__table__).where(models.Organisation.id.in_(org_ids))
        )


async def committed_world(engine: AsyncEngine, keys: KeyStore) -> AsyncIterator[World]:
    app = create_app(
        Settings(env="test", issuer="http://testserver"),
        database=EngineDatabase(engine),
        keys=keys,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        world = World(engine=engine, keys=keys, client=client)
        async with engine.begin() as conn:
            await _people(conn, world)
        try:
            yield world
        finally:
            await _cleanup(engine, world)
