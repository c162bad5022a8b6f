"""Column pruning of a built statement: each subquery the compiler made (LATERALs, items,
pages, the windowed plan's CTE) keeps only the columns read from outside it.

The scoped sources select every column of their entity, and some are long expressions (an
observation's masked value, ``conf_status``, ``perturbed``: the suppression predicate written
out several times). PostgreSQL drops unused outputs of a subquery it plans on its own, but it
still parses and analyses them, and a CTE read twice (the windowed page's ``head``) computes
every one. Pruning repeats until nothing changes: dropping a column may leave another
subquery's column unread (``SELECT head.*`` in a UNION ALL branch).

Only subqueries built for this statement are rewritten (``fresh``: their identities); the
scoped selects are shared between statements (``read.repository``'s memo) and never are.
Selects with DISTINCT or GROUP BY and set operations other than UNION ALL keep every column
(dropping one could change their rows); at least one column is always kept.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.selectable import (
    AliasedReturnsRows,
    CompoundSelect,
    Select,
    SelectStatementGrouping,
    _MemoizedSelectEntities,
)


def aliases(element: Any) -> set[int]:
    """Identities of the subqueries (of selects) reachable from ``element``."""
    return {id(each) for each in walk(element) if _of_select(each)}


def prune(statement: Any, fresh: set[int]) -> None:
    """Rewrite, in place, the ``fresh`` subqueries of ``statement`` to the columns read."""
    while True:
        found: dict[int, AliasedReturnsRows] = {}
        read: dict[int, set[str]] = {}
        wrapped: set[int] = set()  # a LATERAL's own subquery: narrowed through the LATERAL
        for each in walk(statement):
            if id(each) in fresh and isinstance(each, AliasedReturnsRows):
                found[id(each)] = each
                if isinstance(each.element, AliasedReturnsRows):
                    wrapped.add(id(each.element))
            elif isinstance(each, Select):
                for raw in each._raw_columns:  # SELECT alias.*: every column is read
                    if id(raw) in fresh and isinstance(raw, AliasedReturnsRows):
                        read.setdefault(id(raw), set()).update(raw.c.keys())
            elif isinstance(each, sa.ColumnClause):
                table = each.table
                if table is not None and id(table) in fresh:
                    read.setdefault(id(table), set()).add(each.key)
        changed = False
        for key, alias in found.items():
            if key in wrapped:
                continue
            holder = _holder(alias)
            if holder is None:
                continue
            narrower = _narrowed(holder.element, read.get(key, set()))
            if narrower is not None:
                holder.element = narrower
                changed = True
        if not changed:
            return


def walk(root: Any) -> Any:
    """Every element of ``root``, with the subqueries reached through their columns (a
    select's implicit FROMs, which SQLAlchemy's traversal does not follow) and a LATERAL's
    own subquery. Not through ``Select.get_final_froms``: it compiles the whole select to
    find them, and called on every select of a statement it cost most of plan building."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        each = stack.pop()
        if id(each) in seen:
            continue
        seen.add(id(each))
        yield each
        if isinstance(each, _MemoizedSelectEntities):
            # a select's columns before ``with_only_columns``, kept for its joins: the joins
            # are read, not those columns (a joined to-one's subquery: ``compiled.joined``)
            for target, onclause, left, _flags in each._setup_joins:
                stack.extend(x for x in (target, onclause, left) if x is not None)
            continue
        stack.extend(each.get_children())
        if isinstance(each, sa.ColumnClause) and each.table is not None:
            stack.append(each.table)
        elif isinstance(each, AliasedReturnsRows):
            stack.append(each.element)


def _of_select(each: Any) -> bool:
    return isinstance(each, AliasedReturnsRows) and _holder(each) is not None


def _holder(alias: AliasedReturnsRows) -> AliasedReturnsRows | None:
    """The alias whose element is the select (``Select.lateral`` wraps a subquery)."""
    while isinstance(alias.element, AliasedReturnsRows):
        alias = alias.element
    return alias if isinstance(alias.element, Select | CompoundSelect) else None


def _narrowed(element: Any, wanted: set[str]) -> Any:
    """``element`` with only the ``wanted`` columns (by position in a set operation), or
    None when nothing would change or it must keep them all."""
    if isinstance(element, Select):
        keys = [c.key for c in element.selected_columns]
        keep = _kept(keys, wanted)
        if keep is None or element._distinct or element._group_by_clauses:
            return None
        columns = list(element.selected_columns)
        return element.with_only_columns(*[columns[i] for i in keep], maintain_column_froms=True)
    if isinstance(element, CompoundSelect):
        if element.keyword is not sa.sql.selectable._CompoundSelectKeyword.UNION_ALL:
            return None
        selects = [_unwrapped(branch) for branch in element.selects]
        first = selects[0]
        if not isinstance(first, Select):
            return None
        keep = _kept([c.key for c in first.selected_columns], wanted)
        if keep is None:
            return None
        branches: list[Any] = []
        for branch, select in zip(element.selects, selects, strict=True):
            if not isinstance(select, Select) or select._distinct or select._group_by_clauses:
                return None
            columns = list(select.selected_columns)
            narrowed = select.with_only_columns(
                *[columns[i] for i in keep], maintain_column_froms=True
            )
            grouped = isinstance(branch, SelectStatementGrouping)
            branches.append(SelectStatementGrouping(narrowed) if grouped else narrowed)
        narrower = element._generate()
        narrower.selects = branches
        return narrower
    return None


def _unwrapped(branch: Any) -> Any:
    return branch.element if isinstance(branch, SelectStatementGrouping) else branch


def _kept(keys: list[Any], wanted: set[str]) -> list[int] | None:
    keep = [i for i, key in enumerate(keys) if key in wanted] or [0]
    return None if len(keep) == len(keys) else keep
