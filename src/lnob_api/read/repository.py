"""Generic SQL for declared relations: batched lookups, lists and keyset pages per parent.

Every statement starts from the source's scoped SELECT, so the access policy applies to
lookups, nested lists, pages and counts alike.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import weakref
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    CollectionAggregate,
    ColumnElement,
    Grouping,
)
from sqlalchemy.sql.selectable import Exists, ScalarSelect, Selectable

from lnob_api.auth.principal import Principal
from lnob_api.db.request import RequestDb, Row
from lnob_api.read.keyset import (
    Bounds,
    Order,
    Page,
    PageArgs,
    apply_page,
    bound,
    make_page,
    order_clauses,
)
from lnob_api.read.relations import Source, Through, ToMany

PARENT = "_parent"
RANK = "_rank"
T = TypeVar("T")

# A source's scoped SELECT (and a relation's child statement) is a pure function of the
# principal: the policy's predicates read only its fields, and time through SQL's now(). Built
# once per principal shape and reused (SQLAlchemy statements are immutable), instead of walking
# the policy's constructors on every request (the observations' scope alone builds a few
# hundred clause objects). Keyed by the declaration object itself (weakly: a source made for
# one request, an asOf one, goes with it), at most SCOPE_CACHE_SIZE principals per declaration.
# False builds every statement anew (bench/ab.py measures the difference).
SCOPE_CACHE = True
SCOPE_CACHE_SIZE = 512
_SCOPES: weakref.WeakKeyDictionary[object, dict[Hashable, Any]] = weakref.WeakKeyDictionary()


def principal_shape(principal: Principal) -> Hashable | None:
    """Every field of ``principal`` as a hashable value (None when one cannot be hashed)."""
    values: list[Any] = []
    for f in dataclasses.fields(principal):
        value = getattr(principal, f.name)
        if isinstance(value, dict):
            value = frozenset(value.items())
        values.append(value)
    shape = tuple(values)
    try:
        hash(shape)
    except TypeError:
        return None
    return shape


def _memo(owner: object, principal: Principal, build: Callable[[], T]) -> T:
    shape = principal_shape(principal) if SCOPE_CACHE else None
    if shape is None:
        return build()
    cached = _SCOPES.get(owner)
    if cached is None:
        cached = _SCOPES[owner] = {}
    found = cached.get(shape)
    if found is None:
        if len(cached) >= SCOPE_CACHE_SIZE:
            del cached[next(iter(cached))]
        found = cached[shape] = build()
    return found


def scoped(source: Source, principal: Principal) -> sa.Select[Any]:
    """The source's scoped select for ``principal``, built once per principal shape."""
    return _memo(source, principal, lambda: source.scoped(principal))


async def rows_by_key(
    db: RequestDb,
    principal: Principal,
    source: Source,
    key: str,
    keys: Sequence[Hashable],
    prefer: Order | None = None,
) -> list[Row | None]:
    """Rows whose ``key`` column equals each of ``keys``, aligned with ``keys`` (None if unseen).
    With ``prefer``, the last row in that order wins among rows sharing a key."""
    stmt = scoped(source, principal).where(source.column(key).in_(list(keys)))
    if prefer:
        stmt = stmt.order_by(*order_clauses(prefer))
    found = {row[key]: row for row in await db.all(stmt)}
    return [found.get(k) for k in keys]


async def rows_by_parent(
    db: RequestDb,
    principal: Principal,
    relation: ToMany | Through,
    keys: Sequence[Hashable],
    where: Sequence[ColumnElement[bool]] = (),
) -> list[list[Row]]:
    """All child rows of each parent key, in the relation's order."""
    stmt, parent = children(principal, relation)
    stmt = stmt.where(parent.in_(list(keys)), *where).order_by(*order_clauses(relation.ordering))
    grouped: dict[Hashable, list[Row]] = defaultdict(list)
    for row in await db.all(stmt):
        grouped[row[PARENT]].append(row)
    return [grouped.get(k, []) for k in keys]


def children(
    principal: Principal, relation: ToMany | Through
) -> tuple[sa.Select[Any], ColumnElement[Any]]:
    """The relation's child rows as ``principal`` may see them, each with its parent's key
    (labelled ``PARENT``), and that key's column; built once per principal shape."""
    return _memo(relation, principal, lambda: _build_children(principal, relation))


