"""One SQL statement for a validated query: the response's ``data`` as JSON text, and its
actual cost (``graphql.cost_model``), both computed in PostgreSQL.

Every object is rendered from a row of its entity's scoped source (``read.relations``: the
principal's visibility, suppression and perturbation are already in that SELECT); to-one
fields, lists and connections are LATERAL subqueries correlated to their parent row, with the
same keyset paging (``read.keyset.apply_page``) as the loaders. Anything not understood
raises ``Unsupported`` with a bounded reason, and the query goes to Strawberry instead.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import sqlalchemy as sa
from graphql.execution.values import get_argument_values
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from lnob_api.auth.principal import Principal
from lnob_api.errors import InvalidInput
from lnob_api.graphql.compiled import params, render
from lnob_api.graphql.compiled.fields import (
    ASSERTED,
    FIELDS,
    ROOTS,
    Computed,
    Localized,
    Many,
    Missing,
    One,
)
from lnob_api.graphql.compiled.params import Binds, Site, Stale
from lnob_api.graphql.connections import PAGING, PARENT, Paged, Slice, paged_of
from lnob_api.graphql.cost_model import Operation
from lnob_api.graphql.i18n import DEFAULT
from lnob_api.read import repository
from lnob_api.read.keyset import Order, PageArgs, order_clauses, page_args
from lnob_api.read.relations import Source, Through, ToMany, ToOne

Text = ColumnElement[str]
Cost = ColumnElement[int]
ZERO: Cost = sa.literal_column("0", sa.Integer)


class Unsupported(Exception):
    """The compiled path does not cover this; ``reason`` is a metric label (bounded)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Built:
    """A value's JSON text and its actual cost, with the LATERALs they read from."""

    text: Text
    cost: Cost = ZERO
    laterals: list[sa.FromClause] = field(default_factory=list)


