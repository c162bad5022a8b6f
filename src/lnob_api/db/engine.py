"""Engine creation and database URL resolution (embedded server or ``DATABASE_URL``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lnob_api.config import Settings
from lnob_api.db import embedded


def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the URL of the embedded server (started on demand)."""
    if settings.database_url is not None:
        return settings.database_url
    return embedded.start(settings.data_dir)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An asyncpg engine; JIT off because our queries are short OLTP statements."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"server_settings": {"jit": "off", "application_name": "lnob-api"}},
    )
