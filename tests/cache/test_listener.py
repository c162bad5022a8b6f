"""Every worker hears every process's committed writes through LISTEN, and a worker whose
listener is down serves nothing from its cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.helpers import until

from lnob_api.cache import writes
from lnob_api.cache.listener import Listener, dsn_of
from lnob_api.cache.store import Entry, ResponseCache

KEY = ("GET", b"query=x", "application/json", "en", ("anonymous",))


def _entry() -> Entry:
    return Entry(b'{"data":{}}', 200, (), expires=float("inf"))


_until = until


@pytest.fixture
async def listening(engine: AsyncEngine) -> AsyncIterator[tuple[ResponseCache, Listener]]:
    cache = ResponseCache(needs_listener=True)
    listener = Listener(dsn_of(engine), cache)
    cache.set_next_change(listener.next_change)
    await listener.start()
    yield cache, listener
    await listener.stop()


class TestListener:
    async def test_a_committed_write_of_another_process_empties_the_cache(
        self, listening: tuple[ResponseCache, Listener], engine: AsyncEngine
    ) -> None:
        # given
        cache, listener = listening
        assert cache.usable()
        assert cache.put(KEY, _entry(), cache.version)
        other = await asyncpg.connect(listener.dsn)
        # when: a plain NOTIFY, as another worker's commit sends it
        try:
            await other.execute(f"NOTIFY {writes.CHANNEL}, '999999:1'")
        finally:
            await other.close()
        # then
        await _until(lambda: len(cache) == 0)
        assert cache.get(KEY) is None

    async def test_this_process_waits_for_its_own_commit_to_be_heard(
        self, listening: tuple[ResponseCache, Listener], engine: AsyncEngine
    ) -> None:
        # given
        cache, _ = listening
        async with engine.connect() as conn:
            await conn.execute(sa.text("CREATE TEMP TABLE cache_probe (n int)"))
            # when: written, not committed
            await conn.execute(sa.text("INSERT INTO cache_probe VALUES (1)"))
            pending = cache.usable()
            await conn.commit()
        # then: refused while pending, usable once the notification came back
        assert pending is False
        await _until(cache.usable)

    async def test_a_lost_listener_turns_the_cache_off_until_it_is_back(
        self, listening: tuple[ResponseCache, Listener]
    ) -> None:
        # given
        cache, listener = listening
        assert listener._conn is not None
        pid = listener._conn.get_server_pid()
        # the cache may be off for less than a poll's interval (the listener reconnects at
        # once), so its turning off is recorded rather than observed
        turned_off: list[bool] = []
        deaf = cache.deaf

        def recorded() -> None:
            turned_off.append(True)
            deaf()

        cache.deaf = recorded  # type: ignore[method-assign]
        other = await asyncpg.connect(listener.dsn)
        # when
        try:
            await other.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await other.close()
        # then it turned off, and is back on a new connection
        await _until(lambda: bool(turned_off))
        await _until(
            lambda: (
                cache.usable()
                and listener._conn is not None
                and listener._conn.get_server_pid() != pid
            )
        )
        cache.deaf = deaf  # type: ignore[method-assign]

    async def test_the_next_scheduled_change_bounds_an_entry(
        self, listening: tuple[ResponseCache, Listener]
    ) -> None:
        # given
        cache, listener = listening
        # when
        deadline = await cache.deadline()
        # then: the test database has no embargo, expiry or supersession pending
        assert await listener.next_change() is None
        assert deadline is not None
        assert deadline <= asyncio.get_running_loop().time() + cache.ttl + 1
