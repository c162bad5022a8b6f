"""Migrations run upgrade, downgrade and upgrade again cleanly, and match the models."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from lnob_api.db import create_engine, metadata, migrate


async def _scratch_database(database_url: str) -> tuple[str, str]:
    name = f"lnob_mig_{uuid.uuid4().hex[:8]}"
    engine = create_engine(database_url, pool_size=1)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return make_url(database_url).set(database=name).render_as_string(hide_password=False), name


async def _drop(database_url: str, name: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        names = {r[0] for r in rows}
    await engine.dispose()
    return names


class TestMigrations:
    async def test_upgrade_downgrade_upgrade(self, database_url: str) -> None:
        # given
        url, name = await _scratch_database(database_url)
        try:
            # when
            await asyncio.to_thread(migrate.upgrade, url)
            after_upgrade = await _tables(url)
            await asyncio.to_thread(migrate.downgrade, url, "base")
            after_downgrade = await _tables(url)
            await asyncio.to_thread(migrate.upgrade, url)
            after_again = await _tables(url)
            # then
            expected = set(metadata.tables) | {"alembic_version"}
            assert after_upgrade == expected
            assert after_downgrade == {"alembic_version"}
            assert after_again == expected
        finally:
            await _drop(database_url, name)

    async def test_models_match_migrations(self, database_url: str) -> None:
        # given: the session database is migrated to head
        cfg = migrate.alembic_config(database_url)
        # when / then: alembic check raises when autogenerate would emit operations
        await asyncio.to_thread(command.check, cfg)
