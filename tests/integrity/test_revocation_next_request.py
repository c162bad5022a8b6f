"""A revocation holds from the next request, in every worker (issue 12's token path).

The bearer check reads the token, its client and the user in one autocommit statement, and
remembers only signature checks: so a revoked token, a revoked client, a revoked or edited
grant and a changed visibility must each be refused on the very next request that starts
after the revoking write was acknowledged, even with the same token sent just before (its
signature check remembered) and on another worker (another app on the same database).

Real parts: committed rows, real signed tokens, HTTP through the ASGI apps, the compiled read
path on (``LNOB_COMPILED``, as served) and off.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests import factories as f
from tests.helpers import bearer, token_for
from tests.integrity.world import REVOKE, World, committed_world

from lnob_api import models
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.tokens import validate_access_token
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase
from lnob_api.graphql.ids import to_global_id

LOOKUP = "query($id: ID!) { dataset(id: $id) { title coalition { name } } }"
VISIBILITY = (
    "mutation($input: DatasetSetVisibilityInput!) { datasetSetVisibility(input: $input) {"
    " dataset { visibility } userErrors { code } } }"
)
ROW_VERSION = "query($id: ID!) { dataset(id: $id) { rowVersion } }"
MISSING = {"dataset": None}


@pytest.fixture
async def world(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[World]:
    async for w in committed_world(engine, signing_keys):
        yield w


class Workers:
    """Two apps on the same database, as two server processes would be."""

    def __init__(self, world: World, compiled: bool) -> None:
        settings = Settings(env="test", issuer="http://testserver", compiled=compiled)
        settings = dataclasses.replace(settings, rate_limit=0)
        self.world = world
        self.clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(
                    app=create_app(settings, database=EngineDatabase(world.engine), keys=world.keys)
                ),
                base_url="http://testserver",
            )
            for _ in range(2)
        ]

    async def lookup(self, worker: int, gid: str, token: str) -> httpx.Response:
        body = {"query": LOOKUP, "variables": {"id": gid}}
        return await self.clients[worker].post("/graphql", json=body, headers=bearer(token))

    async def body(self, worker: int, gid: str, token: str) -> dict[str, Any]:
        response = await self.lookup(worker, gid, token)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def sees(self, gid: str, token: str) -> list[bool]:
        """Whether each worker's next request sees the dataset; a hidden one must look exactly
        like a missing one."""
        seen = []
        for worker in range(len(self.clients)):
            body = await self.body(worker, gid, token)
            assert body == MISSING or body["dataset"] is not None, body
            seen.append(body != MISSING)
        return seen

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


@pytest.fixture(params=[True, False], ids=["compiled", "strawberry"])
async def workers(world: World, request: pytest.FixtureRequest) -> AsyncIterator[Workers]:
    w = Workers(world, compiled=request.param)
    try:
        yield w
    finally:
        await w.close()


def _acknowledged(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [], payload
    return dict(payload)


async def _warm(workers: Workers, gid: str, token: str) -> None:
    """The same token several times on each worker: its signature check is remembered, the
    plan cached; every one of these requests sees the dataset."""
    for _ in range(3):
        assert await workers.sees(gid, token) == [True, True]


async def _commit(world: World, stmt: Any) -> None:
    """A write on a connection of its own, acknowledged when its COMMIT returns."""
    async with world.engine.begin() as conn:
        await conn.execute(stmt)


async def test_a_revoked_grant_is_closed_on_the_next_request(
    world: World, workers: Workers
) -> None:
    # given a COALITION dataset the agency reads through a grant, on both workers
    ds, grant = await world.granted(visibility="COALITION")
    token = world.tokens["agency"]
    await _warm(workers, ds["gid"], token)
    # when A's admin revokes the grant (acknowledged)
    payload = _acknowledged(await world.post(REVOKE, {"input": {"id": grant}}, "admin"))
    assert payload["grant"]["status"] == "REVOKED"
    # then the very next request on either worker finds no such dataset
    assert await workers.sees(ds["gid"], token) == [False, False]
    missing = to_global_id("Dataset", 2**31 - 1)
    assert await workers.body(0, missing, token) == MISSING


async def test_an_edited_grant_is_closed_on_the_next_request(
    world: World, workers: Workers
) -> None:
    # given a grant the agency reads through
    ds, _ = await world.granted(visibility="COALITION")
    token = world.tokens["agency"]
    await _warm(workers, ds["gid"], token)
    # when the grant is edited to have expired, on another connection
    grants = models.Grant.__table__
    await _commit(
        world,
        sa.update(grants)
        .where(grants.c.dataset_id == ds["id"])
        .values(expires_at=sa.func.now() - sa.text("interval '1 minute'")),
    )
    # then
    assert await workers.sees(ds["gid"], token) == [False, False]


async def test_a_changed_visibility_holds_on_the_next_request(
    world: World, workers: Workers
) -> None:
    # given a PUBLIC dataset the agency reads without any grant
    ds = await world.dataset(world.a, visibility="PUBLIC")
    token = world.tokens["agency"]
    await _warm(workers, ds["gid"], token)
    # when A's admin makes it COALITION (acknowledged)
    found = await world.call(ROW_VERSION, {"id": ds["gid"]}, "admin")
    payload = _acknowledged(
        await world.post(
            VISIBILITY,
            {
                "input": {
                    "id": ds["gid"],
                    "rowVersion": found["dataset"]["rowVersion"],
                    "visibility": "COALITION",
                }
            },
            "admin",
        )
    )
    assert payload["dataset"]["visibility"] == "COALITION"
    # then
    assert await workers.sees(ds["gid"], token) == [False, False]


async def test_a_revoked_token_is_refused_on_the_next_request(
    world: World, workers: Workers
) -> None:
    # given the agency's client with a token of its own, used on both workers
    ds = await world.dataset(world.a, visibility="PUBLIC")
    machine = world.a["agency_client"]
    token = token_for(world.keys, client=machine, scopes=("data:read",))
    await _warm(workers, ds["gid"], token)
    # when the client revokes it (RFC 7009; acknowledged with 200)
    response = await world.client.post(
        "/oauth/revoke",
        data={"token": token, "token_type_hint": "access_token"},
        auth=httpx.BasicAuth(machine["client_id"], f"secret-{machine['client_id']}"),
    )
    assert response.status_code == 200, response.text
    # then the next request on either worker is a 401, never anonymous
    try:
        for worker in (0, 1):
            refused = await workers.lookup(worker, ds["gid"], token)
            assert refused.status_code == 401, refused.text
            assert "revoked" in refused.headers["www-authenticate"]
    finally:
        jti = validate_access_token(
            token, world.keys, issuer="http://testserver", audience="lnob-api"
        ).jti
        revoked = models.RevokedToken.__table__
        await _commit(world, sa.delete(revoked).where(revoked.c.jti == jti))


async def test_a_disabled_client_is_refused_on_the_next_request(
    world: World, workers: Workers
) -> None:
    # given
    ds = await world.dataset(world.a, visibility="PUBLIC")
    token = world.tokens["agency"]
    await _warm(workers, ds["gid"], token)
    # when the client is disabled, on another connection
    clients = models.OAuthClient.__table__
    await _commit(
        world,
        sa.update(clients)
        .where(clients.c.id == world.a["agency_client"]["id"])
        .values(revoked_at=sa.func.now()),
    )
    # then
    for worker in (0, 1):
        refused = await workers.lookup(worker, ds["gid"], token)
        assert refused.status_code == 401, refused.text
        assert "no longer registered" in refused.headers["www-authenticate"]


async def test_no_request_started_after_the_revocation_sees_the_grant(
    world: World, workers: Workers
) -> None:
    # given two workers reading the granted dataset without pause, as fast as they can
    ds, grant = await world.granted(visibility="COALITION")
    token = world.tokens["agency"]
    await _warm(workers, ds["gid"], token)
    log: list[tuple[float, bool]] = []
    acknowledged: list[float] = []
    reading = asyncio.Event()

    async def reader(worker: int) -> None:
        after = 0
        while after < 5:  # until five of its requests started after the acknowledgement
            started = time.monotonic()
            body = await workers.body(worker, ds["gid"], token)
            assert body == MISSING or body["dataset"] is not None, body
            log.append((started, body != MISSING))
            if len(log) >= 4:
                reading.set()
            if acknowledged and started > acknowledged[0]:
                after += 1

    readers = [asyncio.ensure_future(reader(w)) for w in (0, 1, 0, 1)]
    # when the grant is revoked while they read
    await reading.wait()
    payload = _acknowledged(await world.post(REVOKE, {"input": {"id": grant}}, "admin"))
    acknowledged.append(time.monotonic())
    await asyncio.gather(*readers)
    # then every request that started after the acknowledgement was refused the row
    assert payload["grant"]["status"] == "REVOKED"
    before = [seen for started, seen in log if started < acknowledged[0]]
    after = [seen for started, seen in log if started > acknowledged[0]]
    assert any(before), log
    assert len(after) >= 20 and not any(after), log


async def test_a_grant_to_a_fresh_dataset_opens_on_the_next_request(
    world: World, workers: Workers
) -> None:
    # given the agency, refused a COALITION dataset it has no grant for
    ds = await world.dataset(world.a, visibility="COALITION")
    token = world.tokens["agency"]
    assert await workers.sees(ds["gid"], token) == [False, False]
    # when a grant is committed on another connection
    async with world.engine.begin() as conn:
        await f.create_grant(
            conn, world.a, dataset_id=ds["id"], client_id=world.a["agency_client"]["id"]
        )
    # then the next request sees it (the principal and its grants are never stale)
    assert await workers.sees(ds["gid"], token) == [True, True]
