"""Migration 0018: disaggregation codes that hold a character JSON escapes (uploads accepted any
text before it) are rewritten before the CHECKs that refuse them are added."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from tests.db.test_migrations import _drop, _scratch_database
from tests.factories import create_coalition, create_dataset, create_observation

from lnob_api.db import create_engine, migrate
from lnob_api.models.observation import DIMENSION_COLUMNS
from lnob_api.seed import seed

BEFORE = {
    "sex": 'F"M',
    "age": "Y15\\24",
    "disability_status": "PD\tX",
    "urbanisation": "U\nR",
    "group_code": 'RO"MA\x01\\',
}
AFTER = {
    "sex": "F'M",
    "age": "Y15/24",
    "disability_status": "PD X",
    "urbanisation": "U R",
    "group_code": "RO'MA /",
}


class TestPlainBreakdowns:
    async def test_existing_codes_are_rewritten_then_held(self, database_url: str) -> None:
        # given: a database at 0017 with an observation whose codes hold escaped characters
        url, name = await _scratch_database(database_url)
        engine = create_engine(url, pool_size=1)
        try:
            await asyncio.to_thread(migrate.upgrade, url, "0017")
            async with engine.begin() as conn:
                await seed(conn, demo=False)
                dataset = await create_dataset(conn, await create_coalition(conn))
                row = await create_observation(conn, dataset, **BEFORE)
                plain = await create_observation(conn, dataset, period="2021", sex="F")
            # when
            await asyncio.to_thread(migrate.upgrade, url)
            # then: the codes are rewritten, their row's updated_at moved, the other row kept
            async with engine.begin() as conn:
                found = (
                    await conn.execute(
                        sa.text(
                            f"SELECT {', '.join(DIMENSION_COLUMNS)}, updated_at, id"
                            " FROM observations ORDER BY id"
                        )
                    )
                ).all()
                assert [dict(zip(DIMENSION_COLUMNS, r[:5], strict=True)) for r in found] == [
                    AFTER,
                    {c: "F" if c == "sex" else "_T" for c in DIMENSION_COLUMNS},
                ]
                assert found[0].updated_at > row["updated_at"]
                assert found[1].updated_at == plain["updated_at"]
                # ... and a new one is refused
                with pytest.raises(IntegrityError, match="ck_observations_sex_plain"):
                    await conn.execute(
                        sa.text("UPDATE observations SET sex = 'F\"' WHERE id = :id"),
                        {"id": row["id"]},
                    )
        finally:
            await engine.dispose()
            await _drop(database_url, name)
