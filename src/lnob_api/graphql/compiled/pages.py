"""Connections in SQL: keyset pages of a root source or of a parent's relation, with
``nodes``, ``edges { cursor node }``, ``pageInfo`` and ``totalCount`` (each only when selected),
as the loaders and ``graphql.pagination`` answer them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from strawberry.types.field import StrawberryField

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from lnob_api.auth.principal import Principal
from lnob_api.errors import InvalidInput
from lnob_api.graphql.compiled import params, prune, render
from lnob_api.graphql.compiled.common import (
    ZERO,
    Built,
    Cost,
    Text,
    Unsupported,
    bound_to_parent,
    correlated_to,
    grouped_fields,
    joined_to,
    json_array,
    lateral_of,
    ordered_by,
    plus,
    selection_of,
    sum_of,
)
from lnob_api.graphql.compiled.params import Binds, Stale
from lnob_api.graphql.connections import PAGING, PARENT, Paged, Slice
from lnob_api.graphql.cost_model import Operation
from lnob_api.read import repository
from lnob_api.read.keyset import Order, PageArgs, apply_page, page_args
from lnob_api.read.relations import Source


class Pages:
    """The connection part of ``build.Compiler`` (which provides what is declared here)."""

    op: Operation
    principal: Principal
    max_page: int
    binds: Binds
    fresh: set[int]
    # The two-step form (``graphql.compiled``): root windowed pages read ``head`` alone, and
    # each says in ``heads`` (its items' aggregate, the test) whether that filled it.
    head_only: bool
    heads: list[tuple[sa.FromClause, ColumnElement[bool]]]
    windows: int  # windowed pages read (either form)
    head_bounds: Any  # the last head-only page's bounds, for ``connection``

    def site(self, refresh: Any) -> int:
        raise NotImplementedError

    def name(self, kind: str) -> str:
        raise NotImplementedError

    def arguments(
        self, definition: GraphQLField, node: FieldNode, strawberry_field: StrawberryField
    ) -> dict[str, Any]:
        raise NotImplementedError

    def object_of(
        self, gtype: GraphQLObjectType, selection: Any, row: sa.FromClause | None, cls: Any
    ) -> Built:
        raise NotImplementedError

    def class_of(self, gtype: GraphQLObjectType) -> Any:
        raise NotImplementedError

    def with_joined(
        self,
        stmt: sa.Select[Any],
        gtype: GraphQLObjectType,
        selection: Any,
        column_of: Callable[[str], ColumnElement[Any]] | None = None,
    ) -> sa.Select[Any]:
        raise NotImplementedError

    def connection(
        self,
        definition: GraphQLField,
        nodes: list[FieldNode],
        paged: Paged,
        args: dict[str, Any],
        row: sa.FromClause | None,
        strawberry_field: StrawberryField,
    ) -> Built:
        node = nodes[0]
        paging = {name: args.pop(name, None) for name in PAGING}
        chosen = self.chosen(paged, args, row)
        if chosen.key is not PARENT:
            raise Unsupported("select")
        relation = chosen.source or paged.relation
        if relation is None:
            raise Unsupported("relation")
        if isinstance(relation, Source):
            order = chosen.order or relation.order
        else:
            if chosen.order is not None:
                raise Unsupported("order")
            order = relation.ordering
        try:
            page = page_args(**paging, order=order, max_size=self.max_page)
        except InvalidInput:
            raise Unsupported("invalid_input") from None
        connection_type = get_named_type(definition.type)
        assert isinstance(connection_type, GraphQLObjectType)
        shape = params.shape_of(chosen.where)
        order_in_key = params.key_order(chosen.where)
        facts = (
            chosen.source,
            chosen.order,
            shape,
            page.backward,
            page.after is None,
            page.before is None,
        )
        field_of = definition

        def again(fresh: Pages) -> Any:
            fresh_args = fresh.arguments(field_of, node, strawberry_field)
            fresh_paging = {name: fresh_args.pop(name, None) for name in PAGING}
            try:
                fresh_chosen = fresh.chosen(paged, fresh_args, None)
                fresh_page = page_args(**fresh_paging, order=order, max_size=fresh.max_page)
            except Unsupported:
                raise Stale from None
            except InvalidInput:
                raise Stale from None
            fresh_shape, values = params.shape_and_values(fresh_chosen.where, order_in_key)
            fresh_facts = (
                fresh_chosen.source,
                fresh_chosen.order,
                fresh_shape,
                fresh_page.backward,
                fresh_page.after is None,
                fresh_page.before is None,
            )
            if fresh_chosen.key is not PARENT or not _same(fresh_facts, facts):
                raise Stale
            if values is None:
                values = params.where_values(fresh_chosen.where)
            return {"page": fresh_page, "where": values}

        at = self.site(_constant_if_literal(node, again, page, chosen.where))
        where = params.rebound(chosen.where, self.binds, at)
        node_type = _node_type(connection_type)
        if isinstance(relation, Source):
            base = relation.scoped(self.principal).where(*where)
            rows = self.root_rows(relation, base, order, page, at, where)
            head, self.head_bounds = self.head_bounds, None
            count_of = base
            windowed = relation.window and order == relation.order and len(order) == 1
            late = bool(windowed and not page.backward)
            if not late:
                rows = self.joined_page(rows, connection_type, node_type, nodes)
        else:
            head = None
            if row is None:
                raise Unsupported("relation")
            parent_label = relation.source.key if paged.parent_key == "pk" else paged.parent_key
            key = row.c[parent_label] if chosen.key is PARENT else sa.literal(chosen.key)
            stmt, parent = repository.children(self.principal, relation)
            stmt = bound_to_parent(stmt, parent, key)
            count_of = stmt.where(parent == key, *where).correlate(row)
            rows = apply_page(count_of, order, page, params.bounds(order, page, self.binds, at))
            if _capped(self.op, nodes, connection_type, page):
                # the row after the page is not read (``page_of``): its to-ones not joined
                rows = rows.limit(params.page_size(page, self.binds, at))
            rows = self.joined_page(rows, connection_type, node_type, nodes)
            late = False
        page_rows = lateral_of(rows, self.name("page"))
        built = self.page_of(
            connection_type, nodes, page_rows, order, page, count_of, row, at, late=late
        )
        if head is not None:  # filled when it holds the rows the page reads
            agg = built.laterals[0]
            wanted = head.size if _capped(self.op, nodes, connection_type, page) else head.limit
            self.heads.append((agg, agg.c.n >= wanted))
        return built

    def joined_page(
        self,
        rows: sa.Select[Any],
        connection_type: GraphQLObjectType,
        node_type: GraphQLObjectType,
        nodes: list[FieldNode],
    ) -> sa.Select[Any]:
        """The page's rows with the to-ones of its nodes (``nodes`` or ``edges { node }``)
        joined (``joined.Joins.with_joined``)."""
        for key_fields in grouped_fields(self.op.collect(selection_of(nodes), connection_type)):
            fields = key_fields[1]
            name = fields[0].name.value
            if name == "nodes" and len(fields) == 1:
                rows = self.with_joined(rows, node_type, fields[0].selection_set)
            elif name == "edges" and len(fields) == 1 and fields[0].selection_set is not None:
                edge_type = get_named_type(connection_type.fields["edges"].type)
                assert isinstance(edge_type, GraphQLObjectType)
                for _key, inner in grouped_fields(
                    self.op.collect(fields[0].selection_set, edge_type)
                ):
                    if inner[0].name.value == "node" and len(inner) == 1:
                        rows = self.with_joined(rows, node_type, inner[0].selection_set)
        return rows

    def joined_late(
        self,
        page_rows: sa.FromClause,
        connection_type: GraphQLObjectType,
        node_type: GraphQLObjectType,
        nodes: list[FieldNode],
    ) -> sa.FromClause:
        """``page_rows`` with the to-ones of its nodes joined once, after the page's LIMIT
        (its final rows), or ``page_rows`` itself when none is joinable."""
        if WINDOWED_JOINS == "lateral":
            return page_rows
        joined = self.joined_page(sa.select(page_rows), connection_type, node_type, nodes)
        if len(joined.selected_columns) == len(page_rows.c):
            return page_rows
        return lateral_of(joined, self.name("final"))

    def root_rows(
        self,
        source: Source,
        base: sa.Select[Any],
        order: Order,
        page: PageArgs,
        at: int,
        where: list[ColumnElement[bool]],
    ) -> Any:
        """``read.repository.page``'s statement (the windowed plan where it would use it;
        ``where``: the connection's filter, in ``base``)."""
        bounds = params.bounds(order, page, self.binds, at)
        if source.window and order == source.order and not page.backward and len(order) == 1:
            self.windows += 1
            suffix = "" if self.windows == 1 else f"_{self.windows}"  # its CTEs' names
            if self.head_only:
                self.head_bounds = bounds
                rows = repository.window_head(
                    source, base, page, source.window, bounds, suffix=suffix
                )
            else:
                rows = repository.windowed(
                    source, base, page, source.window, bounds, filters=where, suffix=suffix
                )
            # Its CTE and UNION are this statement's own: ``prune`` may narrow them.
            self.fresh |= prune.aliases(rows) - prune.aliases(base)
            return rows
        return apply_page(base, order, page, bounds)

    def chosen(self, paged: Paged, args: dict[str, Any], row: sa.FromClause | None) -> Slice:
        select = paged.select
        wanted = _parameters(select)
        if wanted & {"root", "info", "self"}:
            select = _ADAPTED.get(select.__qualname__, select)
            wanted = _parameters(select)
            if wanted & {"root", "info", "self"}:
                raise Unsupported("select")
            if any(args.get(name) is not None for name in _ADAPTED_REFUSES.get(select, ())):
                raise Unsupported("select")
            args = {k: v for k, v in args.items() if k in wanted}
        try:
            chosen = select(**args)
        except InvalidInput:
            raise Unsupported("invalid_input") from None
        if inspect.isawaitable(chosen):
            getattr(chosen, "close", lambda: None)()
            raise Unsupported("select")
        assert isinstance(chosen, Slice)
        return chosen

    def page_of(
        self,
        connection_type: GraphQLObjectType,
        nodes: list[FieldNode],
        page_rows: sa.FromClause,
        order: Order,
        page: PageArgs,
        count_of: sa.Select[Any],
        row: sa.FromClause | None,
        at: int,
        *,
        late: bool = False,
    ) -> Built:
        """The connection's JSON from ``page_rows``; ``late``: the to-ones of its nodes are
        joined to its final rows here (a windowed page's union and LIMIT are not a select
        they can join: ``joined_late``)."""
        edge_type = get_named_type(connection_type.fields["edges"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        node_type = get_named_type(edge_type.fields["node"].type)
        assert isinstance(node_type, GraphQLObjectType)
        cls = self.class_of(node_type)
        selection = selection_of(nodes)
        grouped = grouped_fields(self.op.collect(selection, connection_type))
        size = params.page_size(page, self.binds, at)
        # Without pageInfo, nothing reads the row after the page (hasNextPage): a forward page
        # takes its first ``size`` rows alone, and its items are aggregated in key order with
        # no rank (a WindowAgg less: W2 at 1M rows -4 %, W2b -6 % backend CPU).
        capped = _capped(self.op, nodes, connection_type, page)
        if capped:
            page_rows = (
                sa.select(page_rows)
                .order_by(*ordered_by(page_rows, order))
                .limit(size)
                .lateral(self.name("capped"))
            )
        if late:
            page_rows = self.joined_late(page_rows, connection_type, node_type, nodes)
        if capped:
            keys = [page_rows.c[k.label].label(f"k{i}") for i, k in enumerate(order)]
            columns: list[Any] = list(keys)
        else:
            rank = sa.func.row_number().over(
                order_by=ordered_by(page_rows, order, backward=page.backward)
            )
            columns = [rank.label("rn")]
        laterals: list[sa.FromClause] = []
        cursor: Text | None = None

        def cursor_text() -> Text:
            nonlocal cursor
            if cursor is None:
                cursor = _cursor(page_rows, order)
                columns.append(cursor.label("cur"))
            return cursor

        members: list[tuple[str, str, Any]] = []  # (key, kind, detail)
        for key, fields in grouped:
            name = fields[0].name.value
            if name in ("nodes", "edges"):
                inner_type = node_type if name == "nodes" else edge_type
                built = (
                    self.object_of(node_type, selection_of(fields), page_rows, cls)
                    if name == "nodes"
                    else self.edge(edge_type, fields, page_rows, cls, cursor_text)
                )
                del inner_type
                own = 1 if name == "nodes" else 0
                index = len(columns)
                columns.append(built.text.label(f"j{index}"))
                columns.append(plus(own, built.cost).label(f"c{index}"))
                laterals.extend(built.laterals)
                members.append((key, "items", index))
            elif name == "pageInfo":
                members.append((key, "page_info", fields))
                for info_field in _page_info_fields(self.op, fields, connection_type):
                    if info_field in ("startCursor", "endCursor"):
                        cursor_text()
            elif name == "totalCount":
                members.append((key, "count", None))
            elif name == "__typename":
                members.append((key, "typename", None))
            else:
                raise Unsupported("connection_field")
        items = joined_to(sa.select(*columns), page_rows, laterals).subquery(self.name("items"))
        backward = page.backward
        aggregates: list[Any] = [sa.func.count().label("n")]
        for _key, kind, detail in members:
            if kind != "items":
                continue
            if capped:
                in_order = [
                    items.c[f"k{i}"].desc() if k.descending else items.c[f"k{i}"].asc()
                    for i, k in enumerate(order)
                ]
                text = json_array(items.c[f"j{detail}"], in_order)
                cost: Any = sa.func.sum(items.c[f"c{detail}"])
            else:
                kept = items.c.rn <= size
                rn = items.c.rn
                text = json_array(
                    items.c[f"j{detail}"], [rn.desc() if backward else rn.asc()], kept=kept
                )
                cost = sa.func.sum(items.c[f"c{detail}"]).filter(kept)
            aggregates.append(text.label(f"j{detail}"))
            aggregates.append(sa.func.coalesce(cost, ZERO).label(f"c{detail}"))
        if cursor is not None and not capped:
            kept = items.c.rn <= size
            first = sa.func.max(items.c.cur).filter(sa.and_(items.c.rn == 1, kept))
            last = _last(items.c.cur, items.c.rn, kept)
            start, end = (last, first) if backward else (first, last)
            aggregates.append(start.label("start"))
            aggregates.append(end.label("end"))
        agg = sa.select(*aggregates).select_from(items).lateral(self.name("agg"))
        out: list[tuple[str, Text]] = []
        costs: list[Cost] = [sa.literal_column("2", sa.Integer)]
        for key, kind, detail in members:
            if kind == "items":
                out.append((key, agg.c[f"j{detail}"]))
                costs.append(agg.c[f"c{detail}"])
            elif kind == "page_info":
                out.append((key, self.page_info(detail, connection_type, agg, page, size)))
            elif kind == "count":
                counted = (
                    sa.select(sa.func.count())
                    .select_from(correlated_to(count_of, row).subquery(self.name("all")))
                    .scalar_subquery()
                )
                out.append((key, render.integer(counted)))
                costs.append(sa.literal_column("1", sa.Integer))
            else:
                out.append((key, render.lit(f'"{connection_type.name}"')))
        return Built(render.obj(out), sum_of(costs), [agg])

    def edge(
        self,
        edge_type: GraphQLObjectType,
        fields: list[FieldNode],
        page_rows: sa.FromClause,
        cls: Any,
        cursor_text: Any,
    ) -> Built:
        members: list[tuple[str, Text]] = []
        costs: list[Cost] = []
        laterals: list[sa.FromClause] = []
        for key, nodes in grouped_fields(self.op.collect(selection_of(fields), edge_type)):
            name = nodes[0].name.value
            if name == "cursor":
                members.append(
                    (key, render.concat([render.lit('"'), cursor_text(), render.lit('"')]))
                )
            elif name == "node":
                node_type = get_named_type(edge_type.fields["node"].type)
                assert isinstance(node_type, GraphQLObjectType)
                built = self.object_of(node_type, selection_of(nodes), page_rows, cls)
                members.append((key, built.text))
                costs.append(plus(1, built.cost))
                laterals.extend(built.laterals)
            elif name == "__typename":
                members.append((key, render.lit(f'"{edge_type.name}"')))
            else:
                raise Unsupported("edge_field")
        return Built(render.obj(members), sum_of(costs), laterals)

    def page_info(
        self,
        fields: list[FieldNode],
        connection_type: GraphQLObjectType,
        agg: sa.FromClause,
        page: PageArgs,
        size: Any,
    ) -> Text:
        info_type = get_named_type(connection_type.fields["pageInfo"].type)
        assert isinstance(info_type, GraphQLObjectType)
        more = agg.c.n > size
        if page.backward:
            has_next: Any = sa.literal(page.before is not None)
            has_previous: Any = more
        else:
            has_next, has_previous = more, sa.literal(page.after is not None)
        members: list[tuple[str, Text]] = []
        for key, nodes in grouped_fields(self.op.collect(selection_of(fields), info_type)):
            name = nodes[0].name.value
            if name == "hasNextPage":
                members.append((key, render.boolean(has_next)))
            elif name == "hasPreviousPage":
                members.append((key, render.boolean(has_previous)))
            elif name == "startCursor":
                members.append((key, render.string(agg.c.start)))
            elif name == "endCursor":
                members.append((key, render.string(agg.c.end)))
            elif name == "__typename":
                members.append((key, render.lit(f'"{info_type.name}"')))
            else:
                raise Unsupported("page_info_field")
        return render.obj(members)


def _capped(
    op: Operation, nodes: list[FieldNode], connection_type: GraphQLObjectType, page: PageArgs
) -> bool:
    """Whether the page is read without the row after it (``CAPPED``: no pageInfo)."""
    if not CAPPED or page.backward:
        return False
    return all(f.name.value != "pageInfo" for f in op.collect(selection_of(nodes), connection_type))


def _node_type(connection_type: GraphQLObjectType) -> GraphQLObjectType:
    edge_type = get_named_type(connection_type.fields["edges"].type)
    assert isinstance(edge_type, GraphQLObjectType)
    node_type = get_named_type(edge_type.fields["node"].type)
    assert isinstance(node_type, GraphQLObjectType)
    return node_type


def _page_info_fields(
    op: Operation, fields: list[FieldNode], connection_type: GraphQLObjectType
) -> list[str]:
    info_type = get_named_type(connection_type.fields["pageInfo"].type)
    assert isinstance(info_type, GraphQLObjectType)
    return [n.name.value for n in op.collect(selection_of(fields), info_type)]


def _last(
    cursor: ColumnElement[Any], rank: ColumnElement[Any], kept: ColumnElement[bool]
) -> ColumnElement[Any]:
    """The cursor of the highest-ranked kept item (an aggregate over the items)."""
    ordered = postgresql.aggregate_order_by(cursor, rank.desc())
    listed = sa.type_coerce(sa.func.array_agg(ordered).filter(kept), postgresql.ARRAY(sa.Text))
    return listed[1]


def _cursor(rows: sa.FromClause, order: Order) -> Text:
    """``read.keyset.encode_cursor`` in SQL, for orders of integer keys (other key types
    would need Python's exact JSON of text and timestamps)."""
    for key in order:
        if not isinstance(key.column.type, sa.Integer):
            raise Unsupported("cursor_type")
    return render.int_cursor([rows.c[k.label] for k in order])


# "final": a windowed page's to-ones are joined to its final rows (``Pages.joined_late``);
# "lateral": each is a LATERAL subquery per row (bench/statement_ab.py compares).
WINDOWED_JOINS = "final"


# False: every page ranks its rows (row_number) and drops the row after the page in its
# aggregates, pageInfo selected or not (bench/statement_ab.py compares both).
CAPPED = True


# A connection whose arguments are literals (no variable in them) has the same values for
# every request of its plan: its site returns them without recomputing them. False: every
# site recomputes (bench/request_profile.py --ab literal).
LITERAL_SITES = True


def _constant_if_literal(node: FieldNode, again: Any, page: PageArgs, where: Any) -> Any:
    """``again``, or the plan's own values when no variable enters the field's arguments
    (its ``select``, ``page_args`` and the plan's ``max_page`` then give them every time)."""
    if not LITERAL_SITES or any(_has_variable(a.value) for a in node.arguments or ()):
        return again
    try:
        values = {"page": page, "where": params.where_values(where)}
    except Stale:
        return again
    return lambda _fresh: values


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(f.value) for f in value.fields)
    return False


# select function -> (it, its parameters' names): read once (``inspect.signature`` on every
# refresh was a tenth of it); the function is held so that its id is never another's.
_PARAMETERS: dict[int, tuple[Any, frozenset[str]]] = {}


def _parameters(select: Any) -> frozenset[str]:
    found = _PARAMETERS.get(id(select))
    if found is not None and found[0] is select:
        return found[1]
    names = frozenset(inspect.signature(select).parameters)
    if len(_PARAMETERS) > 1000:  # select functions are declared once: never in practice
        _PARAMETERS.clear()
    _PARAMETERS[id(select)] = (select, names)
    return names


def _same(one: tuple[Any, ...], two: tuple[Any, ...]) -> bool:
    """Plan facts equal: sources and orders by identity (declared once), the rest by value."""
    return all(a is b if i < 2 else a == b for i, (a, b) in enumerate(zip(one, two, strict=True)))


def _observations_of_dataset(filter: Any = None, version: int | None = None) -> Slice:
    """``Dataset.observations``' select without another version (``version`` given falls
    back: it needs the lineage's versions first)."""
    from lnob_api.graphql.observation.types import observation_slice

    return observation_slice(filter)


_ADAPTED: dict[str, Any] = {"_observations": _observations_of_dataset}
_ADAPTED_REFUSES: dict[Any, tuple[str, ...]] = {_observations_of_dataset: ("version",)}
