"""The conditions of a list filter, declared once per list: each filter input field's name and
the kind of condition it puts on the rows.

``Conditions(status=equal(table.c.status), coalition_code=coalition_coded(table.c.coalition_id),
...)`` is the list's filter: called with the given values by name (None, or an unknown name's
absence: not given) it returns the WHERE clauses of those given, in declaration order (all must
hold). An unknown name is a TypeError, as for a function's keyword argument. The kinds:

- ``equal(column, normalize)``: the column is the value (``normalize``d first when given);
- ``member(column)``: the column is one of the values;
- ``at_least(column)`` / ``at_most(column)`` / ``below(column)``: the column is at least / at
  most / less than the value (``normalize``d first when given, as ``member``'s list);
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

Values without clauses (issue 12: a cached plan's refresh needs only its parameters' values):
each kind above is ``Valued``: beside its clauses it says, from the value alone, what they are
(a hashable structure, equal for clauses that differ only in their parameters' values) and
their bind parameters' values in traversal order. A custom function says it with
``@valued(values)`` (``one``: a parameter of the value; ``listed``: an expanding one of the
list); one without keeps building its clauses. ``Conditions.values(given)`` is
the whole filter's (structure, values); inside ``deferred(...)`` (the compiled read path's plan
refresh), a call returns a ``Deferred``: those values, its clauses built only when read.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast, overload

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from lnob_api.models.tables import coalitions
from lnob_api.read.search import ESCAPE, word_patterns

Clauses = ColumnElement[bool] | list[ColumnElement[bool]]
Condition = Callable[[Any], Clauses]
# What a condition's clauses are whatever the value, and their bind parameters' values in
# traversal order (``graphql.compiled.params.binds_of``); None: not known without building them.
Values = tuple[Hashable, list[Any]] | None


@dataclass(frozen=True, slots=True)
class Valued:
    """A condition that also gives its clauses' structure and parameter values (``Values``)
    without building them."""

    clauses: Condition
    values: Callable[[Any], Values]

    def __call__(self, value: Any) -> Clauses:
        return self.clauses(value)


def valued(values: Callable[[Any], Values]) -> Callable[[Condition], Valued]:
    """``@valued(values)`` on a custom condition: ``values(value)`` is its ``Values``."""
    return lambda clauses: Valued(clauses, values)


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
        self._values = {
            n: c.values if isinstance(c, Valued) else None for n, c in self._calls.items()
        }

    def __call__(self, **values: Any) -> list[ColumnElement[bool]]:
        if not values.keys() <= self._calls.keys():
            unknown = values.keys() - self._calls.keys()
            raise TypeError(f"no such filter: {', '.join(sorted(unknown))}")
        if _DEFERRING.get():
            found = self.values(values)
            if found is not None:
                # Read as a sequence only (``Deferred``): the plan refresh's select functions
                # hand it on in their ``Slice``.
                return cast(list[ColumnElement[bool]], Deferred(self, values, found))
        return self.build(values)

    def build(self, values: Mapping[str, Any]) -> Where:
        """The clauses of the given values (what a call returns outside ``deferred``)."""
        token = _DEFERRING.set(False)  # a condition may call a filter of its own
        try:
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
        finally:
            _DEFERRING.reset(token)
        return Where(where, self, values)

    def values(self, given: Mapping[str, Any]) -> Values:
        """What the clauses of the given values are and their parameters' values, without
        building them; None when a given condition is not ``Valued`` or cannot say."""
        shapes: list[tuple[str, Hashable]] = []
        out: list[Any] = []
        for name, of in self._values.items():
            value = given.get(name)
            if value is None:
                continue
            found = of(value) if of is not None else None
            if found is None:
                return None
            shapes.append((name, found[0]))
            out.extend(found[1])
        return (self, tuple(shapes)), out

    def exported(self, values: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        """The clauses of the values given by export query parameter (None: not given), the
        same as those of the conditions they name; an unknown parameter is a TypeError."""
        unknown = values.keys() - self.parameters.keys()
        if unknown:
            raise TypeError(f"no such parameter: {', '.join(sorted(unknown))}")
        return self(**{self.parameters[p]: v for p, v in values.items()})


# Inside ``deferred``: filter calls return ``Deferred`` values (see the module docstring).
_DEFERRING: ContextVar[bool] = ContextVar("deferring", default=False)


def deferred(run: Callable[[Any], Any], arg: Any) -> Any:
    """``run(arg)`` with every filter call in it a ``Deferred`` where its conditions can say
    their values (this thread's and task's calls only: a context variable)."""
    token = _DEFERRING.set(True)
    try:
        return run(arg)
    finally:
        _DEFERRING.reset(token)


class Where(list[ColumnElement[bool]]):
    """A filter's clauses, which remember the values they were built from."""

    __slots__ = ("_given", "_ids", "_spec")

    def __init__(
        self, clauses: list[ColumnElement[bool]], spec: Conditions, given: Mapping[str, Any]
    ) -> None:
        super().__init__(clauses)
        self._spec, self._given = spec, given
        self._ids = tuple(map(id, clauses))

    def declared(self) -> Values:
        """``Conditions.values`` of the values they were built from (None once changed)."""
        if tuple(map(id, self)) != self._ids:
            return None
        return self._spec.values(self._given)