def _build_children(
    principal: Principal, relation: ToMany | Through
) -> tuple[sa.Select[Any], ColumnElement[Any]]:
    source = relation.source
    stmt = scoped(source, principal)
    if isinstance(relation, ToMany):
        parent = source.column(relation.foreign_key)
        return stmt.add_columns(parent.label(PARENT)), parent
    link = relation.link
    parent = link.c[relation.parent_column]
    stmt = stmt.join(link, link.c[relation.child_column] == source.column(relation.child_key))
    extra = [link.c[col].label(label) for col, label in relation.extra.items()]
    return stmt.add_columns(parent.label(PARENT), *extra), parent


async def page_by_parent(
    db: RequestDb,
    principal: Principal,
    relation: ToMany | Through,
    keys: Sequence[Hashable],
    args: PageArgs,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Page]:
    """One keyset page per parent key in a single statement (a LATERAL join per key)."""
    if not keys:
        return []
    stmt, parent = children(principal, relation)
    order = relation.ordering
    parents = _parents(parent, keys) if PAGE_STATEMENT_CACHE else _parents_inline(parent, keys)
    inner = apply_page(stmt.where(parent == parents.c.key, *where), order, args)
    rank = sa.func.row_number().over(order_by=order_clauses(order, backward=args.backward))
    ranked = inner.add_columns(rank.label(RANK)).lateral("page")
    outer = (
        sa.select(ranked)
        .select_from(parents.join(ranked, sa.true()))
        .order_by(ranked.c[PARENT], ranked.c[RANK])
    )
    grouped: dict[Hashable, list[Row]] = defaultdict(list)
    for row in await db.all(outer):
        grouped[row[PARENT]].append(row)
    return [make_page(grouped.get(k, []), args) for k in keys]


# The parent keys go in as one array parameter (``unnest``), not as VALUES rows: a VALUES
# with data has no cache key, so SQLAlchemy compiled the statement anew on every request
# ("no key"). False brings the old form back (bench/ab.py measures the difference).
PAGE_STATEMENT_CACHE = True


def _parents(parent: ColumnElement[Any], keys: Sequence[Hashable]) -> Any:
    array = sa.literal(list(keys), type_=postgresql.ARRAY(parent.type))
    return (
        sa.func.unnest(array)
        .table_valued(sa.column("key", parent.type))
        .render_derived(name="parents")
    )


def _parents_inline(parent: ColumnElement[Any], keys: Sequence[Hashable]) -> Any:
    return sa.values(sa.column("key", parent.type), name="parents").data([(k,) for k in keys])


async def count_by_parent(
    db: RequestDb,
    principal: Principal,
    relation: ToMany | Through,
    keys: Sequence[Hashable],
    where: Sequence[ColumnElement[bool]] = (),
) -> list[int]:
    stmt, parent = children(principal, relation)
    sub = stmt.where(parent.in_(list(keys)), *where).subquery()
    counted = sa.select(sub.c[PARENT], sa.func.count().label("n")).group_by(sub.c[PARENT])
    found = {row[PARENT]: row["n"] for row in await db.all(counted)}
    return [int(found.get(k, 0)) for k in keys]


async def page(
    db: RequestDb,
    principal: Principal,
    source: Source,
    args: PageArgs,
    where: Sequence[ColumnElement[bool]] = (),
    order: Order | None = None,
) -> Page:
    """A keyset page of a root list."""
    order = order or source.order
    base = scoped(source, principal).where(*where)
    if source.window and order == source.order and not args.backward and len(order) == 1:
        stmt = windowed(source, base, args, source.window, filters=where)
        return make_page(await db.all(stmt), args)
    return make_page(await db.all(apply_page(base, order, args)), args)


