"""The pool gauges on ``/metrics`` (real HTTP, a real pool) while the compiled read path keeps
its driver connection on the shelf (``db.request.EngineDatabase.raw_statement``): a shelved
connection is reported as ``lnob_db_pool_shelved``, not as checked out; one running a read is
checked out; once reads stop, both are back to 0."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.observability.test_metrics import scraped

from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db import create_engine, request
from lnob_api.db.request import EngineDatabase, RequestDb
from lnob_api.graphql.compiled import FALLBACKS

QUERY = "query($c: String!) { coalition(code: $c) { code name } }"


@pytest.fixture
async def pooled(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine of its own (pool gauges watched), over the session's reference data (``engine``
    committed it)."""
    own = create_engine(database_url, pool_size=2)
    try:
        yield own
    finally:
        await own.dispose()


async def _pool(client: httpx.AsyncClient, engine: AsyncEngine) -> tuple[float, float]:
    """(checked out, shelved) as a scrape of ``/metrics`` reports them for ``engine``'s pool."""
    url = engine.sync_engine.url
    label = (("pool", f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"),)
    response = await client.get("/metrics")
    assert response.status_code == 200
    samples = scraped(response.text)
    return (
        samples[("lnob_db_pool_checked_out", label)],
        samples[("lnob_db_pool_shelved", label)],
    )


async def test_shelved_connections_are_reported_as_shelved_not_checked_out(
    pooled: AsyncEngine, signing_keys: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an app on a real pool, with the compiled path on
    from lnob_api.app import create_app

    monkeypatch.setattr(request, "SHELF_IDLE", 0.1)
    async with pooled.connect() as conn:
        code = (await conn.execute(text("SELECT min(code) FROM coalitions"))).scalar()
    assert isinstance(code, str)
    body = {"query": QUERY, "variables": {"c": code}}
    settings = Settings(env="test", issuer="http://testserver", compiled=True)
    app = create_app(
        dataclasses.replace(settings, rate_limit=0),
        database=EngineDatabase(pooled),
        keys=signing_keys,
    )
    transport = httpx.ASGITransport(app=app)
    locker = await asyncpg.connect(
        make_url(str(pooled.sync_engine.url.render_as_string(hide_password=False)))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            fell = sum(FALLBACKS.values())
            # when a compiled read has ended
            first = await client.post("/graphql", json=body)
            assert first.json()["data"]["coalition"]["code"] == code
            assert sum(FALLBACKS.values()) == fell  # the compiled path answered
            # then its connection is shelved, not checked out
            assert await _pool(client, pooled) == (0, 1)

            # when a compiled read is running (held by a lock taken outside the pool)
            held = locker.transaction()
            await held.start()
            await locker.execute("LOCK TABLE coalitions IN ACCESS EXCLUSIVE MODE")
            reading = asyncio.ensure_future(client.post("/graphql", json=body))
            for _ in range(200):
                waiting = await locker.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if waiting:
                    break
                await asyncio.sleep(0.01)
            during = await _pool(client, pooled)
            await held.rollback()
            second = await reading
            # then the connection it took from the shelf is checked out meanwhile
            assert waiting == 1
            assert during == (1, 0)
            assert second.json() == first.json()
            assert await _pool(client, pooled) == (0, 1)

            # when no read comes for a while, the shelf goes back to the pool
            for _ in range(100):
                if await _pool(client, pooled) == (0, 0):
                    break
                await asyncio.sleep(0.02)
            # then neither gauge counts it
            assert await _pool(client, pooled) == (0, 0)
    finally:
        await locker.close()


async def test_the_shelf_given_back_or_closed_leaves_the_gauges(pooled: AsyncEngine) -> None:
    # given both pooled connections on the shelf (two compiled-style reads at once)
    db = EngineDatabase(pooled)
    db.shelf_size = 2
    url = pooled.sync_engine.url
    labels = {"pool": f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"}

    def gauges() -> tuple[float, float]:
        return tuple(  # type: ignore[return-value]
            REGISTRY.get_sample_value(name, labels) or 0.0
            for name in ("lnob_db_pool_checked_out", "lnob_db_pool_shelved")
        )

    async def read() -> None:
        reads = RequestDb(db)
        reads.single_read()
        await reads.driver_row("SELECT 1", ())
        await reads.close()

    await asyncio.gather(read(), read())
    assert gauges() == (0, 2)
    # when a transaction needs a connection from the empty pool
    async with db.transaction():
        # then the shelf went back, and the transaction's connection is the one in use
        assert gauges() == (1, 0)
    assert gauges() == (0, 0)
    # when a connection is shelved and the engine disposed
    await read()
    assert gauges() == (0, 1)
    await pooled.dispose()
    # then it is counted nowhere
    assert gauges() == (0, 0)
