"""Columns and constraints the revisions repeat, written once.

Revisions are history, and released ones call these: a function here must keep emitting
exactly what it emits today (tests/db/test_migration_history.py compares every revision's
statements with those it was released with). Add a function rather than change one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op


def timestamps() -> tuple[sa.Column[Any], sa.Column[Any]]:
    """``created_at`` and ``updated_at``, set to now() by the database."""
    return _now("created_at"), _now("updated_at")


def _now(name: str) -> sa.Column[Any]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def foreign_key(table: str, column: str, target: str, *, ondelete: str) -> sa.ForeignKeyConstraint:
    """``table.column`` references ``target`` (``"table.column"``), the constraint named as the
    models' naming convention names it: ``fk_<table>_<column>_<referred table>``."""
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def text_enum(name: str, *values: str) -> sa.Enum:
    """A vocabulary stored as text with a CHECK constraint naming its ``values`` (the models'
    ``enum_type``)."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def index(table: str, column: str) -> None:
    """The plain index on one column, named ``ix_<table>_<column>`` (``index=True`` in a
    model)."""
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def drop_index(table: str, column: str) -> None:
    """Drop the index ``index(table, column)`` made."""
    op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
