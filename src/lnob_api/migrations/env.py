"""Alembic environment: runs migrations over an asyncpg connection using the models' metadata."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from lnob_api import models  # noqa: F401  (registers every table on the metadata)
from lnob_api.config import Settings
from lnob_api.db import create_engine, metadata, resolve_database_url

config = context.config


def _url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else resolve_database_url(Settings.from_env())


# Expression indexes that autogenerate cannot compare; their migrations are written by hand.
HAND_WRITTEN_INDEXES = {"ix_datasets_search_trgm"}


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (type_ == "index" and name in HAND_WRITTEN_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=_include,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller (tests, the CLI) lends its own connection
        _run(connection)
        return
    engine = create_engine(_url(), pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
