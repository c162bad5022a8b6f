"""Migration 0006 on existing data: datasets' methods from their methodology, and a downgrade
that refuses to drop target-level observations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lnob_api.db import create_engine, migrate

SETUP = [
    "INSERT INTO areas (code, name, level, country_code) VALUES ('UG', 'Uganda', 'COUNTRY', 'UG')",
    "INSERT INTO coalitions (code, slug, name) VALUES ('UG', 'ug', 'LNOB Uganda')",
    "INSERT INTO sdg_goals (code, title, short_title) VALUES (10, 'Reduce inequality', 'Inequality')",
    "INSERT INTO sdg_targets (code, goal_code, title, sort_key) VALUES ('10.2', 10, 'Inclusion', '10.02')",
]
DATASETS = {
    "survey": "HOUSEHOLD_SURVEY",
    "records": "ADMINISTRATIVE_DATA",
    "mixed": "MIXED",
    "other": "OTHER",
}


async def _execute(url: str, *statements: str) -> list[tuple[object, ...]]:
    engine = create_engine(url, pool_size=1)
    rows: list[tuple[object, ...]] = []
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(sa.text(statement))
                if result.returns_rows:
                    rows = [tuple(r) for r in result]
    finally:
        await engine.dispose()
    return rows


@pytest.fixture
async def scratch(database_url: str) -> AsyncIterator[str]:
    """An empty database of its own, migrated to 0005."""
    name = f"lnob_prov_{uuid.uuid4().hex[:8]}"
    engine = create_engine(database_url, pool_size=1)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(migrate.upgrade, url, "0005")
        yield url
    finally:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()


class TestMigration0006:
    async def test_methods_come_from_methodologies(self, scratch: str) -> None:
        # given datasets recorded before provenance existed
        inserts = [
            "INSERT INTO datasets (coalition_id, slug, title, methodology) "
            f"SELECT id, '{slug}', '{slug}', '{methodology}' FROM coalitions"
            for slug, methodology in DATASETS.items()
        ]
        await _execute(scratch, *SETUP, *inserts)
        # when
        await asyncio.to_thread(migrate.upgrade, scratch, "0006")
        # then: where a methodology names a method it is kept; nothing else is assumed
        rows = await _execute(
            scratch,
            "SELECT slug, method, producer_type, sdg_framework_version FROM datasets ORDER BY slug",
        )
        assert rows == [
            ("mixed", None, None, "2025"),
            ("other", None, None, "2025"),
            ("records", "ADMINISTRATIVE", None, "2025"),
            ("survey", "HOUSEHOLD_SURVEY", None, "2025"),
        ]

    async def test_downgrade_refuses_to_lose_target_level_values(self, scratch: str) -> None:
        # given a target-level observation
        await asyncio.to_thread(migrate.upgrade, scratch, "0006")
        await _execute(
            scratch,
            *SETUP,
            "INSERT INTO datasets (coalition_id, slug, title) SELECT id, 'd', 'd' FROM coalitions",
            "INSERT INTO observations (dataset_id, target_code, area_code, period, period_start,"
            " period_end, value) SELECT id, '10.2', 'UG', '2020', '2020-01-01', '2020-12-31', 1"
            " FROM datasets",
        )
        # when / then
        with pytest.raises(Exception, match="target-level observations exist"):
            await asyncio.to_thread(migrate.downgrade, scratch, "0005")
        await _execute(scratch, "DELETE FROM observations")
        await asyncio.to_thread(migrate.downgrade, scratch, "0005")
        [(count,)] = await _execute(
            scratch,
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'observations' AND column_name = 'target_code'",
        )
        assert count == 0
