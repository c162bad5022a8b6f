"""Bind parameters of a cached plan: what a request changes, and how it is found again.

A plan is built once per document, principal and shape of the variables; a later request
with other values reuses its SQL. Every value a request may change enters the statement as a
named bind parameter that belongs to a *site* (a root lookup, a connection's arguments): a
request recomputes each site's arguments the way the first did (the same ``select``
functions, ``page_args``, lookups) and fills the parameters from them. When a site comes out
with another structure (another relation, order, filter clauses or paging direction) the
plan is stale and a new one is built.

The keyset predicates mirror ``read.keyset.apply_page`` and the root window mirrors
``read.repository._windowed``, with named parameters where those write values in.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from lnob_api.read.keyset import Order, PageArgs, order_clauses
from lnob_api.read.relations import Source


class Stale(Exception):
    """The request's arguments give the plan another structure."""


@dataclass
class Site:
    """Where request values enter: recomputed per request by ``refresh`` (-> values)."""

    refresh: Callable[[Any], Any]
    # Plan-time facts a request must reproduce (compared by ``check``).
    facts: Hashable = None


@dataclass
class Binds:
    """The plan's parameters that requests change: name -> how to read it from the
    refreshed sites (a list of per-site values)."""

    getters: dict[str, Callable[[list[Any]], Any]] = field(default_factory=dict)
    expanding: set[str] = field(default_factory=set)
    counter: int = 0

    def new(
        self,
        value: Any,
        type_: Any,
        getter: Callable[[list[Any]], Any],
        *,
        expanding: bool = False,
    ) -> BindParameter[Any]:
        self.counter += 1
        name = f"v{self.counter}"
        self.getters[name] = getter
        if expanding:
            self.expanding.add(name)
        return sa.bindparam(name, value, type_=type_, expanding=expanding)

    def values(self, sites: list[Any]) -> dict[str, Any]:
        """The request's values of the parameters (lists expanded as SQLAlchemy names
        them: ``v3_1, v3_2...``)."""
        out: dict[str, Any] = {}
        for name, getter in self.getters.items():
            value = getter(sites)
            if name in self.expanding:
                for i, item in enumerate(value):
                    out[f"{name}_{i + 1}"] = item
            else:
                out[name] = value
        return out


def binds_of(clauses: Sequence[ColumnElement[Any]]) -> list[BindParameter[Any]]:
    """The bind parameters of ``clauses``, in a stable traversal order."""
    found: list[BindParameter[Any]] = []
    for clause in clauses:
        found.extend(e for e in visitors.iterate(clause) if isinstance(e, BindParameter))
    return found


def shape_of(clauses: Sequence[ColumnElement[Any]]) -> Hashable:
    """What the clauses are, whatever their values (SQLAlchemy's cache key; lists by length)."""
    if not clauses:
        return ()
    key = sa.and_(*clauses)._generate_cache_key()
    lengths = tuple(
        len(b.value) if b.expanding and isinstance(b.value, list | tuple) else -1
        for b in binds_of(clauses)
    )
    return (key.key if key is not None else object(), lengths)


def where_values(clauses: Sequence[ColumnElement[Any]]) -> list[Any]:
    values = []
    for bind in binds_of(clauses):
        if bind.callable is not None:
            raise Stale
        values.append(bind.effective_value)
    return values


def rebound(
    clauses: Sequence[ColumnElement[Any]], binds: Binds, site: int
) -> list[ColumnElement[Any]]:
    """``clauses`` with every parameter a named one of the plan (read from the site's
    ``where`` values, in ``binds_of`` order)."""
    originals = binds_of(clauses)
    if any(b.callable is not None for b in originals):
        raise Stale
    names: dict[int, BindParameter[Any]] = {}
    for index, bind in enumerate(originals):
        names[id(bind)] = binds.new(
            bind.value, bind.type, _getter(site, "where", index), expanding=bind.expanding
        )

    def replace(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BindParameter):
            return names.get(id(element))
        return None

    return [visitors.replacement_traverse(c, {}, replace) for c in clauses]


