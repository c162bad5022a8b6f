"""The compiled read's driver connection kept off the pool between reads
(``EngineDatabase.raw_statement``'s shelf): reused while reads come, given back when they stop
or when another checkout would find the pool empty, closed when the engine is disposed, never
more than the pool allows, and an overflow connection closed properly when it goes back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lnob_api.db import request
from lnob_api.db.engine import create_engine
from lnob_api.db.request import EngineDatabase, RequestDb


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _pid(db: EngineDatabase) -> int:
    """The server process of one compiled-style read (``RequestDb.driver_row``)."""
    reads = RequestDb(db)
    reads.single_read()
    row = await reads.driver_row("SELECT pg_backend_pid()", ())
    await reads.close()
    return int(row[0])


async def test_reads_reuse_one_connection_and_give_it_back_when_they_stop(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setattr(request, "SHELF_IDLE", 0.05)
    db = EngineDatabase(engine)
    pool = engine.sync_engine.pool
    # when reads follow each other
    pids = {await _pid(db) for _ in range(20)}
    # then one server connection served them all, held off the pool meanwhile
    assert len(pids) == 1
    assert pool.checkedout() == 1  # type: ignore[attr-defined]
    # and once no read came for a while, it is back in the pool
    for _ in range(100):
        if pool.checkedout() == 0:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.02)
    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await _pid(db) in pids  # the same connection, from the pool this time


async def test_another_checkout_takes_the_shelf_back_when_the_pool_is_empty(
    engine: AsyncEngine,
) -> None:
    # given both pooled connections on the shelf (two reads at once, then none)
    db = EngineDatabase(engine)
    db.shelf_size = 2
    pool = engine.sync_engine.pool
    await asyncio.gather(_pid(db), _pid(db))
    assert pool.checkedout() == 2  # type: ignore[attr-defined]
    assert pool.checkedin() == 0  # type: ignore[attr-defined]
    # when a transaction needs a connection
    async with db.transaction() as conn:
        # then it got one given back from the shelf, not an overflow one
        assert pool.checkedout() == 1  # type: ignore[attr-defined]
        assert await conn.exec_driver_sql("SELECT 1") is not None
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_an_overflow_connection_is_closed_when_it_goes_back(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given a pool that opens overflow connections (pool_size 2, up to 3 more; shelf 1)
    engine = create_async_engine(database_url, pool_size=2, max_overflow=3)
    try:
        db = EngineDatabase(engine)
        pool: Any = engine.sync_engine.pool
        caplog.set_level(logging.ERROR, logger="sqlalchemy.pool")
        # when more reads run at once than the pool and the shelf keep, and end
        pids = await asyncio.gather(*(_pid(db) for _ in range(5)))
        # then the overflow connections were closed without error; none is left checked
        # out beyond the shelf
        assert len(set(pids)) == 5
        assert "Exception closing connection" not in caplog.text, caplog.text
        assert pool.checkedout() == db.shelf_size == 1
        assert pool.checkedin() == 2
        assert pool.overflow() == 1  # 3 open (2 pooled, 1 shelved): the other 2 closed
    finally:
        await engine.dispose()


async def test_dispose_closes_shelved_connections(engine: AsyncEngine) -> None:
    # given a connection on the shelf
    db = EngineDatabase(engine)
    await _pid(db)
    ((proxied, _),) = db._shelf
    driver = proxied.driver_connection
    # when the engine is disposed
    await engine.dispose()
    # then it is closed, and the next read opens a fresh one from the new pool
    assert driver.is_closed()
    assert db._shelf == []
    assert await _pid(db) > 0
