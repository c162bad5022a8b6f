"""What every connection of the app's engine carries from its start (``db.engine``)."""

from __future__ import annotations

import sqlalchemy as sa

from lnob_api.db import create_engine


async def test_connections_plan_prepared_statements_once(database_url: str) -> None:
    # given
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            # when
            mode = (await conn.execute(sa.text("SHOW plan_cache_mode"))).scalar_one()
            jit = (await conn.execute(sa.text("SHOW jit"))).scalar_one()
    finally:
        await engine.dispose()
    # then: a DATABASE_URL server gets what the embedded one sets on its command line
    assert mode == "force_generic_plan"
    assert jit == "off"