# --- keyset paging with named parameters (read.keyset.apply_page) -----------------------


def _seek(order: Order, values: list[BindParameter[Any]], *, forward: bool) -> ColumnElement[bool]:
    directions = {k.descending for k in order}
    if len(directions) == 1:
        lhs = sa.tuple_(*(k.column for k in order))
        rhs = sa.tuple_(*values)
        ascending_after = forward != order[0].descending
        return lhs > rhs if ascending_after else lhs < rhs
    clauses: list[ColumnElement[bool]] = []
    for i, key in enumerate(order):
        equal = [k.column == v for k, v in zip(order[:i], values[:i], strict=True)]
        step = key.column > values[i] if forward != key.descending else key.column < values[i]
        clauses.append(sa.and_(*equal, step))
    return sa.or_(*clauses)


def cursor_binds(
    order: Order, page: PageArgs, binds: Binds, site: int, which: str
) -> list[BindParameter[Any]]:
    values = page.after if which == "after" else page.before
    assert values is not None
    return [
        binds.new(v, k.column.type, _cursor_getter(site, which, i))
        for i, (k, v) in enumerate(zip(order, values, strict=True))
    ]


def _getter(site: int, part: str, index: int) -> Callable[[list[Any]], Any]:
    return lambda sites: sites[site][part][index]


def _cursor_getter(site: int, which: str, index: int) -> Callable[[list[Any]], Any]:
    return lambda sites: getattr(sites[site]["page"], which)[index]


def apply_page(
    stmt: sa.Select[Any], order: Order, page: PageArgs, binds: Binds, site: int
) -> sa.Select[Any]:
    """``read.keyset.apply_page`` with the cursors and the page size as parameters."""
    if page.after is not None:
        after = cursor_binds(order, page, binds, site, "after")
        stmt = stmt.where(_seek(order, after, forward=True))
    if page.before is not None:
        before = cursor_binds(order, page, binds, site, "before")
        stmt = stmt.where(_seek(order, before, forward=False))
    return stmt.order_by(*order_clauses(order, backward=page.backward)).limit(
        limit_plus_one(page, binds, site)
    )


def limit_plus_one(page: PageArgs, binds: Binds, site: int) -> BindParameter[Any]:
    return binds.new(page.limit + 1, sa.Integer(), lambda s: s[site]["page"].limit + 1)


def page_size(page: PageArgs, binds: Binds, site: int) -> BindParameter[Any]:
    return binds.new(page.limit, sa.Integer(), lambda s: s[site]["page"].limit)


def windowed(
    source: Source, base: sa.Select[Any], page: PageArgs, window: int, binds: Binds, site: int
) -> sa.Select[Any]:
    """``read.repository._windowed`` (same rows, same order, same plan) with parameters."""
    key = source.table.c[source.key]
    after = sa.select(key)
    if page.after is not None:
        (first,) = cursor_binds(source.order, page, binds, site, "after")
        after = after.where(key > first)
    span = after.order_by(key).limit(window).subquery("window_keys")
    edge = sa.select(sa.func.max(span.c[source.key])).correlate(None).scalar_subquery()
    head = apply_page(base.where(key <= edge), source.order, page, binds, site).cte("head")
    short = sa.select(sa.func.count()).select_from(head).correlate(None).scalar_subquery()
    rest = (
        apply_page(
            base.where(key > edge, short <= page_size(page, binds, site)),
            source.order,
            page,
            binds,
            site,
        )
        .order_by(None)
        .order_by(key + 0)
    )
    both = sa.union_all(sa.select(head), rest).subquery("page")
    return (
        sa.select(both)
        .order_by(both.c[source.order[0].label])
        .limit(limit_plus_one(page, binds, site))
    )
