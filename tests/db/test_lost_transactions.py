"""A transaction whose connection was discarded under it is a database failure (503), not an
internal error (``db.availability``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from lnob_api.db import availability, create_engine


async def test_a_statement_after_the_connection_was_discarded_is_unavailable(
    database_url: str,
) -> None:
    # given a transaction whose connection is invalidated half-way (lost, or found stuck)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.begin()
            await conn.execute(sa.text("SELECT 1"))
            await conn.invalidate()
            # when the request goes on to its next statement or its commit
            with pytest.raises(sa_exc.PendingRollbackError) as caught:
                await conn.execute(sa.text("SELECT 1"))
            await conn.rollback()
        # then it is told apart as the database's failure
        assert availability.failure_of(caught.value) is availability.Failure.UNAVAILABLE
        # and the pool serves a fresh connection afterwards
        async with engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_a_constraint_the_database_refused_is_not_a_failure(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            with pytest.raises(sa_exc.DBAPIError) as caught:
                await conn.execute(sa.text("SELECT 1 / 0"))
    finally:
        await engine.dispose()
    assert availability.failure_of(caught.value) is None
