"""One SQL statement for a validated query: the response's ``data`` as JSON text, and its
actual cost (``graphql.cost_model``), both computed in PostgreSQL.

Every object is rendered from a row of its entity's scoped source (``read.relations``: the
principal's visibility, suppression and perturbation are already in that SELECT); to-one
fields, lists and connections are LATERAL subqueries correlated to their parent row, with the
same keyset paging (``read.keyset.apply_page``) as the loaders. Anything not understood
raises ``Unsupported`` with a bounded reason, and the query goes to Strawberry instead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import AliasedReturnsRows
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
from lnob_api.graphql.compiled import convert, prune, render
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
from lnob_api.graphql.compiled.fields import (
    ASSERTED,
    FIELDS,
    PLAIN,
    ROOTS,
    Computed,
    Localized,
    Many,
    Missing,
    One,
)
from lnob_api.graphql.compiled.joined import Joined, Joins, View, base_of
from lnob_api.graphql.compiled.pages import Pages
from lnob_api.graphql.compiled.params import Binds, Site, Stale
from lnob_api.graphql.connections import paged_of
from lnob_api.graphql.cost_model import Operation
from lnob_api.graphql.i18n import DEFAULT
from lnob_api.read import repository
from lnob_api.read.keyset import order_clauses
from lnob_api.read.relations import ToOne

# Each subquery selects only the columns read from it (``prune``); False keeps every column
# of the scoped sources (bench/compiled_sql.py compares both).
PRUNE = True


@dataclass
class Compiler(Joins, Pages):
    schema: Any  # the strawberry schema
    op: Operation
    principal: Principal
    language: str
    max_page: int
    _names: Any = field(default_factory=lambda: itertools.count())
    binds: Binds = field(default_factory=Binds)
    sites: list[Site] = field(default_factory=list)
    # The subqueries built for this statement, which ``prune`` may narrow (see ``name``).
    fresh: set[int] = field(default_factory=set)
    _made: set[str] = field(default_factory=set)
    # to-ones joined to their parents' rows, by the field's first node (``joined``)
    _joined: dict[int, list[Joined]] = field(default_factory=dict)
    # The first step of the two-step form (``pages.Pages``): root windowed pages read only
    # their ``head``, and ``data`` is NULL when one of them falls short.
    head_only: bool = False
    heads: list[tuple[sa.FromClause, ColumnElement[bool]]] = field(default_factory=list)
    windows: int = 0
    head_bounds: Any = None

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
        text = built.text
        if self.head_only:
            text = self.head_text(built)
        stmt: Any = sa.select(text.label("data"), built.cost.label("cost"))
        if not built.laterals:
            stmt = joined_to(stmt, None, [])
        else:
            # One row whatever the root fields find: each is LEFT JOINed to it.
            one_row = sa.select(sa.literal_column("1").label("one")).subquery("root")
            stmt = joined_to(stmt, one_row, built.laterals)
        if PRUNE:
            made = {
                id(each)
                for each in prune.walk(stmt)
                if isinstance(each, AliasedReturnsRows) and each.name in self._made
            }
            prune.prune(stmt, made | self.fresh)
        result: sa.Select[Any] = stmt
        return result

    def head_text(self, built: Built) -> Text:
        """The response's text when every head-only page filled its page, else NULL (each
        page's aggregate must be a root lateral, in the statement's one row)."""
        if not self.heads:
            raise Unsupported("no_head")
        roots = {id(each) for each in built.laterals}
        if any(id(agg) not in roots for agg, _ in self.heads):
            raise Unsupported("nested_head")
        filled = sa.and_(*(test for _, test in self.heads))
        return sa.type_coerce(sa.case((filled, built.text)), sa.Text)

    def name(self, kind: str) -> str:
        made = f"{kind}{next(self._names)}"
        self._made.add(made)
        return made

    # --- objects --------------------------------------------------------------------------

    def object_of(
        self, gtype: GraphQLObjectType, selection: Any, row: sa.FromClause | None, cls: Any
    ) -> Built:
        members: list[tuple[str, Text]] = []
        costs: list[Cost] = []
        laterals: list[sa.FromClause] = []
        for key, nodes in grouped_fields(self.op.collect(selection, gtype)):
            built = self.field_of(gtype, nodes, row, cls)
            members.append((key, built.text))
            if built.cost is not ZERO:
                costs.append(built.cost)
            laterals.extend(built.laterals)
        return Built(render.obj(members), sum_of(costs), laterals)

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
            plain = (gtype.name, name) in PLAIN
            return Built(self.column(definition, strawberry_field, row, plain=plain))
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
        raw = convert.argument_values(definition, node, self.op.variables)
        if not raw:
            return {}
        try:
            if convert.BUILT:
                return convert.arguments_converter(self.schema, strawberry_field)(raw)
            return convert_arguments(
                raw,
                strawberry_field.arguments,
                scalar_registry=self.schema.schema_converter.scalar_registry,
                config=self.schema.config,
            )
        except Exception:
            raise Unsupported("arguments") from None

    def column(
        self,
        definition: GraphQLField,
        strawberry_field: StrawberryField,
        row: sa.FromClause,
        *,
        plain: bool = False,
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
        if plain and named.name == "String":
            return render.plain_string(value)
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
        joined = self.joined_of(nodes, row) if row is not None else None
        if joined is not None:
            return self.one_joined(gtype, cls, nodes, joined, row)
        source = relation.source
        scoped = source.scoped(self.principal)
        inner = scoped.where(source.column(relation.key) == key)
        if relation.prefer:
            inner = inner.order_by(*order_clauses(relation.prefer, backward=True))
        inner = self.with_joined(inner, gtype, selection_of(nodes)).limit(1)
        target = lateral_of(correlated_to(inner, row), self.name("one"))
        built = self.object_of(gtype, selection_of(nodes), target, cls)
        row_of: Any = sa.select(built.text.label("j"), built.cost.label("c"))
        lateral = joined_to(row_of, target, built.laterals).lateral(self.name("to"))
        text = render.nullable(lateral.c.j, lateral.c.j)
        cost = sa.case((lateral.c.j.is_(None), ZERO), else_=plus(1, lateral.c.c))
        return Built(text, cost, [lateral])

    def one_joined(
        self, gtype: GraphQLObjectType, cls: Any, nodes: list[FieldNode], joined: Joined, row: Any
    ) -> Built:
        """A to-one read from the columns its join added to ``row``'s rows."""
        base = base_of(row)
        view: Any = View(base, joined.prefix)
        built = self.object_of(gtype, selection_of(nodes), view, cls)
        absent = base.c[joined.present].is_(None)
        text = sa.type_coerce(
            sa.case((absent, render.lit(render.NULL_TEXT)), else_=built.text), sa.Text
        )
        cost = sa.case((absent, ZERO), else_=plus(1, built.cost))
        return Built(text, cost, built.laterals)

    def many(
        self, definition: GraphQLField, nodes: list[FieldNode], spec: Many, row: sa.FromClause
    ) -> Built:
        gtype, cls = self.node_type(definition)
        stmt, parent = repository.children(self.principal, spec.relation)
        key = row.c[spec.parent]
        rows = bound_to_parent(stmt, parent, key).where(parent == key).correlate(row)
        selection = selection_of(nodes)
        inner = lateral_of(self.with_joined(rows, gtype, selection), self.name("list"))
        order = spec.relation.ordering
        built = self.object_of(gtype, selection, inner, cls)
        columns: list[Any] = [built.text.label("j"), plus(1, built.cost).label("c")]
        if RANKED_LISTS:
            rank = sa.func.row_number().over(order_by=ordered_by(inner, order))
            columns.append(rank.label("rn"))
        else:
            columns.extend(inner.c[k.label].label(f"k{i}") for i, k in enumerate(order))
        items = joined_to(sa.select(*columns), inner, built.laterals).subquery(self.name("items"))
        in_order = (
            [items.c.rn.asc()]
            if RANKED_LISTS
            else [
                items.c[f"k{i}"].desc() if k.descending else items.c[f"k{i}"].asc()
                for i, k in enumerate(order)
            ]
        )
        agg = sa.select(
            json_array(items.c.j, in_order).label("j"),
            sa.func.coalesce(sa.func.sum(items.c.c), ZERO).label("c"),
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


# A list's items are aggregated in the relation's order by its keys themselves (its order
# ends on a unique key). True ranks them first (row_number) and aggregates by rank: a Sort and
# a WindowAgg more per parent (W1's indicators: backend CPU 1.18x; bench/statement_ab.py).
RANKED_LISTS = False


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


__all__ = ["Compiler", "Unsupported"]
