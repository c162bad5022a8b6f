"""To-one fields as joins of their parent's rows: a page's, a list's or a lookup's select
reads the to-one's row with a LEFT JOIN, before the page's LIMIT, instead of a LATERAL
subquery per parent row (``build.Compiler.one``).

Inside the page's select, PostgreSQL plans the join for the rows it expects before the
LIMIT, so a to-one whose keys repeat gets a Memoize (W4's areas: 67 lookups for 200
observations) and the LIMIT keeps it a nested loop over the page's rows; a LATERAL per row
was planned for the few rows of the page alone and looked every key up again. A to-one is
joined only when no join can repeat a parent row (its key is unique in a source that reads its
table alone: ``one_row_per_key``), when its object holds nothing but columns and
to-ones joined the same way, and when its visibility is its scoped select's (that select is
the joined subquery: a hidden row is no row, as for the LATERAL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.base import WriteableColumnCollection
from sqlalchemy.sql.elements import ColumnElement, Label
from strawberry.types.field import StrawberryField

from graphql import FieldNode, GraphQLNonNull, GraphQLObjectType, get_named_type
from lnob_api.auth.principal import Principal
from lnob_api.graphql.compiled.common import grouped_fields
from lnob_api.graphql.compiled.fields import ASSERTED, FIELDS, Computed, Localized, One
from lnob_api.graphql.connections import paged_of
from lnob_api.graphql.cost_model import Operation

# False: every to-one is a LATERAL subquery per parent row (bench/statement_ab.py compares).
JOINED_TO_ONE = True


@dataclass(frozen=True)
class Joined:
    """A joined to-one's columns, as its parent's rows carry them (``prefix`` + label)."""

    prefix: str
    present: str  # the label of its key: NULL when no row was found (or it is hidden)


class View:
    """A joined row seen as a row of its own: ``c[label]`` is the parent rows' column
    ``prefix + label`` (what ``build.Compiler.object_of`` reads from a row)."""

    def __init__(self, base: sa.FromClause, prefix: str) -> None:
        self.base = base
        self.c: WriteableColumnCollection[str, Any] = WriteableColumnCollection()
        for key, column in base.c.items():
            if key.startswith(prefix):
                self.c.add(column, key[len(prefix) :])


def base_of(row: Any) -> Any:
    return row.base if isinstance(row, View) else row


class Joins:
    """The joining part of ``build.Compiler`` (which provides what is declared here)."""

    schema: Any
    op: Operation
    principal: Principal
    _joined: dict[int, list[Joined]]

    def name(self, kind: str) -> str:
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
        """``stmt`` (the rows of ``gtype`` objects selecting ``selection``) with each of their
        joinable to-ones LEFT JOINed, its columns added as ``prefix + label``."""
        if not JOINED_TO_ONE or selection is None:
            return stmt
        parent_column = column_of or (lambda label: _expression(stmt.selected_columns[label]))
        for _key, nodes in grouped_fields(self.op.collect(selection, gtype)):
            found = self._joinable(gtype, nodes)
            if found is None:
                continue
            spec, target = found
            relation = spec.relation
            joined = relation.source.scoped(self.principal).subquery(self.name("join"))
            prefix = f"{joined.name}_"
            stmt = stmt.outerjoin(joined, joined.c[relation.key] == parent_column(spec.parent))
            stmt = stmt.add_columns(*(c.label(f"{prefix}{c.key}") for c in joined.c))
            self._joined.setdefault(id(nodes[0]), []).append(
                Joined(prefix, f"{prefix}{relation.key}")
            )
            stmt = self.with_joined(stmt, target, nodes[0].selection_set, _columns_of(joined))
        return stmt

    def joined_of(self, nodes: list[FieldNode], row: Any) -> Joined | None:
        """The join made for this field on ``row``'s rows, if one was."""
        base = base_of(row)
        for each in self._joined.get(id(nodes[0]), ()):
            if each.present in base.c:
                return each
        return None

    def _joinable(
        self, gtype: GraphQLObjectType, nodes: list[FieldNode]
    ) -> tuple[One, GraphQLObjectType] | None:
        name = nodes[0].name.value
        spec = FIELDS.get((gtype.name, name))
        if not isinstance(spec, One) or any(n.arguments for n in nodes):
            return None
        if len([n for n in nodes if n.selection_set is not None]) != 1 or len(nodes) != 1:
            return None
        definition = gtype.fields[name]
        field = self.schema.get_field_for_type(name, gtype.name)
        if field is None or not _plain_link(field):
            return None
        if isinstance(definition.type, GraphQLNonNull) and (gtype.name, name) not in ASSERTED:
            return None
        relation = spec.relation
        scoped = relation.source.scoped(self.principal)
        if relation.prefer or not one_row_per_key(relation.source, relation.key, scoped):
            return None
        target = get_named_type(definition.type)
        if not isinstance(target, GraphQLObjectType) or not self._flat(target, nodes[0]):
            return None
        return spec, target

    def _flat(self, gtype: GraphQLObjectType, node: FieldNode) -> bool:
        """Whether the object selected by ``node`` reads its own row's columns only, or
        to-ones that are joined too."""
        try:
            self.class_of(gtype)
        except Exception:
            return False
        if node.selection_set is None:
            return False
        for _key, nodes in grouped_fields(self.op.collect(node.selection_set, gtype)):
            name = nodes[0].name.value
            if name in ("__typename", "id"):
                continue
            if name.startswith("__") or name not in gtype.fields:
                return False
            field = self.schema.get_field_for_type(name, gtype.name)
            if field is None or field.permission_classes or paged_of(field) is not None:
                return False
            spec = FIELDS.get((gtype.name, name))
            if spec is None:
                if field.base_resolver is not None or field.extensions:
                    return False
            elif isinstance(spec, One):
                if self._joinable(gtype, nodes) is None:
                    return False
            elif not isinstance(spec, Localized | Computed):
                return False
        return True


def one_row_per_key(source: Any, key: str, scoped: sa.Select[Any]) -> bool:
    """Whether ``scoped`` (``source``'s scoped select) holds at most one row per value of
    ``key``: the key is its table's primary key or a one-column unique constraint, and the
    select reads that table alone (no join could repeat a row; its WHERE only drops rows)."""
    table = source.table
    unique = [c.name for c in table.primary_key.columns] == [key] or any(
        isinstance(each, sa.UniqueConstraint) and [c.name for c in each.columns] == [key]
        for each in table.constraints
    )
    if not unique:
        return False
    froms = scoped.get_final_froms()
    return len(froms) == 1 and froms[0] is table


def _columns_of(joined: sa.FromClause) -> Callable[[str], ColumnElement[Any]]:
    return lambda label: joined.c[label]


def _plain_link(field: StrawberryField) -> bool:
    return not field.permission_classes and paged_of(field) is None


def _expression(column: Any) -> ColumnElement[Any]:
    """A selected column as an expression of the select's FROMs (a label's own element)."""
    return column.element if isinstance(column, Label) else column
