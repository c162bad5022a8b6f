"""A statement the driver ran itself and that failed never leaves its connection in the pool
(``db.request``): SQLAlchemy did not see the failure, so the pool cannot tell a connection left
mid-operation from a healthy one, and the next request would inherit it."""

from __future__ import annotations

import asyncpg
import pytest

from lnob_api.db import create_engine
from lnob_api.db.request import EngineDatabase, RequestDb

PID = "SELECT pg_backend_pid() AS pid"
FAILS = "SELECT pg_backend_pid() / 0 AS pid"


async def _pid(database: EngineDatabase, sql: str, *, first: bool) -> int:
    db = RequestDb(database)
    db.single_read()
    try:
        if first:  # the bearer check's way (EngineDatabase.driver_statement)
            row = await db.driver_first(sql)
            assert row is not None
            return int(row["pid"])
        record = await db.driver_row(sql, ())  # the compiled read's way (raw_statement)
        return int(record["pid"])
    finally:
        await db.close()


@pytest.mark.parametrize("first", [True, False], ids=["driver_first", "driver_row"])
async def test_a_failed_statement_discards_its_connection(database_url: str, first: bool) -> None:
    # given an engine holding one pooled connection, which answers
    engine = create_engine(database_url, pool_size=1)
    database = EngineDatabase(engine)
    try:
        before = await _pid(database, PID, first=first)
        assert before == await _pid(database, PID, first=first)  # pooled: the same backend
        # when a statement fails on it
        with pytest.raises(asyncpg.DivisionByZeroError):
            await _pid(database, FAILS, first=first)
        # then the next request gets a new connection, and it works
        after = await _pid(database, PID, first=first)
    finally:
        await engine.dispose()
    assert after != before
