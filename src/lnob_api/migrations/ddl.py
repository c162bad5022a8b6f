"""Columns and constraints the revisions repeat, written once.

Revisions are history, and released ones call these: a function here must keep emitting
exactly what it emits today (tests/db/test_migration_history.py compares every revision's
statements with those it was released with). Add a function rather than change one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# An SDMX period: a year, half, quarter, week, month or day.
PERIOD_PATTERN = (
    "^[0-9]{4}(-(Q[1-4]|S[12]|W(0[1-9]|[1-4][0-9]|5[0-3])|(0[1-9]|1[0-2])"
    "(-(0[1-9]|[12][0-9]|3[01]))?))?$"
)
# The standard breakdowns of an observation or an official value, ``_T`` (total) by default.
BREAKDOWNS = ("sex", "age", "disability_status", "urbanisation", "group_code")


def timestamps() -> tuple[sa.Column[Any], sa.Column[Any]]:
    """``created_at`` and ``updated_at``, set to now() by the database."""
    return stamped("created_at"), stamped("updated_at")


def stamped(name: str, *, clock: str = "now()") -> sa.Column[Any]:
    """A required timestamp column the database sets to ``clock`` (``now()``: the
    transaction's start; ``clock_timestamp()``: the statement's moment)."""
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text(clock), nullable=False
    )


def identity() -> sa.Column[Any]:
    """``id``, the bigint identity primary key column."""
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False)


def row_version() -> sa.Column[Any]:
    """``row_version`` (optimistic locking), 1 for a new row."""
    return sa.Column("row_version", sa.Integer(), server_default="1", nullable=False)


def is_demo() -> sa.Column[Any]:
    """``is_demo``, true on the rows the demo seed set wrote."""
    return sa.Column("is_demo", sa.Boolean(), server_default=sa.text("false"), nullable=False)


def blank_text(name: str) -> sa.Column[Any]:
    """A required text column, empty by default."""
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def empty_object(name: str) -> sa.Column[Any]:
    """A required JSONB column, ``{}`` by default (translations, dimensions)."""
    return sa.Column(
        name, postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
    )


def visibility(default: str) -> sa.Column[Any]:
    """``visibility``: PUBLIC, PARTNERSHIP or COALITION."""
    return sa.Column(
        "visibility",
        text_enum("visibility", "PUBLIC", "PARTNERSHIP", "COALITION"),
        server_default=default,
        nullable=False,
    )


def period() -> tuple[sa.Column[Any], sa.Column[Any], sa.Column[Any]]:
    """``period`` (SDMX notation) and the dates it starts and ends on."""
    return (
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
    )


def breakdowns() -> list[sa.Column[Any]]:
    """The ``BREAKDOWNS`` columns, each ``_T`` (total) by default."""
    return [
        _total("sex", 20),
        _total("age", 20),
        _total("disability_status", 20),
        _total("urbanisation", 20),
        _total("group_code", 40),
    ]


def _total(name: str, length: int) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length=length), server_default="_T", nullable=False)


def check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    """The CHECK constraint ``ck_<table>_<name>``."""
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def slug_format(table: str) -> sa.CheckConstraint:
    """``ck_<table>_slug_format``: a slug is lower-case letters, digits and hyphens."""
    return check(table, "slug_format", "slug ~ '^[a-z0-9][a-z0-9-]*$'")


def period_checks(table: str) -> tuple[sa.CheckConstraint, sa.CheckConstraint]:
    """``period`` is in SDMX notation and does not end before it starts."""
    return (
        check(table, "period_format", f"period ~ '{PERIOD_PATTERN}'"),
        check(table, "period_order", "period_end >= period_start"),
    )


def primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    """The primary key ``pk_<table>`` on ``columns``."""
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))


def unique(table: str, column: str) -> sa.UniqueConstraint:
    """The unique constraint ``uq_<table>_<column>`` (``unique=True`` in a model)."""
    return sa.UniqueConstraint(column, name=op.f(f"uq_{table}_{column}"))


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


def index(table: str, *columns: str) -> None:
    """The plain index on each one of ``columns``, named ``ix_<table>_<column>``
    (``index=True`` in a model), in that order."""
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def drop_index(table: str, *columns: str) -> None:
    """Drop the indexes ``index(table, *columns)`` made, in the order given."""
    for column in columns:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)


def keyset_index(table: str, column: str) -> None:
    """The index ``ix_<table>_<column>_id`` on ``(column, id)``: a page of the rows with one
    ``column`` value, in id order."""
    op.create_index(f"ix_{table}_{column}_id", table, [column, "id"], unique=False)


def drop_keyset_index(table: str, column: str) -> None:
    """Drop the index ``keyset_index(table, column)`` made."""
    op.drop_index(f"ix_{table}_{column}_id", table_name=table)


def keyed_table(table: str, *items: sa.SchemaItem) -> None:
    """A table keyed by ``id`` (``identity``, its first column): ``items`` (columns, checks,
    foreign keys and unique constraints), with the primary key ``pk_<table>`` between the
    other constraints and the unique ones, as autogenerate writes them."""
    uniques = [item for item in items if isinstance(item, sa.UniqueConstraint)]
    others = [item for item in items if not isinstance(item, sa.UniqueConstraint)]
    op.create_table(table, identity(), *others, primary_key(table, "id"), *uniques)


@dataclass(frozen=True)
class Reference:
    """One side of a link table: ``column`` references ``target`` (``"table.column"``)."""

    column: str
    target: str
    ondelete: str
    code: int | None = None  # the length of a text key (an SDG target code); None: a bigint id

    def key_column(self) -> sa.Column[Any]:
        kind: sa.types.TypeEngine[Any] = (
            sa.BigInteger() if self.code is None else sa.String(length=self.code)
        )
        return sa.Column(self.column, kind, nullable=False)


# The sides of link tables that several revisions name, each as it was released.
COALITION = Reference("coalition_id", "coalitions.id", "CASCADE")
DATASET = Reference("dataset_id", "datasets.id", "CASCADE")
GROUP = Reference("group_id", "marginalised_groups.id", "RESTRICT")
ORGANISATION = Reference("organisation_id", "organisations.id", "CASCADE")
PROJECT = Reference("project_id", "projects.id", "CASCADE")
PUBLICATION = Reference("publication_id", "publications.id", "CASCADE")
TARGET = Reference("target_code", "sdg_targets.code", "RESTRICT", code=10)
USER = Reference("user_id", "users.id", "CASCADE")


def link_table(table: str, owner: Reference, other: Reference, *more: sa.SchemaItem) -> None:
    """A link table keyed by ``(owner, other)``, each a foreign key (in the order of their column
    names, as autogenerate writes them), with ``more`` columns and checks after the two keys; the
    ``other`` side is indexed, so that links are found from either side."""
    sides = sorted((owner, other), key=lambda side: side.column)
    op.create_table(
        table,
        owner.key_column(),
        other.key_column(),
        *more,
        *(foreign_key(table, side.column, side.target, ondelete=side.ondelete) for side in sides),
        primary_key(table, owner.column, other.column),
    )
    index(table, other.column)


def drop_link_table(table: str, other: str) -> None:
    """Drop the table ``link_table`` made with ``other`` as its indexed side (its index first)."""
    drop_index(table, other)
    op.drop_table(table)


def email_lockouts() -> None:
    """``login_throttles`` as revision 0002 made it: failures and a lock-out per e-mail (0013
    replaces it with a throttle per account and client address, and brings it back on
    downgrade)."""
    op.create_table(
        "login_throttles",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        primary_key("login_throttles", "email"),
    )
