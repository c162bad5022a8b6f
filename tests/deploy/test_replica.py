"""Read replicas with two real PostgreSQL servers: a primary and a streaming replica of it.

The replica is made the way an operator makes one (``pg_basebackup -R``: a copy of the primary
that follows its WAL). To see which server answered, the test pauses the replica's WAL replay:
a row written to the primary then is missing on the replica only, until replay resumes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from starlette.applications import Starlette
from tests import factories as f
from tests.cluster import PASSWORD, POSTGRES_BIN_PATH, Cluster, free_port
from tests.helpers import bearer, token_for

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db import create_engine, migrate
from lnob_api.db.replica import RecentWrites, RoutedDatabase
from lnob_api.db.request import EngineDatabase

REDIS = "redis://127.0.0.1:6379/0"
ALL_SCOPES = ("data:read", "data:write", "coalition:admin", "partnership:admin")
BY_SLUG = "query($slug: String!) { organisation(slug: $slug) { slug name } }"
CREATE = (
    "mutation($input: OrganisationCreateInput!) { organisationCreate(input: $input) {"
    " organisation { slug } userErrors { code message } } }"
)


class StreamingReplica(Cluster):
    """A hot standby of ``primary``, copied with ``pg_basebackup -R`` (no initdb)."""

    def __init__(self, primary: Cluster) -> None:
        self.primary = primary
        super().__init__()

    def _init(self) -> None:
        if self._user:
            shutil.chown(self.folder, self._user)
        subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "pg_basebackup"),
                "--host=127.0.0.1",
                f"--port={self.primary.port}",
                "--username=postgres",
                f"--pgdata={self.data}",
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
            ],
            check=True,
            capture_output=True,
            env=os.environ | {"PGPASSWORD": PASSWORD},
            **self._run_as(),
        )

    def pause(self) -> None:
        self.psql("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        self.psql("SELECT pg_wal_replay_resume()")

    def wait_for(self, sql: str, database: str = "lnob") -> None:
        """Until ``sql`` answers ``t`` here (replay caught up); a bound, not a timing check."""
        deadline = time.monotonic() + 60
        while self.psql(sql, database) != "t":
            assert time.monotonic() < deadline, f"the replica never answered t to {sql}"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Cluster, StreamingReplica]]:
    primary = Cluster()
    primary.start()
    primary.psql("CREATE DATABASE lnob")
    migrate.upgrade(primary.url("lnob"))
    replica = StreamingReplica(primary)
    replica.start()
    assert replica.psql("SELECT pg_is_in_recovery()") == "t"
    yield primary, replica
    replica.remove()
    primary.remove()


@pytest.fixture(scope="module")
async def seeded(servers: tuple[Cluster, StreamingReplica]) -> None:
    """The reference data (areas, SDG framework), committed on the primary."""
    from lnob_api.seed import seed

    engine = create_engine(servers[0].url("lnob"), pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
    await engine.dispose()


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"lnob-test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture(scope="module")
async def app(
    servers: tuple[Cluster, StreamingReplica], signing_keys: KeyStore, prefix: str
) -> AsyncIterator[Starlette]:
    primary, replica = servers
    settings = Settings(
        env="test",
        issuer="http://testserver",
        database_url=primary.url("lnob"),
        database_read_url=replica.url("lnob"),
        graphiql=False,
        redis_url=REDIS,
        redis_prefix=prefix,
        read_your_writes=600,  # longer than the test: the window's end is tested on its own
    )
    application = create_app(settings, keys=signing_keys)
    async with application.router.lifespan_context(application):
        yield application
    client = aioredis.from_url(REDIS)
    keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def world(
    servers: tuple[Cluster, StreamingReplica], seeded: None
) -> AsyncIterator[dict[str, Any]]:
    """Committed on the primary: a client of an organisation, two partnership admins."""
    primary, replica = servers
    engine = create_engine(primary.url("lnob"), pool_size=1)
    async with engine.begin() as conn:
        home = await f.create_organisation(conn, slug=f"home-{uuid.uuid4().hex[:8]}")
        client = await f.create_client(conn, home, client_id=f"replica-{uuid.uuid4().hex[:8]}")
        writer = await f.create_user(conn, is_partnership_admin=True)
        other = await f.create_user(conn, is_partnership_admin=True)
    await engine.dispose()
    replica.wait_for(
        f"SELECT count(*) = 1 FROM oauth_clients WHERE client_id = '{client['client_id']}'"
    )
    yield {"client": client, "writer": writer, "other": other}
    replica.resume()


async def _organisation(http: httpx.AsyncClient, slug: str, token: str | None = None) -> Any:
    headers = bearer(token) if token else {}
    response = await http.post(
        "/graphql", json={"query": BY_SLUG, "variables": {"slug": slug}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["organisation"]


class TestReads:
    async def test_a_query_and_the_catalog_are_served_by_the_replica(
        self, servers: tuple[Cluster, StreamingReplica], http: httpx.AsyncClient, world: Any
    ) -> None:
        primary, replica = servers
        # given a row committed on the primary while the replica's replay is paused
        replica.pause()
        slug = f"lagging-{uuid.uuid4().hex[:8]}"
        primary.psql(
            f"INSERT INTO organisations (slug, name, kind) VALUES ('{slug}', 'Lagging', 'OTHER')",
            "lnob",
        )
        engine = create_engine(primary.url("lnob"), pool_size=1)
        async with engine.begin() as conn:
            coalition = await f.create_coalition(conn)
            title = f"Dataset only on the primary {uuid.uuid4().hex[:8]}"
            await f.create_dataset(conn, coalition, title=title)
        await engine.dispose()
        assert (
            primary.psql(f"SELECT count(*) FROM organisations WHERE slug = '{slug}'", "lnob") == "1"
        )
        # when an anonymous caller reads it, then then once the replica has caught up
        before = await _organisation(http, slug)
        catalog_before = (await http.get("/catalog.jsonld")).text
        replica.resume()
        replica.wait_for(f"SELECT count(*) = 1 FROM organisations WHERE slug = '{slug}'")
        after = await _organisation(http, slug)
        catalog_after = (await http.get("/catalog.jsonld")).text
        # then the answers came from the replica: missing while it lagged, there after
        assert before is None
        assert after == {"slug": slug, "name": "Lagging"}
        assert title not in catalog_before
        assert title in catalog_after


class TestWrites:
    async def test_a_mutation_writes_on_the_primary_and_its_author_reads_it_at_once(
        self,
        servers: tuple[Cluster, StreamingReplica],
        http: httpx.AsyncClient,
        world: Any,
        signing_keys: KeyStore,
    ) -> None:
        primary, replica = servers
        writer = token_for(
            signing_keys, client=world["client"], user=world["writer"], scopes=ALL_SCOPES
        )
        other = token_for(
            signing_keys, client=world["client"], user=world["other"], scopes=ALL_SCOPES
        )
        replica.pause()
        # when a partnership admin creates an organisation (the replica cannot take writes)
        name = f"Written {uuid.uuid4().hex[:8]}"
        response = await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": {"name": name}}},
            headers=bearer(writer),
        )
        body = response.json()
        assert "errors" not in body, body
        payload = body["data"]["organisationCreate"]
        assert payload["userErrors"] == []
        slug = payload["organisation"]["slug"]
        # then it is on the primary, not yet on the paused replica
        where = f"SELECT count(*) FROM organisations WHERE slug = '{slug}'"
        assert primary.psql(where, "lnob") == "1"
        assert replica.psql(where, "lnob") == "0"
        # and its author reads it right away (from the primary), others still from the replica
        assert await _organisation(http, slug, writer) == {"slug": slug, "name": name}
        assert await _organisation(http, slug, other) is None
        assert await _organisation(http, slug) is None

    async def test_tokens_are_issued_by_the_primary(
        self, servers: tuple[Cluster, StreamingReplica], http: httpx.AsyncClient, world: Any
    ) -> None:
        primary, replica = servers
        # given a client registered on the primary while the replica lags
        replica.pause()
        engine = create_engine(primary.url("lnob"), pool_size=1)
        async with engine.begin() as conn:
            home = await f.create_organisation(conn, slug=f"fresh-{uuid.uuid4().hex[:8]}")
            fresh = await f.create_client(conn, home, client_id=f"fresh-{uuid.uuid4().hex[:8]}")
        await engine.dispose()
        # when it asks for a token, then it gets one (the replica does not know it yet)
        response = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "data:read"},
            auth=(fresh["client_id"], f"secret-{fresh['client_id']}"),
        )
        assert response.status_code == 200, response.text
        where = f"SELECT count(*) FROM oauth_clients WHERE client_id = '{fresh['client_id']}'"
        assert replica.psql(where, "lnob") == "0"
        # and the token works for a query
        token = response.json()["access_token"]
        viewer = await http.post(
            "/graphql", json={"query": "{ viewer { __typename } }"}, headers=bearer(token)
        )
        assert viewer.status_code == 200, viewer.text


class TestFallback:
    async def test_an_unreachable_replica_sends_reads_to_the_primary(
        self, servers: tuple[Cluster, StreamingReplica]
    ) -> None:
        primary, _ = servers
        main = create_engine(primary.url("lnob"), pool_size=1)
        gone = create_engine(
            f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:{free_port()}/lnob", pool_size=1
        )
        routed = RoutedDatabase(EngineDatabase(main), EngineDatabase(gone), RecentWrites(10))
        try:
            target = await routed.for_reads(None)
            async with target.transaction() as conn:
                in_recovery = await conn.scalar(sa.text("SELECT pg_is_in_recovery()"))
            assert in_recovery is False
            # and for a few seconds the replica is not even tried
            assert await routed.for_reads(None) is routed.primary
        finally:
            await main.dispose()
            await gone.dispose()

    async def test_a_reachable_replica_is_in_recovery(
        self, servers: tuple[Cluster, StreamingReplica]
    ) -> None:
        primary, replica = servers
        main = create_engine(primary.url("lnob"), pool_size=1)
        follower = create_engine(replica.url("lnob"), pool_size=1)
        routed = RoutedDatabase(EngineDatabase(main), EngineDatabase(follower), RecentWrites(10))
        try:
            async with (await routed.for_reads(None)).transaction() as conn:
                assert await conn.scalar(sa.text("SELECT pg_is_in_recovery()")) is True
            async with routed.transaction() as conn:
                assert await conn.scalar(sa.text("SELECT pg_is_in_recovery()")) is False
        finally:
            await main.dispose()
            await follower.dispose()

    async def test_a_cancel_by_pid_reaches_the_server_running_the_statement(
        self, servers: tuple[Cluster, StreamingReplica]
    ) -> None:
        primary, replica = servers
        main = create_engine(primary.url("lnob"), pool_size=1)
        follower = create_engine(replica.url("lnob"), pool_size=2)
        routed = RoutedDatabase(EngineDatabase(main), EngineDatabase(follower), RecentWrites(10))
        try:
            async with (await routed.for_reads(None)).transaction() as conn:
                raw = await conn.get_raw_connection()
                pid = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
                assert pid in routed.replica_pids
                # given a long statement on the replica (an export whose client went away)
                running = asyncio.ensure_future(conn.execute(sa.text("SELECT pg_sleep(60)")))
                active = f"SELECT count(*) = 1 FROM pg_stat_activity WHERE pid = {pid} AND state = 'active'"
                await asyncio.to_thread(replica.wait_for, active, "postgres")
                # when the app cancels it by its pid, then the replica stops it
                await routed.cancel_backend(pid)
                with pytest.raises(sa.exc.DBAPIError, match="cancel"):
                    await asyncio.wait_for(running, 30)
            assert pid not in routed.replica_pids
        finally:
            await main.dispose()
            await follower.dispose()


class TestRecentWrites:
    async def test_a_write_is_recent_for_the_window_only(self) -> None:
        now = [1000.0]
        writes = RecentWrites(10, clock=lambda: now[0])
        await writes.note("user:1")
        assert await writes.recent("user:1")
        assert not await writes.recent("user:2")
        now[0] += 10.5
        assert not await writes.recent("user:1")

    async def test_processes_share_recent_writes_through_redis(self, prefix: str) -> None:
        one = RecentWrites(30, redis_url=REDIS, prefix=prefix)
        two = RecentWrites(30, redis_url=REDIS, prefix=prefix)
        try:
            await one.note("client:shared")
            assert await two.recent("client:shared")
            assert not await two.recent("client:someone-else")
            ttl = await two.redis.pttl(f"{prefix}wrote:client:shared")
            assert 0 < ttl <= 30_000
        finally:
            await one.redis.delete(f"{prefix}wrote:client:shared")
            await one.close()
            await two.close()

    async def test_without_redis_every_signed_in_reader_counts_as_a_writer(self) -> None:
        writes = RecentWrites(30, redis_url=f"redis://127.0.0.1:{free_port()}/0")
        try:
            assert await writes.recent("user:7")  # stale reads are never the price of an outage
        finally:
            await writes.close()
