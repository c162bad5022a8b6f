"""What the compiled path's builders share: the built value, the fallback signal, and
small SQL helpers (LATERAL joins, orders, field grouping)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect, SelectBase

from graphql import FieldNode
from lnob_api.graphql.compiled import render
from lnob_api.read.keyset import Order

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


def grouped_fields(nodes: Sequence[FieldNode]) -> list[tuple[str, list[FieldNode]]]:
    """Fields by response key, in first-appearance order (GraphQL's field merging)."""
    found: dict[str, list[FieldNode]] = {}
    for node in nodes:
        key = node.alias.value if node.alias is not None else node.name.value
        found.setdefault(key, []).append(node)
    return list(found.items())


def selection_of(nodes: list[FieldNode]) -> Any:
    sets = [n.selection_set for n in nodes if n.selection_set is not None]
    if len(sets) != 1:
        # Merged selections are costed once per field by ``cost_model`` (the actual cost
        # walks the merged value once for each): not compiled.
        raise Unsupported("merged_fields")
    return sets[0]


def plus(own: int, cost: Cost) -> Cost:
    """``own + cost`` with ``own`` written into the SQL (a bound integer is a parameter that
    a generic plan cannot fold: ``$4 + 0`` was computed per row)."""
    written: Cost = sa.literal_column(str(int(own)), sa.Integer)
    return written if cost is ZERO else written + cost


def sum_of(costs: list[Cost]) -> Cost:
    if not costs:
        return ZERO
    total = costs[0]
    for cost in costs[1:]:
        total = total + cost
    return total


def lateral_of(stmt: sa.Select[Any], name: str) -> sa.FromClause:
    return stmt.lateral(name)


def correlated_to(stmt: sa.Select[Any], row: sa.FromClause | None) -> sa.Select[Any]:
    return stmt.correlate(row) if row is not None else stmt


# A child statement's own criteria name the parent's key where they named the child's
# column holding it (they are read with ``child column = parent key``). False keeps them as
# the source wrote them (bench/statement_ab.py compares both).
BOUND_TO_PARENT = True


def bound_to_parent(
    stmt: sa.Select[Any], column: ColumnElement[Any], key: ColumnElement[Any]
) -> sa.Select[Any]:
    """``stmt`` (a relation's child rows, to be read ``WHERE column = key``) with ``column``
    replaced by ``key`` in its WHERE criteria: the same rows, as the two are equal on each of
    them. A criterion then left with no column of the child's own tables (an observation's
    ``dataset_id = ANY(readable datasets)`` becomes ``parent.id = ANY(...)``) is checked once
    per parent instead of joining every index probe (W4's observation pages: the array was
    sorted again on every rescan of the index scan). Integer keys only, whose equality is
    identity; its columns, joins and subqueries are left as they are."""
    if not BOUND_TO_PARENT or not isinstance(column.type, sa.Integer):
        return stmt
    if not isinstance(key.type, sa.Integer) or not stmt._where_criteria:
        return stmt

    def swap(element: Any, **_kw: Any) -> Any:
        if element is column:
            return key
        # a subquery is left whole (its correlation stays what its source built)
        return element if isinstance(element, _SUBQUERIES) else None

    bound = stmt._generate()
    opts: dict[str, Any] = {}
    criteria: tuple[ColumnElement[Any], ...] = stmt._where_criteria
    bound._where_criteria = tuple(visitors.replacement_traverse(c, opts, swap) for c in criteria)
    return bound


_SUBQUERIES = (SelectBase, ScalarSelect, sa.FromClause)


def joined_to(
    stmt: sa.Select[Any], base: sa.FromClause | None, laterals: list[sa.FromClause]
) -> sa.Select[Any]:
    """``stmt`` FROM ``base`` LEFT JOIN LATERAL each of ``laterals`` ON true."""
    if base is None and not laterals:
        return stmt
    joined: Any = base if base is not None else laterals[0]
    for lateral in laterals if base is not None else laterals[1:]:
        joined = joined.join(lateral, sa.true(), isouter=True)
    return stmt.select_from(joined)


def ordered_by(
    rows: sa.FromClause, order: Order, *, backward: bool = False
) -> list[ColumnElement[Any]]:
    columns = [rows.c[k.label] for k in order]
    return [
        c.desc() if k.descending != backward else c.asc()
        for c, k in zip(columns, order, strict=True)
    ]


def json_array(
    text: ColumnElement[Any],
    order: Sequence[ColumnElement[Any]],
    kept: ColumnElement[bool] | None = None,
) -> Text:
    """``[a,b,...]`` of the items' texts in ``order`` (``[]`` when there are none)."""
    ordered = postgresql.aggregate_order_by(render.lit(","), *order)
    joined: Any = sa.func.string_agg(text, ordered)
    if kept is not None:
        joined = joined.filter(kept)
    listed = render.concat([render.lit("["), joined, render.lit("]")])
    return sa.type_coerce(sa.func.coalesce(listed, render.lit("[]")), sa.Text)
