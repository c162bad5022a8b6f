"""Bind parameters of a cached plan: what a request changes, and how it is found again.

A plan is built once per document, principal and shape of the variables; a later request
with other values reuses its SQL. Every value a request may change enters the statement as a
named bind parameter that belongs to a *site* (a root lookup, a connection's arguments): a
request recomputes each site's arguments the way the first did (the same ``select``
functions, ``page_args``, lookups) and fills the parameters from them. When a site comes out
with another structure (another relation, order, filter clauses or paging direction) the
plan is stale and a new one is built.

Pages are ``read.keyset.apply_page`` and ``read.repository.windowed`` themselves, given the
cursors and sizes as named parameters (``bounds``).

A filter's values come without its clauses where its spec can say them
(``declare.conditions``: a site refreshes ``deferred``, its filter calls give ``Deferred``
values): a plan's own clauses check, once per structure, that the spec's values are the
clauses' own parameters in order and that the structure is one SQLAlchemy shape; from then on
that structure is the site's shape and the spec's values its ``where`` values.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from lnob_api.declare import conditions
from lnob_api.read.keyset import Bounds, Order, PageArgs


class Stale(Exception):
    """The request's arguments give the plan another structure."""


@dataclass
class Site:
    """Where request values enter: recomputed per request by ``refresh`` (-> values)."""

    refresh: Callable[[Any], Any]
    # Plan-time facts a request must reproduce (compared by ``check``).
    facts: Hashable = None

    def __post_init__(self) -> None:
        self.refresh = _deferring(self.refresh)


def _deferring(refresh: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def run(fresh: Any) -> Any:
        return conditions.deferred(refresh, fresh) if DECLARED else refresh(fresh)

    return run


# A filter's values from its spec's declared conditions, without its clauses (see the module
# docstring); False: built and read from SQLAlchemy's cache key, for the A/B
# (bench/request_profile.py --ab values).
DECLARED = True

# A spec's structure -> the SQLAlchemy shape its clauses had, or False: its values were not
# the clauses' own (checked when a plan is built).
_CHECKED: dict[Hashable, Hashable] = {}


def _declared(clauses: Sequence[ColumnElement[Any]]) -> tuple[Hashable, list[Any]] | None:
    """The (shape, values) of a filter's clauses read from its spec, once checked; None when
    its spec cannot say or said wrong."""
    declared = getattr(clauses, "declared", None)
    if declared is None or not DECLARED:
        return None
    found = declared()
    if found is None:
        return None
    structure, values = found
    seen = _CHECKED.get(structure)
    if isinstance(clauses, list):  # a plan's own clauses (``Where``): check them
        try:
            own = where_values(clauses, declared=False)
        except Stale:
            own = None
        shape = _key_shape(clauses)
        if own != values or (seen is not None and seen != shape):
            shape = False
        if len(_CHECKED) > 10_000:
            _CHECKED.clear()
        seen = _CHECKED[structure] = shape
    if seen is None or seen is False:
        return None
    return ("declared", structure), values


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


# The lengths of lists read from the parameters the cache key collected (one traversal);
# False: from ``binds_of`` as before, for the A/B (bench/request_profile.py --ab shape).
LENGTHS_FROM_KEY = True


def shape_of(clauses: Sequence[ColumnElement[Any]]) -> Hashable:
    """What the clauses are, whatever their values (their spec's structure, once checked, or
    SQLAlchemy's cache key; lists by length: the key holds every parameter but not its value,
    so the structures with equal keys have their parameters in the same order)."""
    declared = _declared(clauses)
    if declared is not None:
        return declared[0]
    return _key_shape(clauses)


def _key_shape(clauses: Sequence[ColumnElement[Any]]) -> Hashable:
    if not clauses:
        return ()
    key = sa.and_(*clauses)._generate_cache_key()
    if key is None:
        return (object(), ())
    found = key.bindparams if LENGTHS_FROM_KEY else binds_of(clauses)
    lengths = tuple(
        len(b.value) if b.expanding and isinstance(b.value, list | tuple) else -1 for b in found
    )
    return (key.key, lengths)


# A site's where values read from the parameters its cache key collected, in ``binds_of``
# order (``key_order``); False: by another traversal (``binds_of``), for the A/B
# (bench/request_profile.py --ab where).
VALUES_FROM_KEY = True


def key_order(clauses: Sequence[ColumnElement[Any]]) -> tuple[int, ...] | None:
    """Where each of ``binds_of(clauses)`` is among the parameters of the clauses' cache key
    (clauses with an equal key have equal orders), or None when they are not the same
    parameters one to one."""
    if not clauses or not VALUES_FROM_KEY:
        return None
    key = sa.and_(*clauses)._generate_cache_key()
    if key is None:
        return None
    found = binds_of(clauses)
    keyed = {id(b): i for i, b in enumerate(key.bindparams)}
    if len(keyed) != len(key.bindparams) or len(found) != len(key.bindparams):
        return None
    order = tuple(keyed.get(id(b), -1) for b in found)
    if -1 in order or len(set(order)) != len(order):
        return None
    return order


def shape_and_values(
    clauses: Sequence[ColumnElement[Any]], order: tuple[int, ...] | None
) -> tuple[Hashable, list[Any] | None]:
    """``shape_of(clauses)``, and ``where_values(clauses)`` read from their spec or from the
    same cache key when ``order`` (``key_order`` of the plan's clauses) is given (None: not
    read)."""
    declared = _declared(clauses)
    if declared is not None:
        return declared
    if order is None or not clauses or not LENGTHS_FROM_KEY or not VALUES_FROM_KEY:
        return shape_of(clauses), None
    key = sa.and_(*clauses)._generate_cache_key()
    if key is None:
        return (object(), ()), None
    found = key.bindparams
    lengths = tuple(
        len(b.value) if b.expanding and isinstance(b.value, list | tuple) else -1 for b in found
    )
    if len(found) != len(order):
        return (object(), ()), None
    values = []
    for index in order:
        bind = found[index]
        if bind.callable is not None:
            raise Stale
        values.append(bind.effective_value)
    return (key.key, lengths), values


def where_values(clauses: Sequence[ColumnElement[Any]], *, declared: bool = True) -> list[Any]:
    """The values of the clauses' parameters in ``binds_of`` order (from their spec when
    ``declared`` and checked)."""
    found = _declared(clauses) if declared else None
    if found is not None:
        return found[1]
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


# --- keyset paging with named parameters ------------------------------------------------


def bounds(order: Order, page: PageArgs, binds: Binds, site: int) -> Bounds:
    """The page's cursors and sizes as named parameters, for ``read.keyset.apply_page`` and
    ``read.repository.windowed``."""
    return Bounds(
        after=cursor_binds(order, page, binds, site, "after") if page.after is not None else None,
        before=(
            cursor_binds(order, page, binds, site, "before") if page.before is not None else None
        ),
        size=page_size(page, binds, site),
        limit=binds.new(page.limit + 1, sa.Integer(), lambda s: s[site]["page"].limit + 1),
    )


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


def page_size(page: PageArgs, binds: Binds, site: int) -> BindParameter[Any]:
    return binds.new(page.limit, sa.Integer(), lambda s: s[site]["page"].limit)
