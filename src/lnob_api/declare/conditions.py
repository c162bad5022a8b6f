"""The conditions of a list filter, declared once per list: each filter input field's name and
the kind of condition it puts on the rows.

``Conditions(status=equal(table.c.status), coalition_code=coalition_coded(table.c.coalition_id),
...)`` is the list's filter: called with the given values by name (None, or an unknown name's
absence: not given) it returns the WHERE clauses of those given, in declaration order (all must
hold). An unknown name is a TypeError, as for a function's keyword argument. The kinds:

- ``equal(column, normalize)``: the column is the value (``normalize``d first when given);
- ``member(column)``: the column is one of the values;
- ``at_least(column)`` / ``below(column)``: the column is at least / less than the value;
- ``coalition_coded(column)``: the column (a coalition id) is the coalition with this country
  code, case and surrounding spaces ignored;
- ``linked_to_target(key, link, owner)``: the record owns a row of a link table whose
  ``target_code`` is this SDG target's code;
- ``words(column, lower=...)``: the column contains every word of the value, in any case
  (``ILIKE``, or ``lower(column) LIKE`` with ``lower``);
- any function of the value that returns one clause or a list of them (a filter of its own).

One spec for every reader: a condition that the bulk exports (CSV, SDMX) filter by too is
declared ``exported("indicator", condition)``: the export's query parameter ``indicator`` is
that condition, under that name (``Conditions.exported`` reads values by parameter), so the
GraphQL filter input field and the export parameter of the same meaning cannot give different
clauses. ``Conditions.parameters`` maps each parameter to its condition's name.

The declared entities' filters (the ``Filter`` tag of a field) are such a spec too
(``Entity.conditions``); a list's spec holds them beside its own conditions
(``Conditions(..., **DATASET.conditions.conditions)``), so that each list has one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.models.tables import coalitions
from lnob_api.read.search import ESCAPE, word_patterns

Clauses = ColumnElement[bool] | list[ColumnElement[bool]]
Condition = Callable[[Any], Clauses]


@dataclass(frozen=True, slots=True)
class Exported:
    """A condition the bulk exports filter by too, under their query parameter's name."""

    parameter: str
    condition: Condition

    def __call__(self, value: Any) -> Clauses:
        return self.condition(value)


def exported(parameter: str, condition: Condition) -> Exported:
    """``condition``, which the export query parameter ``parameter`` is too."""
    return Exported(parameter, condition)


class Conditions:
    """A list's filter: its conditions by input name (see the module docstring)."""

    def __init__(self, **conditions: Condition) -> None:
        self.conditions = conditions
        # What a call runs: the conditions themselves (no ``Exported`` frame in between).
        self._calls = {
            n: c.condition if isinstance(c, Exported) else c for n, c in conditions.items()
        }
        # export query parameter -> condition name
        self.parameters = {
            c.parameter: name for name, c in conditions.items() if isinstance(c, Exported)
        }
        # What ``inspect.signature`` reads: its names as keyword-only arguments, as for a
        # filter function (``graphql.passed`` passes a filter input's fields by them).
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in conditions]
        )

    def __call__(self, **values: Any) -> list[ColumnElement[bool]]:
        if not values.keys() <= self._calls.keys():
            unknown = values.keys() - self._calls.keys()
            raise TypeError(f"no such filter: {', '.join(sorted(unknown))}")
        where: list[ColumnElement[bool]] = []
        for name, condition in self._calls.items():
            value = values.get(name)
            if value is None:
                continue
            found = condition(value)
            if isinstance(found, list):
                where.extend(found)
            else:
                where.append(found)
        return where

    def exported(self, values: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        """The clauses of the values given by export query parameter (None: not given), the
        same as those of the conditions they name; an unknown parameter is a TypeError."""
        unknown = values.keys() - self.parameters.keys()
        if unknown:
            raise TypeError(f"no such parameter: {', '.join(sorted(unknown))}")
        return self(**{self.parameters[p]: v for p, v in values.items()})


def equal(column: ColumnElement[Any], normalize: Callable[[Any], Any] | None = None) -> Condition:
    if normalize is None:
        return lambda value: column == value
    return lambda value: column == normalize(value)


def member(column: ColumnElement[Any]) -> Condition:
    return lambda values: column.in_(values)


def at_least(column: ColumnElement[Any]) -> Condition:
    return lambda value: column >= value


def below(column: ColumnElement[Any]) -> Condition:
    return lambda value: column < value


def coalition_coded(column: ColumnElement[Any]) -> Condition:
    """The filter ``coalitionCode``: ``column`` (a coalition id) is that of the coalition with
    this country code (case and surrounding spaces ignored)."""
    return lambda code: column.in_(
        sa.select(coalitions.c.id).where(coalitions.c.code == code.strip().upper())
    )


def linked_to_target(key: ColumnElement[Any], link: sa.Table, owner: str) -> Condition:
    """The filter ``targetCode``: ``key`` (a record's id) owns a row of ``link`` (its ``owner``
    column) whose ``target_code`` is this SDG target's code, case and surrounding spaces
    ignored (codes are stored lower case: ``1.a``)."""
    return lambda code: key.in_(
        sa.select(link.c[owner]).where(link.c.target_code == code.strip().lower())
    )


def words(column: ColumnElement[Any], *, lower: bool = False) -> Condition:
    """Every word of the value is in ``column``, in any case."""
    if lower:
        haystack = sa.func.lower(column)
        return lambda text: [haystack.like(p, escape=ESCAPE) for p in word_patterns(text)]
    return lambda text: [column.ilike(p, escape=ESCAPE) for p in word_patterns(text)]
