"""A revocation committed while a request is in flight (``auth.deferred``).

A token seen before has its bearer check folded into the compiled statement: the token's facts
are read in the same snapshot as the data. So a request whose statement took its snapshot
before a revocation committed answers, whole, under the old facts; a request that starts after
the commit was acknowledged is refused (401 for a revoked token or a disabled client, the
dataset missing for a revoked grant). Never a mix: data read for the old principal with the
new facts, or half an answer.

Real parts: committed rows, real signed tokens, HTTP through the ASGI app on the engine's pool
(the compiled read path, on the driver's connection). The in-flight statement is held by a
real database wait: an advisory lock the test holds, taken inside the statement after
PostgreSQL fixed its snapshot (``Held``); the test sees it waiting in ``pg_locks``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.helpers import bearer, token_for
from tests.integrity.world import REVOKE, World, committed_world

from lnob_api import models
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.tokens import validate_access_token
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase

LOOKUP = "query($id: ID!) { dataset(id: $id) { title coalition { name } } }"
MISSING = {"dataset": None}
LOCK = 0x1E7_12  # the advisory lock key that holds a statement


class HeldDriver:
    """The pooled asyncpg connection, whose statement waits for the test's advisory lock
    after its snapshot was taken (the statement's own SQL, its columns and parameters as
    they are; the wait is a CROSS JOIN evaluated in the same statement)."""

    def __init__(self, driver: Any, seen: list[str]) -> None:
        self.driver = driver
        self.seen = seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self.driver, name)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        self.seen.append(sql)
        held = (
            f"SELECT h.* FROM ({sql}) AS h CROSS JOIN "
            f"(SELECT pg_advisory_xact_lock_shared({LOCK})) AS w"
        )
        return await self.driver.fetchrow(held, *args)


class Held(EngineDatabase):
    """The app's database on the engine, whose one-statement reads are held while ``hold``."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.hold = False
        self.seen: list[str] = []

    @asynccontextmanager
    async def raw_statement(self) -> AsyncIterator[Any]:
        async with super().raw_statement() as driver:
            yield HeldDriver(driver, self.seen) if self.hold else driver


@dataclasses.dataclass
class Reader:
    client: httpx.AsyncClient
    database: Held
    dataset: str
    token: str
    grant: str  # the grant's global id
    old: dict[str, Any]  # the full answer under the old facts

    async def lookup(self) -> httpx.Response:
        body = {"query": LOOKUP, "variables": {"id": self.dataset}}
        return await self.client.post("/graphql", json=body, headers=bearer(self.token))

    def outcome(self, response: httpx.Response, refused: str) -> str:
        """ "old" (the whole old answer) or "refused"; anything else fails the test."""
        if response.status_code == 200 and response.json() == self.old:
            return "old"
        if refused == "401":
            assert response.status_code == 401, response.text
            assert response.json()["error"] == "invalid_token", response.text
            assert "data" not in response.json(), response.text
        else:
            assert response.status_code == 200, response.text
            assert response.json()["data"] == MISSING, response.text
            assert "errors" not in response.json(), response.text
        return "refused"


