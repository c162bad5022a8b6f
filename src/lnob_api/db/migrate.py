"""Run alembic migrations programmatically (the CLI and the tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

# Inside the package, so an ordinary (non-editable) install migrates from any folder.
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(database_url: str) -> Config:
    """An alembic Config pointing at the packaged migrations and at ``database_url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade to ``revision`` (blocking: call from a thread inside an event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_heads() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


class DatabaseAhead(Exception):
    """The database was migrated by newer code: serving it could corrupt data."""

    def __init__(self, revision: str, heads: set[str]) -> None:
        super().__init__(
            f"the database is at migration {revision}, which this code does not know (its "
            f"latest is {', '.join(sorted(heads))}): it was migrated by a newer version; run "
            "that version, or downgrade with it first"
        )
        self.revision = revision


def database_revisions(database_url: str) -> set[str]:
    """The revisions recorded in the database (empty before the first migration)."""
    import asyncio

    import sqlalchemy as sa

    from lnob_api.db.engine import create_engine

    async def read() -> set[str]:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as conn:
                exists = await conn.scalar(sa.text("SELECT to_regclass('alembic_version')"))
                if exists is None:
                    return set()
                rows = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
                return {str(r[0]) for r in rows}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def check_not_ahead(database_url: str) -> None:
    """Raise ``DatabaseAhead`` when the database is at a revision the code does not have."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(database_url))
    known = {rev.revision for rev in script.walk_revisions()}
    for revision in database_revisions(database_url):
        if revision not in known:
            raise DatabaseAhead(revision, set(script.get_heads()))
