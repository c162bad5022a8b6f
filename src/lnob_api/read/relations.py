"""Entities and relations, declared once as data.

A ``Source`` is an entity's scoped SELECT: its columns, already filtered by the access policy
for a principal. A relation says how a parent key reaches child rows of a source. Loaders are
generated from these declarations (``read.repository``), and a later compiled read path can walk
the same declarations to build one SQL statement per GraphQL query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.auth.principal import Principal
from lnob_api.read.keyset import Order, OrderKey


@dataclass(frozen=True, eq=False)
class Source:
    """An entity's rows as a principal may see them."""

    name: str
    table: sa.Table
    scoped: Callable[[Principal], sa.Select[Any]]
    order: Order
    key: str = "id"
    # Root pages walk at most this many rows of the table in key order before switching to a
    # plan that never visits rows the principal cannot see (``read.repository.page``).
    window: int | None = None

    def column(self, label: str) -> ColumnElement[Any]:
        return self.table.c[label]


def public(table: sa.Table) -> Callable[[Principal], sa.Select[Any]]:
    """A scope for reference tables that everyone may read."""
    return lambda _principal: sa.select(table)


def scoped_by(
    table: sa.Table, predicate: Callable[[Principal], ColumnElement[bool]]
) -> Callable[[Principal], sa.Select[Any]]:
    return lambda principal: sa.select(table).where(predicate(principal))


def order_by(table: sa.Table, *labels: str, descending: frozenset[str] = frozenset()) -> Order:
    """A stable order over ``table``'s columns; the last label must be unique."""
    return tuple(OrderKey(table.c[label], label, label in descending) for label in labels)


@dataclass(frozen=True, eq=False)
class ToOne:
    """Parent holds the child's key: project.coalition_id -> coalitions.id."""

    source: Source
    key: str = "id"
    # When several visible rows share the key (versions sharing a slug), the last in this
    # order wins: e.g. the highest version the principal may see.
    prefer: Order | None = None


@dataclass(frozen=True, eq=False)
class ToMany:
    """Child rows carry the parent's key in ``foreign_key``: projects.coalition_id."""

    source: Source
    foreign_key: str
    order: Order | None = None

    @property
    def ordering(self) -> Order:
        return self.order or self.source.order


@dataclass(frozen=True, eq=False)
class Through:
    """Many-to-many through a link table: dataset_indicators(dataset_id, indicator_id)."""

    source: Source
    link: sa.Table
    parent_column: str
    child_column: str
    child_key: str = "id"
    order: Order | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ordering(self) -> Order:
        return self.order or self.source.order
