"""Column definitions most tables share, each written once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import MappedColumn, mapped_column


def identity_key() -> MappedColumn[Any]:
    """``id``: the bigint identity primary key."""
    return mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)


def stamped(clock: sa.TextClause | None = None) -> MappedColumn[Any]:
    """A required timestamp the database sets: to ``now()`` (the transaction's start) unless
    another ``clock`` is given (``sa.text("clock_timestamp()")``: the statement's moment)."""
    return mapped_column(
        sa.DateTime(timezone=True),
        server_default=sa.func.now() if clock is None else clock,
        nullable=False,
    )


def blank_text() -> MappedColumn[Any]:
    """A required text column, empty by default."""
    return mapped_column(sa.Text, nullable=False, server_default="")


def reference(target: str, *, ondelete: str, index: bool | None = None) -> MappedColumn[Any]:
    """A foreign key to ``target`` (``"table.column"``); required or not as its ``Mapped``
    annotation says."""
    return mapped_column(sa.ForeignKey(target, ondelete=ondelete), index=index)
