"""Every worker has heard an acknowledged write (``cache.leases``), and a cache hit for a
remembered token needs no statement while the worker's lease runs.

Two workers on one database, as two server processes: each app has its own response cache and
its own listener (LISTEN connection and lease); worker B hears A's writes only through
PostgreSQL, as another process does (``writes.unwatch``). The attacker reads on B, from its
cache, while A acknowledges a revocation; B's listener is slowed (a statement on its
connection: PostgreSQL delivers a notification only between statements), stopped past its
lease, or killed.

Real parts: committed rows, real signed tokens, HTTP through the ASGI apps, the compiled read
path, the listeners' real connections, leases and notifications.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.helpers import bearer, token_for, until
from tests.integrity.world import REVOKE, World, committed_world

from lnob_api import models
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.tokens import validate_access_token
from lnob_api.cache import writes
from lnob_api.cache.leases import Acks
from lnob_api.cache.listener import Listener, dsn_of
from lnob_api.cache.store import ResponseCache
from lnob_api.cli_admin.common import in_transaction
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase
from lnob_api.graphql.fastlane import FastLane

LEASE = 2.0
LOOKUP = "query($id: ID!) { dataset(id: $id) { title coalition { name } } }"
ROW_VERSION = "query($id: ID!) { dataset(id: $id) { rowVersion } }"
VISIBILITY = (
    "mutation($input: DatasetSetVisibilityInput!) { datasetSetVisibility(input: $input) {"
    " dataset { visibility } userErrors { code } } }"
)
MISSING = {"dataset": None}


class Counted(EngineDatabase):
    """The app's database on the engine, counting the connections its statements take (the
    bearer check's, the compiled read's, a transaction's)."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.taken = 0

    def _count(self, opened: Any) -> Any:
        self.taken += 1
        return opened

    def transaction(self) -> Any:
        return self._count(super().transaction())

    def statement(self) -> Any:
        return self._count(super().statement())

    def driver_statement(self) -> Any:
        return self._count(super().driver_statement())

    def raw_statement(self) -> Any:
        return self._count(super().raw_statement())


class Worker:
    """One server process: an app with its own cache and listener."""

    def __init__(self, world: World, *, name: str) -> None:
        settings = Settings(env="test", issuer="http://testserver", compiled=True)
        settings = dataclasses.replace(settings, rate_limit=0, response_cache_lease=LEASE)
        self.name = name
        self.database = Counted(world.engine)
        app = create_app(settings, database=self.database, keys=world.keys)
        self.cache = ResponseCache(ttl=3600.0, needs_listener=True)
        app.state.graphql.cache = self.cache
        self.acks = app.state.waiter.acks  # what this worker's writer hears of the others
        self.listener = Listener(dsn_of(world.engine), self.cache, lease=LEASE, acks=self.acks)
        self.cache.set_next_change(self.listener.next_change)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )

    async def lookup(self, gid: str, token: str | None = None) -> httpx.Response:
        body = {"query": LOOKUP, "variables": {"id": gid}}
        return await self.client.post("/graphql", json=body, headers=bearer(token) if token else {})

    async def data(self, gid: str, token: str | None = None) -> dict[str, Any]:
        response = await self.lookup(gid, token)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
        found: dict[str, Any] = response.json()["data"]
        return found

    @asynccontextmanager
    async def slowed(self, seconds: float) -> AsyncIterator[None]:
        """The listener's connection busy with a statement for ``seconds``: what is committed
        meanwhile reaches this worker only afterwards (and no renewal gets through)."""
        conn = self.listener._conn
        assert conn is not None
        async with self.listener._lock:
            busy = asyncio.ensure_future(conn.execute(f"SELECT pg_sleep({seconds})"))
            await asyncio.sleep(0.05)  # the statement has reached the server
            try:
                yield
            finally:
                await busy

    async def ready(self) -> None:
        await _until(self.cache.usable)