class Deferred(Sequence[ColumnElement[bool]]):
    """A filter's ``Values``, its clauses built when first read."""

    def __init__(self, spec: Conditions, given: Mapping[str, Any], found: Values) -> None:
        self._spec, self._given, self._found = spec, given, found

    def declared(self) -> Values:
        return self._found

    @cached_property
    def built(self) -> list[ColumnElement[bool]]:
        return self._spec.build(self._given)

    @overload
    def __getitem__(self, index: int) -> ColumnElement[bool]: ...

    @overload
    def __getitem__(self, index: slice) -> list[ColumnElement[bool]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self.built[index]

    def __len__(self) -> int:
        return len(self.built)

    def __iter__(self) -> Iterator[ColumnElement[bool]]:
        return iter(self.built)

    def __add__(self, other: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
        return [*self.built, *other]

    def __radd__(self, other: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
        return [*other, *self.built]


def one(value: Any, times: int = 1) -> Values:
    """One parameter (``times`` over: a clause that compares it twice), whose type the clause
    depends on (SQLAlchemy types a parameter by its value where the column's type does not
    fit it); None and booleans compare as SQL constants: not said."""
    if value is None or isinstance(value, bool):
        return None
    return cast(Hashable, type(value)), [value] * times


def listed(values: Any, times: int = 1) -> Values:
    """One expanding parameter (``times`` over): its length (and its items' type) is part of
    what the clause is."""
    items = list(values)
    return (len(items), type(items[0]) if items else None), [items] * times


def _kind(
    build: Callable[[Any], Clauses],
    said: Callable[[Any], Values],
    normalize: Callable[[Any], Any] | None,
) -> Valued:
    """A condition of the value (``normalize``d first when given: checked, cleaned)."""
    if normalize is None:
        return Valued(build, said)
    return Valued(lambda value: build(normalize(value)), lambda value: said(normalize(value)))


def equal(column: ColumnElement[Any], normalize: Callable[[Any], Any] | None = None) -> Condition:
    return _kind(lambda value: column == value, one, normalize)


def member(column: ColumnElement[Any], normalize: Callable[[Any], Any] | None = None) -> Condition:
    """The column is one of the values (``normalize`` takes the list, gives the list)."""
    return _kind(lambda values: column.in_(values), listed, normalize)


def at_least(
    column: ColumnElement[Any], normalize: Callable[[Any], Any] | None = None
) -> Condition:
    return _kind(lambda value: column >= value, one, normalize)


def at_most(column: ColumnElement[Any], normalize: Callable[[Any], Any] | None = None) -> Condition:
    return _kind(lambda value: column <= value, one, normalize)


def below(column: ColumnElement[Any]) -> Condition:
    return _kind(lambda value: column < value, one, None)


def coalition_coded(column: ColumnElement[Any]) -> Condition:
    """The filter ``coalitionCode``: ``column`` (a coalition id) is that of the coalition with
    this country code (case and surrounding spaces ignored)."""
    return Valued(
        lambda code: column.in_(
            sa.select(coalitions.c.id).where(coalitions.c.code == code.strip().upper())
        ),
        lambda code: ((), [code.strip().upper()]),
    )


def linked_to_target(key: ColumnElement[Any], link: sa.Table, owner: str) -> Condition:
    """The filter ``targetCode``: ``key`` (a record's id) owns a row of ``link`` (its ``owner``
    column) whose ``target_code`` is this SDG target's code, case and surrounding spaces
    ignored (codes are stored lower case: ``1.a``)."""
    return Valued(
        lambda code: key.in_(
            sa.select(link.c[owner]).where(link.c.target_code == code.strip().lower())
        ),
        lambda code: ((), [code.strip().lower()]),
    )


def words(column: ColumnElement[Any], *, lower: bool = False) -> Condition:
    """Every word of the value is in ``column``, in any case."""
    # The column's own parameters (`` || ' ' || ``) come after each pattern's (breadth first).
    own = [e.value for e in visitors.iterate(column) if isinstance(e, BindParameter)]

    def values(text: Any) -> Values:
        patterns = word_patterns(text)
        if own and not lower:
            return None
        return len(patterns), [v for p in patterns for v in (p, *own)]

    if lower:
        haystack = sa.func.lower(column)
        return Valued(
            lambda text: [haystack.like(p, escape=ESCAPE) for p in word_patterns(text)], values
        )
    return Valued(
        lambda text: [column.ilike(p, escape=ESCAPE) for p in word_patterns(text)], values
    )
