"""A worker's lease through database outages (tests/cluster.py: a PostgreSQL the test stops,
freezes and restarts itself): the cache is off while the lease cannot be renewed, and back,
hearing again, once the database is."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from functools import partial

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.cluster import Cluster, migrated_cluster
from tests.helpers import until

from lnob_api.cache.listener import Listener, dsn_of
from lnob_api.cache.store import Entry, ResponseCache
from lnob_api.db.engine import Timeouts, create_engine

LEASE = 2.0
KEY = ("GET", b"query=x", "application/json", "en", ("anonymous",))


_until = partial(until, limit=60.0)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from migrated_cluster()


@pytest.fixture
async def listening(cluster: Cluster) -> AsyncIterator[tuple[ResponseCache, Listener, AsyncEngine]]:
    engine = create_engine(cluster.url("lnob"), pool_size=1, timeouts=Timeouts(connect=1))
    cache = ResponseCache(needs_listener=True)
    listener = Listener(dsn_of(engine), cache, lease=LEASE)
    cache.set_next_change(listener.next_change)
    await listener.start()
    await _until(cache.usable)
    try:
        yield cache, listener, engine
    finally:
        cluster.thaw()
        if cluster.process is None:  # a failed test left it stopped
            cluster.start()
        await listener.stop()
        await engine.dispose()


async def _written_and_heard(engine: AsyncEngine, listener: Listener) -> None:
    """A committed write, heard and reported by the listener."""
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TEMP TABLE lease_probe (n int)"))
        await conn.execute(sa.text("INSERT INTO lease_probe VALUES (1)"))
    async with engine.connect() as conn:
        version = (await conn.execute(sa.text("SELECT version FROM data_versions"))).scalar()
    await _until(lambda: listener.heard >= version)


def _entry() -> Entry:
    return Entry(b'{"data":{}}', 200, (), expires=float("inf"))


class TestLeaseOutages:
    async def test_a_restarted_database_turns_the_cache_off_until_it_hears_again(
        self, cluster: Cluster, listening: tuple[ResponseCache, Listener, AsyncEngine]
    ) -> None:
        # given an entry in the cache
        cache, listener, engine = listening
        assert cache.put(KEY, _entry(), cache.version)
        # when the database stops
        cluster.stop()
        # then the cache is off and has forgotten the entry
        await _until(lambda: not cache.usable())
        assert cache.get(KEY) is None
        # and once the database is back, so is the cache, hearing writes again
        cluster.start()
        await _until(cache.usable)
        await _written_and_heard(engine, listener)

    async def test_a_frozen_database_lets_the_lease_run_out(
        self, cluster: Cluster, listening: tuple[ResponseCache, Listener, AsyncEngine]
    ) -> None:
        # given an entry in the cache
        cache, listener, engine = listening
        assert cache.put(KEY, _entry(), cache.version)
        # when the database stops answering (the connection stays open)
        cluster.freeze()
        try:
            # then the cache stops answering once its lease runs out
            await _until(lambda: not cache.usable(), limit=LEASE * 3)
            assert cache.lease_until <= time.monotonic()
        finally:
            cluster.thaw()
        # and comes back with the database
        await _until(cache.usable)
        await _written_and_heard(engine, listener)