def windowed(
    source: Source,
    base: sa.Select[Any],
    args: PageArgs,
    window: int,
    bounds: Bounds | None = None,
    *,
    filters: Sequence[ColumnElement[bool]] = (),
    suffix: str = "",
) -> sa.Select[Any]:
    """A forward page in key order that stays fast when most rows are invisible.

    Walking the key index with the visibility and filter predicates is the best plan when
    matches are dense, and reads every invisible row when they are sparse (the planner cannot
    tell which from its statistics). So: ``head`` walks only the next ``window`` keys of the
    table; only when it found fewer than a page (one-time filter), ``rest`` takes the rows
    beyond the window through the other indexes (dataset, filters) and a top-N sort, ordering
    by ``key + 0`` so that the key index walk is not a choice there. Same rows, same order.
    ``bounds`` as in ``keyset.apply_page``.

    ``filters`` are the caller's own conditions, already in ``base`` (never the access
    policy's: visibility is a ``dataset_id = ANY(...)`` too). When one of them keeps one value
    of a column indexed with the key (``indicator_id = (lookup)``, ``dataset_id IN (id)``: the
    ``(column, key)`` indexes), or several values of such a foreign key (``IN (ids)``),
    a ``walk`` comes between them (``_walk``): the next keys of that index beyond the window
    (at most ``window``), looked up in key order until the page is full; ``rest`` then starts
    after the last of them. Without it, a filter matching fewer
    than a page within the window (an indicator with 9 % of the rows at 1M, a dataset with one
    row in 110) sent ``rest`` through every matching row of the table (86k rows read and sorted
    for 91; a dataset's 9.1k for 64).

    The window is a span of key values, the first key after the cursor plus ``window``: one
    index probe (``min``), where the ``max`` of the next ``window`` keys read them all (0.3 ms
    a page at 5,000). It holds at most ``window`` keys; any edge gives the same rows.

    ``suffix`` ends the name of each of its CTEs: another page in the same statement names
    its own with another.
    """
    bounds = bounds or Bounds.of(args)
    hoisted: dict[int, ColumnElement[Any]] = {}
    if SHARED_LOOKUPS:
        base = _shared(base, base, hoisted, suffix)
        filters = [_shared(each, base, hoisted, suffix) for each in filters]
    key = source.table.c[source.key]
    first = sa.select(sa.func.min(key).label("key"))
    if bounds.after is not None:
        first = first.where(key > bound(bounds.after[0], key))
    # The window's first key and the rows ``head`` found are read by several parts: each is
    # a MATERIALIZED CTE computed once, read through a CTE scan (as scalar subqueries written
    # into every use, the generic plan held 5 index probes for ``min`` and 4-6 aggregates over
    # ``head``, each set up on every execution: W2 at 1M rows, backend CPU -5 %).
    start = _once(first.correlate(None).cte("start" + suffix))
    edge = start + window
    # ``key >= start`` says nothing new on a first page, but makes the window a range to the
    # planner (a fraction of the rows, where ``key <= edge`` alone is a third of the table):
    # it walks the (column, key) index over the window instead of bitmap-reading every row of
    # the filter (a dataset and an indicator at 1M rows: 3,031 rows read for 12).
    head = apply_page(base.where(key >= start, key <= edge), source.order, args, bounds).cte(
        "head" + suffix
    )
    counted = sa.select(sa.func.count().label("key")).select_from(head)
    in_head = _once(counted.cte("found" + suffix))
    parts: list[sa.CTE] = [head]
    walked = _walked_columns(source, filters)
    if walked:
        walk, edge = _walk(source, base, args, bounds, window, walked, edge, in_head, suffix)
        parts.append(walk)
    beyond = (
        apply_page(base.where(key > edge), source.order, args, bounds)
        .order_by(None)
        .order_by(key + 0)
        .subquery("beyond")
    )
    # The one-time filter outside ``beyond``'s LIMIT (PostgreSQL pushes no condition into a
    # subquery with a LIMIT): when ``head`` filled the page, nothing of ``rest`` starts. Inside
    # it, a parallel plan of ``rest`` (large tables) launched its workers before the filter.
    rest = sa.select(beyond).where(_found(in_head, parts[1:]) <= bounds.size)
    both = sa.union_all(*(sa.select(part) for part in parts), rest).subquery("page")
    return sa.select(both).order_by(both.c[source.order[0].label]).limit(bounds.limit)


def window_head(
    source: Source,
    base: sa.Select[Any],
    args: PageArgs,
    window: int,
    bounds: Bounds,
    *,
    suffix: str = "",
) -> sa.Select[Any]:
    """``windowed``'s ``head`` alone: the page's rows among the next ``window`` keys, in key
    order, at most ``bounds.limit``. Every key beyond the window is larger, so when it holds as
    many rows as the page reads, they are ``windowed``'s rows; with fewer, only ``windowed``
    can say what follows (the compiled path's first step, ``graphql.compiled``: the caller
    checks the count and runs the whole form when it falls short). ``suffix`` as there."""
    key = source.table.c[source.key]
    first = sa.select(sa.func.min(key).label("key"))
    if bounds.after is not None:
        first = first.where(key > bound(bounds.after[0], key))
    start = _once(first.correlate(None).cte("start" + suffix))
    return apply_page(base.where(key >= start, key <= start + window), source.order, args, bounds)