_until = partial(until, limit=15.0, step=0.01)


@pytest.fixture
async def world(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[World]:
    async for w in committed_world(engine, signing_keys):
        yield w


@pytest.fixture
async def workers(world: World) -> AsyncIterator[tuple[Worker, Worker]]:
    a, b = Worker(world, name="A"), Worker(world, name="B")
    writes.unwatch(b.cache)  # B is another process: it hears A only through LISTEN
    for worker in (a, b):
        await worker.listener.start()
        await worker.ready()
    try:
        yield a, b
    finally:
        for worker in (a, b):
            await worker.listener.stop()
            await worker.client.aclose()


async def _version(world: World) -> int:
    return int(await world.scalar(sa.text("SELECT version FROM data_versions")))


async def _hide(world: World, writer: Worker, ds: dict[str, Any]) -> None:
    """A's admin makes the dataset COALITION, through worker A (returns once acknowledged)."""
    found = await world.call(ROW_VERSION, {"id": ds["gid"]}, "admin")
    variables = {
        "input": {
            "id": ds["gid"],
            "rowVersion": found["dataset"]["rowVersion"],
            "visibility": "COALITION",
        }
    }
    response = await writer.client.post(
        "/graphql",
        json={"query": VISIBILITY, "variables": variables},
        headers=bearer(world.tokens["admin"]),
    )
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["datasetSetVisibility"]
    assert payload["userErrors"] == [] and payload["dataset"]["visibility"] == "COALITION"


async def _cached_on(worker: Worker, gid: str, token: str | None = None) -> dict[str, Any]:
    """Read until the worker answers from its cache; the answer."""
    hits = worker.cache.hits
    for _ in range(3):
        found = await worker.data(gid, token)
    assert worker.cache.hits > hits, "never answered from the cache"
    return found


class TestAcknowledgedWrites:
    async def test_b_has_heard_a_write_that_a_acknowledged(
        self, world: World, workers: tuple[Worker, Worker]
    ) -> None:
        # given a PUBLIC dataset in B's cache, for anonymous callers
        a, b = workers
        ds = await world.dataset(world.a, visibility="PUBLIC")
        assert (await _cached_on(b, ds["gid"]))["dataset"] is not None
        # when A acknowledges hiding it while B is slow to hear
        async with b.slowed(0.5):
            await _hide(world, a, ds)
            heard_at_ack = b.listener.heard
        # then B had heard it when A answered, and answers from the database
        assert heard_at_ack >= await _version(world)
        assert await b.data(ds["gid"]) == MISSING

    async def test_b_whose_lease_ran_out_does_not_answer_from_its_cache(
        self, world: World, workers: tuple[Worker, Worker]
    ) -> None:
        # given a PUBLIC dataset in B's cache
        a, b = workers
        ds = await world.dataset(world.a, visibility="PUBLIC")
        await _cached_on(b, ds["gid"])
        # when B neither hears nor renews for longer than its lease, and A acknowledges
        async with b.slowed(LEASE * 2):
            await _hide(world, a, ds)
            heard_at_ack, version = b.listener.heard, await _version(world)
            hits = b.cache.hits
            # then A answered without B having heard (B's lease ran out), and B, which still
            # has not heard, answers from the database
            assert heard_at_ack < version
            assert not b.cache.usable()
            assert await b.data(ds["gid"]) == MISSING
            assert b.cache.hits == hits
        # and once B hears again, its cache is back on
        await b.ready()
        assert b.listener.heard >= version

    async def test_b_whose_listener_was_killed_does_not_answer_from_its_cache(
        self, world: World, workers: tuple[Worker, Worker]
    ) -> None:
        # given a PUBLIC dataset in B's cache
        a, b = workers
        ds = await world.dataset(world.a, visibility="PUBLIC")
        await _cached_on(b, ds["gid"])
        assert b.listener._conn is not None
        pid = b.listener._conn.get_server_pid()
        # when B's listener's connection is killed and A acknowledges a write
        killer = await asyncpg.connect(b.listener.dsn)
        try:
            await killer.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await killer.close()
        await _hide(world, a, ds)
        # then B answers what the write left
        assert await b.data(ds["gid"]) == MISSING
        await b.ready()
        assert b.listener._conn is not None and b.listener._conn.get_server_pid() != pid
        assert await b.data(ds["gid"]) == MISSING

    async def test_a_version_b_never_hears_lets_its_lease_run_out(
        self, world: World, workers: tuple[Worker, Worker]
    ) -> None:
        # given a PUBLIC dataset in B's cache
        a, b = workers
        ds = await world.dataset(world.a, visibility="PUBLIC")
        await _cached_on(b, ds["gid"])
        # when the data version moves without a notification (as if B missed one)
        other = await asyncpg.connect(b.listener.dsn)
        try:
            await other.execute("UPDATE data_versions SET version = version + 1")
        finally:
            await other.close()
        # then B's renewals no longer extend its lease, in the database or in B, and B stops
        # answering from its cache
        await _until(lambda: not b.cache.usable())
        lease = sa.text("SELECT lease_until > now() FROM cache_listeners WHERE worker = :w")
        deadline = time.monotonic() + 15
        while await world.scalar(lease.bindparams(w=b.listener.worker)):
            assert time.monotonic() < deadline, "the lease never ran out"
            await asyncio.sleep(0.05)
        assert not b.cache.usable()
        # and the next write B hears puts it back
        await _hide(world, a, ds)
        await b.ready()
        assert await b.data(ds["gid"]) == MISSING

    async def test_a_writer_is_woken_by_the_acknowledgement_before_it_is_recorded(
        self, world: World, workers: tuple[Worker, Worker]
    ) -> None:
        # given a PUBLIC dataset in B's cache, and B's lease row locked right after a renewal
        # (B hears and acknowledges, but cannot record what it heard)
        a, b = workers
        ds = await world.dataset(world.a, visibility="PUBLIC")
        await _cached_on(b, ds["gid"])
        row = "SELECT heard, lease_until > now() AS live FROM cache_listeners WHERE worker = $1"
        holder = await asyncpg.connect(b.listener.dsn)
        try:
            until = b.cache.lease_until
            await _until(lambda: b.cache.lease_until > until)  # the next renewal is a third off
            await holder.execute("BEGIN")
            await holder.fetchrow(row + " FOR UPDATE", b.listener.worker)
            # when A acknowledges hiding it
            await _hide(world, a, ds)
            heard_at_ack = b.listener.heard
            version = await _version(world)
            other = await asyncpg.connect(b.listener.dsn)
            try:
                recorded = await other.fetchrow(row, b.listener.worker)
            finally:
                await other.close()
            await holder.execute("ROLLBACK")
        finally:
            await holder.close()
        # then the table still showed B live and behind: A was told by B's acknowledgement,
        # and B had heard (its cache answers from the database)
        assert recorded["live"] and recorded["heard"] < version
        assert heard_at_ack >= version
        assert await b.data(ds["gid"]) == MISSING

    async def test_a_stopped_worker_gives_its_lease_back(
        self, world: World, workers: tuple[Worker, Worker]
    ) -> None:
        # given B stopped
        a, b = workers
        await b.listener.stop()
        ds = await world.dataset(world.a, visibility="PUBLIC")
        # when A writes
        await _hide(world, a, ds)
        # then only A holds a lease, and A had heard its write when it answered
        rows = await world.rows(sa.text("SELECT worker FROM cache_listeners"))
        assert [r.worker for r in rows] == [a.listener.worker]
        assert a.listener.heard >= await _version(world)


class TestCommandLine:
    async def test_a_command_returns_once_b_heard_its_write(
        self, world: World, workers: tuple[Worker, Worker], database_url: str
    ) -> None:
        # given the agency reading a granted dataset on B, from B's cache
        _, b = workers
        ds, _ = await world.granted(visibility="COALITION")
        token = world.tokens["agency"]
        assert (await _cached_on(b, ds["gid"], token))["dataset"] is not None
        grants = models.Grant.__table__

        async def revoke(conn: Any) -> None:
            stmt = sa.update(grants).where(grants.c.dataset_id == ds["id"])
            await conn.execute(stmt.values(revoked_at=sa.func.now()))

        settings = dataclasses.replace(
            Settings(env="test", database_url=database_url), response_cache_lease=LEASE
        )
        # when an operator's command revokes the grant while B is slow to hear
        async with b.slowed(0.5):
            await asyncio.to_thread(in_transaction, settings, revoke)
            heard_at_return = b.listener.heard
        # then B had heard it when the command returned, and the dataset is gone on B
        assert heard_at_return >= await _version(world)
        assert await b.data(ds["gid"], token) == MISSING


def _jti(world: World, token: str) -> str:
    claims = validate_access_token(
        token, world.keys, issuer="http://testserver", audience="lnob-api"
    )
    return claims.jti


@pytest.fixture
def own_token(world: World) -> Iterator[str]:
    """A token of the agency's own client (revoking it leaves the world's token alone)."""
    token = token_for(world.keys, client=world.a["agency_client"], scopes=("data:read",))
    yield token


class TestRememberedTokens:
    async def test_a_cache_hit_for_a_remembered_token_runs_no_statement(
        self, world: World, workers: tuple[Worker, Worker], own_token: str
    ) -> None:
        # given the agency's token remembered on B and its answer in B's cache
        _, b = workers
        ds = await world.dataset(world.a, visibility="PUBLIC")
        await _cached_on(b, ds["gid"], own_token)
        # when it reads the same again, ten times
        taken, hits = b.database.taken, b.cache.hits
        for _ in range(10):
            assert (await b.data(ds["gid"], own_token))["dataset"] is not None
        # then every answer came from the cache, without a statement
        assert b.cache.hits == hits + 10
        assert b.database.taken == taken

    async def test_without_a_running_lease_each_hit_checks_the_token(
        self, world: World, workers: tuple[Worker, Worker], own_token: str
    ) -> None:
        # given the token remembered on B and its answer cached, and B's lease run out
        _, b = workers
        ds = await world.dataset(world.a, visibility="PUBLIC")
        await _cached_on(b, ds["gid"], own_token)
        async with b.slowed(LEASE):
            await _until(lambda: not b.cache.usable())
            # when it reads
            taken = b.database.taken
            for _ in range(3):
                assert (await b.data(ds["gid"], own_token))["dataset"] is not None
            # then every request read the token's facts (and the data: the cache is off)
            assert b.database.taken >= taken + 3


REFUSED = {"token": "401", "grant": "missing", "command": "missing"}


@pytest.mark.parametrize("slow", [False, True], ids=["prompt", "slow-listener"])
@pytest.mark.parametrize("kind", list(REFUSED))
async def test_readers_on_b_racing_a_revocation_on_a(
    world: World, workers: tuple[Worker, Worker], kind: str, slow: bool, database_url: str
) -> None:
    # given the agency reading a granted COALITION dataset on B, from B's cache
    a, b = workers
    ds, grant = await world.granted(visibility="COALITION", title="Granted")
    machine = world.a["agency_client"]
    token = token_for(world.keys, client=machine, scopes=("data:read",))
    old = await _cached_on(b, ds["gid"], token)
    assert old["dataset"]["title"] == "Granted"
    log: list[tuple[float, str]] = []
    acknowledged: list[float] = []
    reading = asyncio.Event()

    def outcome(response: httpx.Response) -> str:
        if response.status_code == 200 and response.json()["data"] == old:
            return "old"
        if REFUSED[kind] == "401":
            assert response.status_code == 401, response.text
            assert response.json()["error"] == "invalid_token", response.text
        else:
            assert response.status_code == 200, response.text
            assert response.json()["data"] == MISSING, response.text
        return "refused"

    async def read() -> None:
        after = 0
        while after < 5:  # until five of its requests started after the acknowledgement
            started = time.monotonic()
            log.append((started, outcome(await b.lookup(ds["gid"], token))))
            if len(log) >= 20:
                reading.set()
            if acknowledged and started > acknowledged[0]:
                after += 1
            await asyncio.sleep(0.001)  # hits need no I/O: let the listener renew meanwhile

    async def revoke() -> None:
        if kind == "token":  # RFC 7009, by the client itself, on A
            response = await a.client.post(
                "/oauth/revoke",
                data={"token": token, "token_type_hint": "access_token"},
                auth=httpx.BasicAuth(machine["client_id"], f"secret-{machine['client_id']}"),
            )
            assert response.status_code == 200, response.text
        elif kind == "command":  # an operator's command revokes the grant (no worker's)
            grants = models.Grant.__table__

            async def revoking(conn: Any) -> None:
                stmt = sa.update(grants).where(grants.c.dataset_id == ds["id"])
                await conn.execute(stmt.values(revoked_at=sa.func.now()))

            settings = dataclasses.replace(
                Settings(env="test", database_url=database_url), response_cache_lease=LEASE
            )
            await asyncio.to_thread(in_transaction, settings, revoking)
        else:  # A's admin revokes the grant, on A
            response = await a.client.post(
                "/graphql",
                json={"query": REVOKE, "variables": {"input": {"id": grant}}},
                headers=bearer(world.tokens["admin"]),
            )
            assert response.json()["data"]["grantRevoke"]["userErrors"] == [], response.text

    hits = b.cache.hits
    lane = _lane(b)
    lane_hits = lane.served_hits
    readers = [asyncio.ensure_future(read()) for _ in range(6)]
    try:
        # when A acknowledges the revocation while they read (B slow to hear it, or not)
        await asyncio.wait_for(reading.wait(), 30)
        if slow:
            async with b.slowed(1.0):
                await revoke()
                acknowledged.append(time.monotonic())
        else:
            await revoke()
            acknowledged.append(time.monotonic())
        await asyncio.wait_for(asyncio.gather(*readers), 60)
    finally:
        for task in readers:
            task.cancel()
        jti = _jti(world, token)
        async with world.engine.begin() as conn:
            revoked = models.RevokedToken.__table__
            await conn.execute(sa.delete(revoked).where(revoked.c.jti == jti))
    # then the readers were answered from B's cache before, and every request that started
    # after the acknowledgement was refused
    before = [seen for started, seen in log if started < acknowledged[0]]
    after = [seen for started, seen in log if started > acknowledged[0]]
    assert b.cache.hits > hits
    assert lane.served_hits > lane_hits  # the fast lane answered hits (graphql.fasthit)
    assert "old" in before, log
    assert len(after) >= 30 and set(after) == {"refused"}, log


def _lane(worker: Worker) -> FastLane:
    """The worker's fast lane, which answers its cache's hits before the whole stack."""
    app: Any = worker.client._transport.app  # type: ignore[attr-defined]
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    layer = app.middleware_stack
    while not isinstance(layer, FastLane):
        layer = layer.app
    return layer


class TestAnnouncement:
    async def test_a_write_whose_version_cannot_move_fails_to_commit(
        self, engine: AsyncEngine
    ) -> None:
        # given a table to write to, and the data version's row held by another transaction
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE lease_commit_probe (n int)"))
        cache = ResponseCache()
        cache.hearing()  # as with a listener: a write keeps it off until its notice is back
        cache.leased_until(float("inf"))
        holder = await asyncpg.connect(dsn_of(engine))
        try:
            await holder.execute("BEGIN")
            await holder.execute("SELECT version FROM data_versions FOR UPDATE")
            # when a write commits, unable to move the version in time
            with pytest.raises(sa.exc.DBAPIError):
                async with engine.begin() as conn:
                    await conn.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
                    await conn.execute(sa.text("INSERT INTO lease_commit_probe VALUES (1)"))
            await holder.execute("ROLLBACK")
            # then it is not committed (never acknowledged as if it were), and this process's
            # cache is not left waiting for its notification
            async with engine.connect() as conn:
                found = await conn.execute(sa.text("SELECT count(*) FROM lease_commit_probe"))
                assert found.scalar() == 0
            assert cache.usable()
        finally:
            await holder.close()
            async with engine.begin() as conn:
                await conn.execute(sa.text("DROP TABLE lease_commit_probe"))

    async def test_a_write_announces_itself_in_one_statement_before_its_commit(
        self, engine: AsyncEngine
    ) -> None:
        # given a table to write to, and a first write that found the data version
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE lease_statement_probe (n int)"))
        sent: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            sent.append(statement)

        try:
            # when another write commits
            sa.event.listen(engine.sync_engine, "before_cursor_execute", count)
            try:
                async with engine.begin() as conn:
                    await conn.execute(sa.text("INSERT INTO lease_statement_probe VALUES (1)"))
            finally:
                sa.event.remove(engine.sync_engine, "before_cursor_execute", count)
            # then the write and one announcement were sent (the version moved, and told)
            assert len(sent) == 2 and "data_versions" in sent[1], sent
        finally:
            async with engine.begin() as conn:
                await conn.execute(sa.text("DROP TABLE lease_statement_probe"))

    async def test_a_transaction_that_failed_before_its_commit_commits_nothing_quietly(
        self, engine: AsyncEngine
    ) -> None:
        # given a table, and the data version known to this engine (a write announced before)
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE lease_failed_probe (n int UNIQUE)"))
        cache = ResponseCache()
        try:
            # when a transaction writes, fails a statement, and commits anyway
            async with engine.connect() as conn:
                await conn.execute(sa.text("INSERT INTO lease_failed_probe VALUES (1)"))
                with pytest.raises(sa.exc.IntegrityError):
                    await conn.execute(sa.text("INSERT INTO lease_failed_probe VALUES (1)"))
                await conn.commit()
            # then nothing was committed, the commit said nothing, and the cache is usable
            async with engine.connect() as conn:
                found = await conn.execute(sa.text("SELECT count(*) FROM lease_failed_probe"))
                assert found.scalar() == 0
            assert cache.usable()
        finally:
            async with engine.begin() as conn:
                await conn.execute(sa.text("DROP TABLE lease_failed_probe"))


class TestAcks:
    async def test_an_acknowledgement_of_an_older_version_does_not_release_a_writer(self) -> None:
        # given a writer waiting for worker w to hear version 5
        acks = Acks()
        acks.received("host:1:abc 3")
        waiting = asyncio.ensure_future(
            acks.until_heard(["host:1:abc", "host:2:def"], 5, acks.count, time.monotonic() + 10)
        )
        await asyncio.sleep(0.01)
        # when one says it heard 4, then both say they heard 5 and 6
        acks.received("host:1:abc 4")
        await asyncio.sleep(0.01)
        assert not waiting.done()
        acks.received("host:1:abc 5")
        acks.received("host:2:def 6")
        # then the writer is released at once, and nothing is left behind
        assert await asyncio.wait_for(waiting, 5) == []
        assert acks.heard_by("host:1:abc") == 5

    async def test_a_garbled_acknowledgement_is_ignored(self) -> None:
        acks = Acks()
        for payload in ("", "5", "worker", "worker five", "worker -1"):
            acks.received(payload)
        assert acks.count == 0 and acks.heard_by("worker") == 0
