"""Migration 0019: units stored before it are rewritten canonical (look-alikes of a count unit
as that count unit) before the CHECK that refuses any other is added."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from tests.db.test_migrations import _drop, _scratch_database
from tests.factories import create_coalition, create_dataset, create_observation

from lnob_api.db import create_engine, migrate
from lnob_api.seed import seed

# unit before -> after
UNITS = {
    "persons\t": "persons",
    "\npersons": "persons",
    " Persons\u00a0": "Persons",
    "per\u200bsons": "persons",
    "PER\u017fONS": "PERSONS",
    "\u0131nd\u0131v\u0131duals": "INDIVIDUALS",
    "per  1000\u3000people": "per 1000 people",
    "\u0440\u0435rsons": "PERSONS",
}


class TestCanonicalUnits:
    async def test_existing_units_are_rewritten_then_held(self, database_url: str) -> None:
        # given: a database at 0018 with observations whose units are not canonical
        url, name = await _scratch_database(database_url)
        engine = create_engine(url, pool_size=1)
        try:
            await asyncio.to_thread(migrate.upgrade, url, "0018")
            async with engine.begin() as conn:
                await seed(conn, demo=False)
                dataset = await create_dataset(conn, await create_coalition(conn))
                rows = [
                    await create_observation(conn, dataset, period=str(2000 + i), unit=unit)
                    for i, unit in enumerate(UNITS)
                ]
                plain = await create_observation(conn, dataset, period="2020", unit="PERCENT")
            # when
            await asyncio.to_thread(migrate.upgrade, url)
            # then: the units are rewritten, their rows' updated_at moved, the other row kept
            async with engine.begin() as conn:
                found = (
                    await conn.execute(
                        sa.text("SELECT unit, updated_at FROM observations ORDER BY id")
                    )
                ).all()
                assert [r.unit for r in found] == [*UNITS.values(), "PERCENT"]
                assert all(
                    r.updated_at > row["updated_at"] for r, row in zip(found, rows, strict=False)
                )
                assert found[-1].updated_at == plain["updated_at"]
                # ... and a new one is refused
                with pytest.raises(IntegrityError, match="ck_observations_unit_canonical"):
                    await conn.execute(
                        sa.text("UPDATE observations SET unit = 'persons ' WHERE id = :id"),
                        {"id": plain["id"]},
                    )
        finally:
            await engine.dispose()
            await _drop(database_url, name)