# The conditions' lookups that read no row of the page's own FROMs (the visible datasets'
# ids, an indicator's id by its code) are each a MATERIALIZED CTE read by every part, instead
# of a copy of their plan in each of ``head``, ``walk`` and ``rest`` (each set up on every
# execution). False: every part holds its own copy (bench/statement_ab.py compares).
SHARED_LOOKUPS = True


def _shared(
    given: Any, base: sa.Select[Any], hoisted: dict[int, ColumnElement[Any]], suffix: str
) -> Any:
    """``given`` with each lookup of ``base``'s conditions that ``_independent`` finds
    replaced by one CTE's value (``hoisted``: the replacements made, by the lookup's id)."""
    outer = {id(each) for each in _leaves(base.get_final_froms())}
    single = _compared(given)

    def replace(element: Any, **_kw: Any) -> Any:
        found = hoisted.get(id(element))
        if found is not None:
            return found
        if element is given and isinstance(given, sa.Select):
            return None  # into ``base`` itself
        if isinstance(element, ScalarSelect) and id(element) not in single:
            return element  # ``IN (subquery)``, ``= ANY (subquery)``...: all its rows are read
        if not _independent(element, outer):
            # Never into another subquery: a lookup inside one may read its FROMs.
            return element if _scope(element) else None
        value = _once(sa.select(element.label("key")).cte(f"lookup{len(hoisted)}{suffix}"))
        if not isinstance(element, ScalarSelect):  # an array: ANY reads it, not its rows
            value = sa.cast(value, postgresql.ARRAY(element.clauses.clauses[0].type))
        hoisted[id(element)] = value
        return value

    replaced: Any = visitors.replacement_traverse(given, {}, replace)
    return replaced


# The operators that compare a scalar subquery as one value (``IN`` and ``ANY`` read its rows).
_ONE_VALUE = frozenset(
    (
        operators.eq,
        operators.ne,
        operators.lt,
        operators.le,
        operators.gt,
        operators.ge,
        operators.is_,
        operators.is_not,
        operators.is_distinct_from,
        operators.is_not_distinct_from,
    )
)


def _compared(given: Any) -> set[int]:
    """The ids of the scalar subqueries in ``given`` compared as one value (``= (lookup)``).
    Only those may become a one-row CTE: ``dataset_id IN (SELECT id ...)`` is a scalar
    subquery to SQLAlchemy too, and as a CTE of one column it held every row ("more than one
    row returned by a subquery used as an expression")."""
    found: set[int] = set()
    for each in visitors.iterate(given):
        if isinstance(each, BinaryExpression) and each.operator in _ONE_VALUE:
            for side in (each.left, each.right):
                inner = getattr(side, "element", None) if isinstance(side, Grouping) else side
                if isinstance(inner, ScalarSelect):
                    found.add(id(inner))
    return found


def _leaves(froms: Sequence[Any]) -> Iterator[Any]:
    """The tables, aliases and subqueries that ``froms`` (joins among them) read."""
    for each in froms:
        if isinstance(each, sa.Join):
            yield from _leaves([each.left, each.right])
        else:
            yield each


def _scope(element: Any) -> bool:
    """Whether ``element`` opens a scope of its own (a subquery, ``EXISTS``, a FROM)."""
    return isinstance(element, Selectable | ScalarSelect | Exists)


def _independent(element: Any, outer: set[int]) -> bool:
    """Whether ``element`` is a lookup worth sharing that reads nothing of the enclosing
    statement: an uncorrelated scalar subquery or ``array(subquery)`` none of whose columns
    (anywhere in it) belongs to one of ``outer``'s FROMs. ``_shared`` asks only of the
    elements outside every subquery, so these FROMs are the only ones it could read."""
    if isinstance(element, ScalarSelect):
        inner: Any = element.element
    elif (
        isinstance(element, sa.sql.functions.Function)
        and element.name == "array"
        and len(element.clauses.clauses) == 1
        and isinstance(element.clauses.clauses[0], ScalarSelect)
    ):
        inner = element.clauses.clauses[0].element
    else:
        return False
    if not isinstance(inner, sa.Select) or inner._correlate or inner._correlate_except:
        return False
    for each in visitors.iterate(inner):
        if isinstance(each, sa.ColumnClause) and id(each.table) in outer:
            return False
        if isinstance(each, sa.FromClause) and id(each) in outer:
            return False
    return True


