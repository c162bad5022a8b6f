"""Database plumbing: declarative base, engine, embedded PostgreSQL."""

from lnob_api.db.base import Base, metadata
from lnob_api.db.engine import create_engine, resolve_database_url

__all__ = ["Base", "create_engine", "metadata", "resolve_database_url"]