@dataclass
class Compiler:
    schema: Any  # the strawberry schema
    op: Operation
    principal: Principal
    language: str
    max_page: int
    _names: Any = field(default_factory=lambda: itertools.count())
    binds: Binds = field(default_factory=Binds)
    sites: list[Site] = field(default_factory=list)

    def site(self, refresh: Any) -> int:
        self.sites.append(Site(refresh))
        return len(self.sites) - 1

    def refreshed(self, sites: list[Site]) -> list[Any]:
        """Each site's values for this compiler's request (``Stale`` when one differs)."""
        return [site.refresh(self) for site in sites]

    # --- the operation --------------------------------------------------------------------

    def statement(self) -> sa.Select[Any]:
        root = self.op.root
        if root is None or self.op.definition.operation.value != "query":
            raise Unsupported("not_a_query")
        built = self.object_of(root, self.op.definition.selection_set, None, None)
        stmt: Any = sa.select(built.text.label("data"), built.cost.label("cost"))
        if not built.laterals:
            return _joined(stmt, None, [])
        # One row whatever the root fields find: each is LEFT JOINed to it.
        one_row = sa.select(sa.literal_column("1").label("one")).subquery("root")
        return _joined(stmt, one_row, built.laterals)

    def name(self, kind: str) -> str:
        return f"{kind}{next(self._names)}"

    # --- objects --------------------------------------------------------------------------

    def object_of(
        self, gtype: GraphQLObjectType, selection: Any, row: sa.FromClause | None, cls: Any
    ) -> Built:
        members: list[tuple[str, Text]] = []
        costs: list[Cost] = []
        laterals: list[sa.FromClause] = []
        for key, nodes in _grouped(self.op.collect(selection, gtype)):
            built = self.field_of(gtype, nodes, row, cls)
            members.append((key, built.text))
            if built.cost is not ZERO:
                costs.append(built.cost)
            laterals.extend(built.laterals)
        return Built(render.obj(members), _sum(costs), laterals)

    def field_of(
        self, gtype: GraphQLObjectType, nodes: list[FieldNode], row: sa.FromClause | None, cls: Any
    ) -> Built:
        node = nodes[0]
        name = node.name.value
        for each in nodes:
            for directive in each.directives or ():
                if directive.name.value not in ("skip", "include"):
                    raise Unsupported("directive")
        if name == "__typename":
            return Built(render.lit(f'"{gtype.name}"'))
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = gtype.fields[name]
        strawberry_field = self.schema.get_field_for_type(name, gtype.name)
        if strawberry_field is None:
            raise Unsupported("unknown_field")
        args = self.arguments(definition, node, strawberry_field)
        if row is None:
            return self.root_field(definition, nodes, strawberry_field, args)
        if name == "id" and hasattr(cls, "_source"):
            return Built(render.global_id(cls.__name__, row.c[cls._source.key]))
        if strawberry_field.permission_classes:
            raise Unsupported("permission")
        spec = FIELDS.get((gtype.name, name))
        paged = paged_of(strawberry_field)
        if paged is not None:
            return self.connection(definition, nodes, paged, args, row, strawberry_field)
        if spec is None:
            if strawberry_field.base_resolver is not None or strawberry_field.extensions:
                raise Unsupported("resolver")
            return Built(self.column(definition, strawberry_field, row))
        if isinstance(spec, Localized):
            return Built(self.localized(spec, row, args, (definition, node, strawberry_field)))
        if isinstance(spec, Computed):
            return Built(render.boolean(spec.build(row)))
        if args:
            raise Unsupported("arguments")
        if isinstance(spec, One):
            nullable = not isinstance(definition.type, GraphQLNonNull)
            if not nullable and (gtype.name, name) not in ASSERTED:
                raise Unsupported("non_null")
            return self.one(definition, nodes, spec.relation, row.c[spec.parent], row)
        return self.many(definition, nodes, spec, row)

    def arguments(
        self, definition: GraphQLField, node: FieldNode, strawberry_field: StrawberryField
    ) -> dict[str, Any]:
        raw = get_argument_values(definition, node, self.op.variables)
        if not raw:
            return {}
        try:
            return convert_arguments(
                raw,
                strawberry_field.arguments,
                scalar_registry=self.schema.schema_converter.scalar_registry,
                config=self.schema.config,
            )
        except Exception:
            raise Unsupported("arguments") from None

    def column(
        self, definition: GraphQLField, strawberry_field: StrawberryField, row: sa.FromClause
    ) -> Text:
        label = strawberry_field.python_name
        if label not in row.c:
            raise Unsupported("column")
        value = row.c[label]
        named = get_named_type(definition.type)
        if isinstance(named, GraphQLEnumType):
            kind = _enum_of(strawberry_field.type)
            return render.enum(value, kind)
        if not isinstance(named, GraphQLScalarType) or _is_list(definition.type):
            raise Unsupported("column_type")
        writer = _SCALARS.get(named.name)
        if writer is None:
            raise Unsupported("scalar")
        return writer(value)

    def localized(
        self, spec: Localized, row: sa.FromClause, args: dict[str, Any], found: Any
    ) -> Text:
        lang = (args.get("lang") or self.language).lower()
        if args:
            definition, node, strawberry_field = found

            def same_lang(fresh: Compiler) -> Any:
                again = fresh.arguments(definition, node, strawberry_field)
                if (again.get("lang") or fresh.language).lower() != lang:
                    raise Stale
                return {}

            self.site(same_lang)
        english = row.c[spec.english]
        if lang == DEFAULT:
            return render.string(english)
        translations = row.c[spec.translations]
        picked = translations[lang].astext
        chosen = sa.case(
            (
                sa.and_(sa.func.jsonb_typeof(translations[lang]) == "string", picked != ""),
                picked,
            ),
            else_=english,
        )
        return render.string(chosen)

    # --- root fields ----------------------------------------------------------------------

    def root_field(
        self,
        definition: GraphQLField,
        nodes: list[FieldNode],
        strawberry_field: StrawberryField,
        args: dict[str, Any],
    ) -> Built:
        name = nodes[0].name.value
        paged = paged_of(strawberry_field)
        if paged is not None:
            return self.connection(definition, nodes, paged, args, None, strawberry_field)
        lookup = ROOTS.get(name)
        if lookup is None:
            raise Unsupported("root_field")
        node = nodes[0]
        try:
            relation, key = lookup(args)
        except Missing:
            relation = None
        except (InvalidInput, KeyError):
            raise Unsupported("invalid_input") from None

        def again(fresh: Compiler) -> Any:
            try:
                found, value = lookup(fresh.arguments(definition, node, strawberry_field))
            except Missing:
                found, value = None, None
            except (InvalidInput, KeyError):
                raise Stale from None
            if found is not relation:
                raise Stale
            return {"key": value}

        at = self.site(again)
        if relation is None:
            return Built(render.lit(render.NULL_TEXT))
        source_key = relation.source.column(relation.key)
        value = self.binds.new(key, source_key.type, lambda sites: sites[at]["key"])
        return self.one(definition, nodes, relation, value, None)

    # --- to-one and lists -----------------------------------------------------------------

    def one(
        self,
        definition: GraphQLField,
        nodes: list[FieldNode],
        relation: ToOne,
        key: ColumnElement[Any],
        row: sa.FromClause | None,
    ) -> Built:
        gtype, cls = self.node_type(definition)
        source = relation.source
        inner = source.scoped(self.principal).where(source.column(relation.key) == key)
        if relation.prefer:
            inner = inner.order_by(*order_clauses(relation.prefer, backward=True))
        target = _lateral(_correlated(inner.limit(1), row), self.name("one"))
        built = self.object_of(gtype, _selection(nodes), target, cls)
        row_of: Any = sa.select(built.text.label("j"), built.cost.label("c"))
        lateral = _joined(row_of, target, built.laterals).lateral(self.name("to"))
        text = render.nullable(lateral.c.j, lateral.c.j)
        cost = sa.case((lateral.c.j.is_(None), 0), else_=1 + lateral.c.c)
        return Built(text, cost, [lateral])

    def many(
        self, definition: GraphQLField, nodes: list[FieldNode], spec: Many, row: sa.FromClause
    ) -> Built:
        gtype, cls = self.node_type(definition)
        stmt, parent = repository._children(self.principal, spec.relation)
        inner = _lateral(stmt.where(parent == row.c[spec.parent]).correlate(row), self.name("list"))
        rank = sa.func.row_number().over(order_by=_ordered(inner, spec.relation.ordering))
        built = self.object_of(gtype, _selection(nodes), inner, cls)
        items = _joined(
            sa.select(built.text.label("j"), (1 + built.cost).label("c"), rank.label("rn")),
            inner,
            built.laterals,
        ).subquery(self.name("items"))
        agg = sa.select(
            _array(items.c.j, items.c.rn).label("j"),
            sa.func.coalesce(sa.func.sum(items.c.c), 0).label("c"),
        ).lateral(self.name("agg"))
        return Built(agg.c.j, agg.c.c, [agg])

    def node_type(self, definition: GraphQLField) -> tuple[GraphQLObjectType, Any]:
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType):
            raise Unsupported("abstract_type")
        return named, self.class_of(named)

    def class_of(self, gtype: GraphQLObjectType) -> Any:
        definition = self.schema.get_type_by_name(gtype.name)
        cls = getattr(definition, "origin", None)
        if cls is None or not hasattr(cls, "_source"):
            raise Unsupported("type")
        return cls

    # --- connections ----------------------------------------------------------------------

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
        facts = (
            chosen.source,
            chosen.order,
            shape,
            page.backward,
            page.after is None,
            page.before is None,
        )
        field_of = definition

        def again(fresh: Compiler) -> Any:
            fresh_args = fresh.arguments(field_of, node, strawberry_field)
            fresh_paging = {name: fresh_args.pop(name, None) for name in PAGING}
            try:
                fresh_chosen = fresh.chosen(paged, fresh_args, None)
                fresh_page = page_args(**fresh_paging, order=order, max_size=fresh.max_page)
            except Unsupported:
                raise Stale from None
            except InvalidInput:
                raise Stale from None
            fresh_facts = (
                fresh_chosen.source,
                fresh_chosen.order,
                params.shape_of(fresh_chosen.where),
                fresh_page.backward,
                fresh_page.after is None,
                fresh_page.before is None,
            )
            if fresh_chosen.key is not PARENT or not _same(fresh_facts, facts):
                raise Stale
            return {"page": fresh_page, "where": params.where_values(fresh_chosen.where)}

        at = self.site(again)
        where = params.rebound(chosen.where, self.binds, at)
        if isinstance(relation, Source):
            base = relation.scoped(self.principal).where(*where)
            rows = self.root_rows(relation, base, order, page, at)
            count_of = base
        else:
            if row is None:
                raise Unsupported("relation")
            parent_label = relation.source.key if paged.parent_key == "pk" else paged.parent_key
            key = row.c[parent_label] if chosen.key is PARENT else sa.literal(chosen.key)
            stmt, parent = repository._children(self.principal, relation)
            count_of = stmt.where(parent == key, *where).correlate(row)
            rows = params.apply_page(count_of, order, page, self.binds, at)
        page_rows = _lateral(rows, self.name("page"))
        return self.page_of(connection_type, nodes, page_rows, order, page, count_of, row, at)

    def root_rows(
        self, source: Source, base: sa.Select[Any], order: Order, page: PageArgs, at: int
    ) -> Any:
        """``read.repository.page``'s statement (the windowed plan where it would use it)."""
        if source.window and order == source.order and not page.backward and len(order) == 1:
            return params.windowed(source, base, page, source.window, self.binds, at)
        return params.apply_page(base, order, page, self.binds, at)

    def chosen(self, paged: Paged, args: dict[str, Any], row: sa.FromClause | None) -> Slice:
        select = paged.select
        wanted = set(inspect.signature(select).parameters)
        if wanted & {"root", "info", "self"}:
            select = _ADAPTED.get(select.__qualname__, select)
            wanted = set(inspect.signature(select).parameters)
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
    ) -> Built:
        edge_type = get_named_type(connection_type.fields["edges"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        node_type = get_named_type(edge_type.fields["node"].type)
        assert isinstance(node_type, GraphQLObjectType)
        cls = self.class_of(node_type)
        rank = sa.func.row_number().over(
            order_by=_ordered(page_rows, order, backward=page.backward)
        )
        columns: list[Any] = [rank.label("rn")]
        laterals: list[sa.FromClause] = []
        cursor: Text | None = None

        def cursor_text() -> Text:
            nonlocal cursor
            if cursor is None:
                cursor = _cursor(page_rows, order)
                columns.append(cursor.label("cur"))
            return cursor

        members: list[tuple[str, str, Any]] = []  # (key, kind, detail)
        selection = _selection(nodes)
        for key, fields in _grouped(self.op.collect(selection, connection_type)):
            name = fields[0].name.value
            if name in ("nodes", "edges"):
                inner_type = node_type if name == "nodes" else edge_type
                built = (
                    self.object_of(node_type, _selection(fields), page_rows, cls)
                    if name == "nodes"
                    else self.edge(edge_type, fields, page_rows, cls, cursor_text)
                )
                del inner_type
                own = 1 if name == "nodes" else 0
                index = len(columns)
                columns.append(built.text.label(f"j{index}"))
                columns.append((own + built.cost).label(f"c{index}"))
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
        items = _joined(sa.select(*columns), page_rows, laterals).subquery(self.name("items"))
        size = params.page_size(page, self.binds, at)
        kept = items.c.rn <= size
        backward = page.backward
        aggregates: list[Any] = [sa.func.count().label("n")]
        for _key, kind, detail in members:
            if kind == "items":
                aggregates.append(
                    _array(items.c[f"j{detail}"], items.c.rn, backward, kept).label(f"j{detail}")
                )
                aggregates.append(
                    sa.func.coalesce(sa.func.sum(items.c[f"c{detail}"]).filter(kept), 0).label(
                        f"c{detail}"
                    )
                )
        if cursor is not None:
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
                    .select_from(_correlated(count_of, row).subquery(self.name("all")))
                    .scalar_subquery()
                )
                out.append((key, render.integer(counted)))
                costs.append(sa.literal_column("1", sa.Integer))
            else:
                out.append((key, render.lit(f'"{connection_type.name}"')))
        return Built(render.obj(out), _sum(costs), [agg])

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
        for key, nodes in _grouped(self.op.collect(_selection(fields), edge_type)):
            name = nodes[0].name.value
            if name == "cursor":
                members.append(
                    (key, render.concat([render.lit('"'), cursor_text(), render.lit('"')]))
                )
            elif name == "node":
                node_type = get_named_type(edge_type.fields["node"].type)
                assert isinstance(node_type, GraphQLObjectType)
                built = self.object_of(node_type, _selection(nodes), page_rows, cls)
                members.append((key, built.text))
                costs.append(1 + built.cost)
                laterals.extend(built.laterals)
            elif name == "__typename":
                members.append((key, render.lit(f'"{edge_type.name}"')))
            else:
                raise Unsupported("edge_field")
        return Built(render.obj(members), _sum(costs), laterals)

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
        for key, nodes in _grouped(self.op.collect(_selection(fields), info_type)):
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


# --- helpers ----------------------------------------------------------------------------


def _grouped(nodes: Sequence[FieldNode]) -> list[tuple[str, list[FieldNode]]]:
    """Fields by response key, in first-appearance order (GraphQL's field merging)."""
    found: dict[str, list[FieldNode]] = {}
    for node in nodes:
        key = node.alias.value if node.alias is not None else node.name.value
        found.setdefault(key, []).append(node)
    return list(found.items())


def _selection(nodes: list[FieldNode]) -> Any:
    sets = [n.selection_set for n in nodes if n.selection_set is not None]
    if len(sets) != 1:
        # Merged selections are costed once per field by ``cost_model`` (the actual cost
        # walks the merged value once for each): not compiled.
        raise Unsupported("merged_fields")
    return sets[0]


def _page_info_fields(
    op: Operation, fields: list[FieldNode], connection_type: GraphQLObjectType
) -> list[str]:
    info_type = get_named_type(connection_type.fields["pageInfo"].type)
    assert isinstance(info_type, GraphQLObjectType)
    return [n.name.value for n in op.collect(_selection(fields), info_type)]


def _sum(costs: list[Cost]) -> Cost:
    if not costs:
        return ZERO
    total = costs[0]
    for cost in costs[1:]:
        total = total + cost
    return total


def _lateral(stmt: sa.Select[Any], name: str) -> sa.FromClause:
    return stmt.lateral(name)


def _correlated(stmt: sa.Select[Any], row: sa.FromClause | None) -> sa.Select[Any]:
    return stmt.correlate(row) if row is not None else stmt


def _joined(
    stmt: sa.Select[Any], base: sa.FromClause | None, laterals: list[sa.FromClause]
) -> sa.Select[Any]:
    """``stmt`` FROM ``base`` LEFT JOIN LATERAL each of ``laterals`` ON true."""
    if base is None and not laterals:
        return stmt
    joined: Any = base if base is not None else laterals[0]
    for lateral in laterals if base is not None else laterals[1:]:
        joined = joined.join(lateral, sa.true(), isouter=True)
    return stmt.select_from(joined)


def _ordered(
    rows: sa.FromClause, order: Order, *, backward: bool = False
) -> list[ColumnElement[Any]]:
    columns = [rows.c[k.label] for k in order]
    return [
        c.desc() if k.descending != backward else c.asc()
        for c, k in zip(columns, order, strict=True)
    ]


def _array(
    text: ColumnElement[Any],
    rank: ColumnElement[Any],
    backward: bool = False,
    kept: ColumnElement[bool] | None = None,
) -> Text:
    """``[a,b,...]`` of the items' texts in order (``[]`` when there are none)."""
    ordered = postgresql.aggregate_order_by(
        render.lit(","), rank.desc() if backward else rank.asc()
    )
    joined: Any = sa.func.string_agg(text, ordered)
    if kept is not None:
        joined = joined.filter(kept)
    listed = render.concat([render.lit("["), joined, render.lit("]")])
    return sa.type_coerce(sa.func.coalesce(listed, render.lit("[]")), sa.Text)


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


def _same(one: tuple[Any, ...], two: tuple[Any, ...]) -> bool:
    """Plan facts equal: sources and orders by identity (declared once), the rest by value."""
    return all(a is b if i < 2 else a == b for i, (a, b) in enumerate(zip(one, two, strict=True)))


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _enum_of(type_: Any) -> type[Enum]:
    while isinstance(type_, (StrawberryOptional, StrawberryList, LazyType)):
        type_ = type_.resolve_type() if isinstance(type_, LazyType) else type_.of_type
    definition = getattr(type_, "__strawberry_definition__", type_)
    if isinstance(definition, StrawberryEnumDefinition):
        kind: type[Enum] = definition.wrapped_cls  # type: ignore[assignment]
        return kind
    raise Unsupported("enum")


_SCALARS = {
    "String": render.string,
    "ID": render.string,
    "Int": render.integer,
    "Float": render.number,
    "Boolean": render.boolean,
    "Date": render.date,
    "DateTime": render.datetime_utc,
}


def _observations_of_dataset(filter: Any = None, version: int | None = None) -> Slice:
    """``Dataset.observations``' select without another version (``version`` given falls
    back: it needs the lineage's versions first)."""
    from lnob_api.graphql.observation.types import observation_slice

    return observation_slice(filter)


_ADAPTED: dict[str, Any] = {"_observations": _observations_of_dataset}
_ADAPTED_REFUSES: dict[Any, tuple[str, ...]] = {_observations_of_dataset: ("version",)}

__all__ = ["Compiler", "Unsupported"]
_unused: tuple[Any, ...] = (Hashable, Through, ToMany)