def _once(cte: sa.CTE) -> ColumnElement[Any]:
    """The one value (column ``key``) of ``cte``, computed once however often it is read."""
    materialized = cte.prefix_with("MATERIALIZED")
    return sa.select(materialized.c.key).scalar_subquery()


def _found(in_head: ColumnElement[Any], parts: Sequence[sa.CTE]) -> ColumnElement[Any]:
    """How many rows ``head`` (``in_head``) and the other earlier parts of a windowed page
    found (a one-time filter's test)."""
    counts = [in_head] + [
        sa.select(sa.func.count()).select_from(part).correlate(None).scalar_subquery()
        for part in parts
    ]
    return functools.reduce(operator.add, counts)


# ``walk`` looks up WALK_MARGIN times as many keys as it expects to need: the rows still
# missing from the page, over the share of the filter's rows in ``head``'s window that the
# caller sees (one lookup of a key costs 1.3 us at 1M rows, against 0.1 us a row for
# ``head``'s walk). When that is more than ``window`` keys (a caller who sees few of them),
# ``rest`` reads the few visible rows at once instead.
WALK_MARGIN = 2


def _walk(
    source: Source,
    base: sa.Select[Any],
    args: PageArgs,
    bounds: Bounds,
    window: int,
    walked: Sequence[ColumnElement[bool]],
    edge: ColumnElement[Any],
    found: ColumnElement[Any],
    suffix: str,
) -> tuple[sa.CTE, ColumnElement[Any]]:
    """The part of a windowed page between ``head`` and ``rest``, and the key it ends at.

    ``walked``: conditions that each keep one value of a column indexed with the key
    (``column = value``, or ``IN`` one value, which PostgreSQL reads as ``=``). The walk
    follows the one with the fewest rows in ``head``'s window (the first of those: a dataset
    rather than an indicator that has more rows outside it); the others hold in ``base``.
    ``keys``: its next keys beyond ``edge``, an index-only scan of the (column, key) index (a
    branch per condition, all but the chosen one limited to none); ``span`` says how many
    (``WALK_MARGIN``; none: the walk is skipped). ``walk``: ``base``'s rows among them,
    ``key = ANY(ARRAY(keys))``, a key index scan that returns them in key order and stops when
    the page is full (given ``key > edge`` and ``ORDER BY key`` instead, the planner walks the
    key index over that range and reads every invisible row after the edge). It starts only
    when ``head`` found fewer than a page; ``rest`` goes on after the last of ``keys`` (none: no
    row beyond them keeps the chosen condition), or after ``edge`` when the walk was
    skipped."""
    key = source.table.c[source.key]
    in_window = [key <= edge]
    if bounds.after is not None:
        in_window.append(key > bound(bounds.after[0], key))
    seen = [
        sa.select(sa.func.count()).where(each, *in_window).correlate(None).scalar_subquery()
        for each in walked
    ]
    labels = [f"seen{n}" for n in range(len(walked))]
    # Each count once: a subquery's are written into every use, and a CTE read once is
    # written into its reader (``span``) unless MATERIALIZED.
    counts = (
        sa.select(
            found.label("found"), *(s.label(name) for s, name in zip(seen, labels, strict=True))
        )
        .cte("counts" + suffix)
        .prefix_with("MATERIALIZED")
    )
    fewest = (
        counts.c[labels[0]]
        if len(labels) == 1
        else sa.func.least(*(counts.c[name] for name in labels))
    )
    wanted = (
        WALK_MARGIN
        * (bounds.limit - counts.c.found)
        * sa.func.greatest(fewest, 1)
        // sa.func.greatest(counts.c.found, 1)
    )
    chosen = sa.case(*((counts.c[name] == fewest, n) for n, name in enumerate(labels)))
    span = sa.select(
        sa.case((wanted <= window, wanted), else_=0).label("n"), chosen.label("chosen")
    ).cte("span" + suffix)
    n, which = (sa.select(c).scalar_subquery() for c in (span.c.n, span.c.chosen))
    branches = [
        _next_keys(source, each, edge, n if len(walked) == 1 else sa.case((which == i, n), else_=0))
        for i, each in enumerate(walked)
    ]
    keys = (branches[0] if len(branches) == 1 else sa.union_all(*branches)).cte("keys" + suffix)
    listed = sa.func.array(sa.select(keys.c.key).scalar_subquery())
    inner = apply_page(base.where(key == sa.any_(listed)), source.order, args, bounds)
    inner = inner.limit(bounds.limit - found)  # only the rows ``head`` did not find
    walk = sa.select(inner.subquery("walked")).where(found <= bounds.size).cte("walk" + suffix)
    last = sa.select(sa.func.max(keys.c.key)).scalar_subquery()
    return walk, sa.case((n == 0, edge), else_=last)