@pytest.fixture
async def world(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[World]:
    async for w in committed_world(engine, signing_keys):
        yield w


@pytest.fixture
async def reader(world: World) -> AsyncIterator[Reader]:
    ds, grant = await world.granted(visibility="COALITION", title="Granted")
    # a token of the agency's own (revoking it leaves the world's token alone)
    token = token_for(world.keys, client=world.a["agency_client"], scopes=("data:read",))
    settings = dataclasses.replace(
        Settings(env="test", issuer="http://testserver", compiled=True), rate_limit=0
    )
    database = Held(world.engine)
    app = create_app(settings, database=database, keys=world.keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = Reader(client, database, ds["gid"], token, grant, {})
        for _ in range(3):  # the token's check remembered, the plan cached
            first = await r.lookup()
            assert first.status_code == 200, first.text
        r.old = first.json()
        assert r.old["data"]["dataset"]["title"] == "Granted", r.old
        try:
            yield r
        finally:
            jti = validate_access_token(
                token, world.keys, issuer="http://testserver", audience="lnob-api"
            ).jti
            async with world.engine.begin() as conn:
                revoked = models.RevokedToken.__table__
                await conn.execute(sa.delete(revoked).where(revoked.c.jti == jti))


async def _revoke(kind: str, world: World, reader: Reader) -> None:
    """Commit the revocation of ``kind``; returns once it is acknowledged."""
    machine = world.a["agency_client"]
    if kind == "token":  # RFC 7009, by the client itself
        response = await world.client.post(
            "/oauth/revoke",
            data={"token": reader.token, "token_type_hint": "access_token"},
            auth=httpx.BasicAuth(machine["client_id"], f"secret-{machine['client_id']}"),
        )
        assert response.status_code == 200, response.text
    elif kind == "client":  # the client disabled, on a connection of its own
        clients = models.OAuthClient.__table__
        async with world.engine.begin() as conn:
            await conn.execute(
                sa.update(clients)
                .where(clients.c.id == machine["id"])
                .values(revoked_at=sa.func.now())
            )
    else:  # the grant revoked by A's admin
        response = await world.post(REVOKE, {"input": {"id": reader.grant}}, "admin")
        assert response.json()["data"]["grantRevoke"]["userErrors"] == [], response.text


REFUSED = {"token": "401", "client": "401", "grant": "missing"}
KINDS = list(REFUSED)


async def _waiting(engine: AsyncEngine) -> int:
    """Statements waiting for the hold's advisory lock."""
    async with engine.connect() as conn:
        found = await conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objid = :key"
            ),
            {"key": LOCK},
        )
        return int(found.scalar_one())


@pytest.mark.parametrize("kind", KINDS)
async def test_a_request_in_flight_answers_whole_under_the_old_facts(
    world: World, reader: Reader, kind: str
) -> None:
    # given the test holding the advisory lock, and a request whose compiled statement took
    # its snapshot and now waits for it in PostgreSQL
    async with world.engine.connect() as holder:
        await holder.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": LOCK})
        await holder.commit()
        reader.database.hold = True
        in_flight = asyncio.ensure_future(reader.lookup())
        try:
            deadline = time.monotonic() + 10
            while await _waiting(world.engine) == 0:
                assert not in_flight.done(), in_flight.result().text
                assert time.monotonic() < deadline, "the statement never reached the hold"
                await asyncio.sleep(0.01)
            reader.database.hold = False
            # when the revocation commits while it waits
            await _revoke(kind, world, reader)
            assert not in_flight.done()
        finally:
            await holder.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK})
            await holder.commit()
        response = await in_flight
    # then it answers the whole old answer: data and token facts read in one snapshot, from
    # before the commit (the facts were in the held statement itself)
    (held,) = reader.database.seen
    assert "revoked_tokens" in held, held[:300]
    assert reader.outcome(response, REFUSED[kind]) == "old", response.text
    # and the next request, started after the commit, is refused
    assert reader.outcome(await reader.lookup(), REFUSED[kind]) == "refused"
    assert reader.outcome(await reader.lookup(), REFUSED[kind]) == "refused"


@pytest.mark.parametrize("kind", KINDS)
async def test_concurrent_readers_see_the_old_answer_or_the_refusal(
    world: World, reader: Reader, kind: str
) -> None:
    # given readers sending the remembered token without pause, concurrently
    log: list[tuple[float, str]] = []
    acknowledged: list[float] = []
    reading = asyncio.Event()

    async def read() -> None:
        after = 0
        while after < 5:  # until five of its requests started after the acknowledgement
            started = time.monotonic()
            seen = reader.outcome(await reader.lookup(), REFUSED[kind])
            log.append((started, seen))
            if len(log) >= 8:
                reading.set()
            if acknowledged and started > acknowledged[0]:
                after += 1

    readers = [asyncio.ensure_future(read()) for _ in range(6)]
    try:
        # when the revocation commits while they read
        await asyncio.wait_for(reading.wait(), 30)
        await _revoke(kind, world, reader)
        acknowledged.append(time.monotonic())
        await asyncio.wait_for(asyncio.gather(*readers), 60)
    finally:
        for task in readers:
            task.cancel()
    # then each answer was the whole old one or the refusal (``outcome`` asserts it), and
    # every request that started after the acknowledgement was refused
    before = [seen for started, seen in log if started < acknowledged[0]]
    after = [seen for started, seen in log if started > acknowledged[0]]
    assert "old" in before, log
    assert len(after) >= 30 and set(after) == {"refused"}, log
