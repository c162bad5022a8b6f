"""Resolver helpers: every relation is loaded through a per-request DataLoader.

Loaders are keyed by the relation and the arguments that shape their SQL (page size, cursors,
filters), so sibling parents asking the same thing share one batched statement.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy.sql.elements import ColumnElement
from strawberry.dataloader import DataLoader

from lnob_api.graphql.context import Info
from lnob_api.graphql.node import Node
from lnob_api.graphql.pagination import Connection, page_connection
from lnob_api.read import repository
from lnob_api.read.keyset import Order, PageArgs, page_args
from lnob_api.read.relations import Source, Through, ToMany, ToOne

N = TypeVar("N", bound=Node)


class FromRow(Protocol):
    @classmethod
    def from_row(cls, row: Any) -> Self: ...


R = TypeVar("R", bound=FromRow)


def _by_key(info: Info, relation: ToOne) -> DataLoader[Hashable, Any]:
    """The request's loader of ``relation``'s rows by key (shared by load_one and load_many)."""
    ctx = info.context

    async def batch(keys: list[Hashable]) -> list[Any]:
        return await repository.rows_by_key(
            ctx.db, ctx.principal, relation.source, relation.key, keys, relation.prefer
        )

    return ctx.loaders.get(("one", id(relation)), batch)


async def load_one(info: Info, relation: ToOne, key: Hashable | None, cls: type[N]) -> N | None:
    """The row of ``relation`` with ``key``, or None when missing or not visible."""
    if key is None:
        return None
    row = await _by_key(info, relation).load(key)
    return cls.from_row(row) if row is not None else None


async def load_many(
    info: Info, relation: ToOne, keys: Sequence[Hashable], cls: type[N]
) -> list[N | None]:
    rows = await _by_key(info, relation).load_many(list(keys))
    return [cls.from_row(r) if r is not None else None for r in rows]


async def load_list(info: Info, relation: ToMany | Through, key: Hashable, cls: type[R]) -> list[R]:
    """Every visible child of ``key`` (for short, bounded relations)."""
    ctx = info.context

    async def batch(keys: list[Hashable]) -> list[Any]:
        return await repository.rows_by_parent(ctx.db, ctx.principal, relation, keys)

    rows = await ctx.loaders.get(("list", id(relation)), batch).load(key)
    return [cls.from_row(r) for r in rows]


def _shape(kind: str, relation: object, **args: Any) -> Hashable:
    return (kind, id(relation), json.dumps(args, sort_keys=True, default=str))


def _checked(info: Info, order: Order, paging: Mapping[str, Any]) -> PageArgs:
    """The Relay arguments ``first/after/last/before`` checked against ``order``."""
    return page_args(**paging, order=order, max_size=info.context.settings.max_page_size)


async def load_page(
    info: Info,
    relation: ToMany | Through,
    key: Hashable,
    cls: type[N],
    paging: Mapping[str, Any],
    *,
    where: Sequence[ColumnElement[bool]] = (),
    where_key: Hashable = None,
) -> Connection[N]:
    """A keyset page of ``key``'s children; pages of sibling parents load in one statement."""
    ctx = info.context
    order = relation.ordering
    args = _checked(info, order, paging)

    async def pages(keys: list[Hashable]) -> list[Any]:
        return await repository.page_by_parent(ctx.db, ctx.principal, relation, keys, args, where)

    async def counts(keys: list[Hashable]) -> list[Any]:
        return await repository.count_by_parent(ctx.db, ctx.principal, relation, keys, where)

    page = await ctx.loaders.get(_shape("page", relation, **paging, w=where_key), pages).load(key)
    count_loader = ctx.loaders.get(_shape("count", relation, w=where_key), counts)
    return page_connection(page, order, cls.from_row, lambda: count_loader.load(key))


async def root_page(
    info: Info,
    source: Source,
    cls: type[R],
    paging: Mapping[str, Any],
    *,
    where: Sequence[ColumnElement[bool]] = (),
    order: Order | None = None,
) -> Connection[R]:
    """A keyset page of a root list, with a lazily counted total."""
    ctx = info.context
    ordering = order or source.order
    page = await repository.page(
        ctx.db, ctx.principal, source, _checked(info, ordering, paging), where, ordering
    )

    async def total() -> int:
        return await repository.count(ctx.db, ctx.principal, source, where)

    return page_connection(page, ordering, cls.from_row, total)