def _next_keys(
    source: Source, walked: ColumnElement[bool], edge: ColumnElement[Any], n: ColumnElement[Any]
) -> sa.Select[Any]:
    """The first ``n`` keys beyond ``edge`` of the rows ``walked`` keeps: one scan of the
    (column, key) index for one value; for several (``IN`` of a foreign key), one
    scan per value of the referenced table that ``walked`` keeps, merged (a single scan of
    every value's rows reads them all before it can sort)."""
    key = source.table.c[source.key]
    column = walked.left if isinstance(walked, BinaryExpression) else None
    if not isinstance(walked, BinaryExpression) or _single(walked) or column is None:
        return sa.select(key.label("key")).where(walked, key > edge).order_by(key).limit(n)
    target = next(iter(column.foreign_keys)).column

    def referenced(element: Any, **_kw: Any) -> Any:
        return target if element is column else None

    kept: Any = visitors.replacement_traverse(walked, {}, referenced)
    values = sa.select(target.label("value")).where(kept).subquery("walk_values")
    each = (
        sa.select(key.label("key"))
        .where(column == values.c.value, key > edge)
        .order_by(key)
        .limit(n)
        .lateral("walk_value")
    )
    return (
        sa.select(each.c.key)
        .select_from(values.join(each, sa.true()))
        .order_by(each.c.key)
        .limit(n)
    )


def _walked_columns(
    source: Source, filters: Sequence[ColumnElement[bool]]
) -> list[ColumnElement[bool]]:
    """``filters``' conditions that keep one value of a column an index holds just before
    the key: ``column = value`` (not ``= ANY(...)``, the value not reading the source's
    table) or ``column IN (value)`` (one item), as they are; or several values of such a
    column that references one other table (``IN (values)``); one per column."""
    table = source.table
    indexed = {
        columns[0]
        for columns in (tuple(c.name for c in index.columns) for index in table.indexes)
        if len(columns) >= 2 and columns[1] == source.key
    }
    found: dict[str, ColumnElement[bool]] = {}
    for clause in (each for given in filters for each in _conjuncts(given)):
        if not isinstance(clause, BinaryExpression):
            continue
        column, value = clause.left, clause.right
        if not isinstance(column, sa.Column) or column.table is not table:
            continue
        if not _single(clause) and not (_several(clause) and len(column.foreign_keys) == 1):
            continue
        if column.name in indexed and not _reads(value, table):
            found.setdefault(column.name, clause)
    return list(found.values())


def _single(clause: BinaryExpression[Any]) -> bool:
    """Whether ``clause`` is ``= value`` (not ``= ANY(...)``) or ``IN`` a list of one."""
    if clause.operator is operators.eq:
        return not isinstance(clause.right, CollectionAggregate)
    if clause.operator is operators.in_op and isinstance(clause.right, BindParameter):
        value = clause.right.value
        return clause.right.expanding and isinstance(value, list | tuple) and len(value) == 1
    return False


def _several(clause: BinaryExpression[Any]) -> bool:
    """Whether ``clause`` is ``IN (values)``: a list of keys (datasets: a few rows in a window
    each). Not ``= ANY(lookup)``: several indicators' rows fill a page within the window, and
    a walk part that never runs still cost those pages 0.15 ms (two indicators at 1M rows:
    backend CPU 0.75 -> 0.90 ms)."""
    return clause.operator is operators.in_op and isinstance(clause.right, BindParameter)


def _conjuncts(clause: ColumnElement[Any] | None) -> Iterator[ColumnElement[Any]]:
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
        for each in clause.clauses:
            yield from _conjuncts(each)
    elif clause is not None:
        yield clause


def _reads(value: ColumnElement[Any], table: sa.Table) -> bool:
    """Whether ``value`` reads a column of ``table`` (anywhere, subqueries included)."""
    return any(
        isinstance(each, sa.Column) and each.table is table for each in visitors.iterate(value)
    )


async def count(
    db: RequestDb, principal: Principal, source: Source, where: Sequence[ColumnElement[bool]] = ()
) -> int:
    sub = scoped(source, principal).where(*where).subquery()
    return int(await db.scalar(sa.select(sa.func.count()).select_from(sub)))
