"""Entity declarations: each column of an entity once, with tags that say what it is.

A ``Field`` names a model column and says where it appears: on the GraphQL object (or only
for resolvers, ``public=False``), copied into a new version, filterable (and how), exported as
a CSV column, an SDMX attribute, a DCAT property. An ``Entity`` lists its fields in the order
the GraphQL type shows them. The code that used to repeat these lists reads them from here:
``graphql.declared`` builds the object fields and filter inputs, ``dataset.lifecycle`` copies
the ``copied`` fields, the CSV export, SDMX and DCAT take their extra columns from it.

A field's column, its Python type (from the model's ``Mapped[...]`` annotation) and its JSON
shape (``Field.json``) can be read without importing GraphQL: the compiled read path can walk
the same declaration. Visibility and suppression stay where they are (``access.visibility``):
every declared field here is metadata of a row its source already scopes.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cached_property
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.errors import InvalidInput

# equal: one value; member: any of a list; range: from/to; text: words the column contains.
How = Literal["equal", "member", "range", "text"]
MAX_VALUES = 500


@dataclass(frozen=True, slots=True)
class Filter:
    """How a field filters: the name of its GraphQL filter input field and, when the bulk
    exports filter by it too, of their query parameter (comma-separated values)."""

    name: str
    how: How
    description: str
    parameter: str | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """One column of an entity and the places it appears (see the module docstring)."""

    name: str
    description: str | None = None
    public: bool = True
    copied: bool = False
    # Set by create and update mutations (checked by ``check``; a NOT NULL column refuses null).
    editable: bool = False
    filter: Filter | None = None
    # Checks and normalises a value (a filter value, an edit): returns it, or raises ValueError
    # whose message says what is wrong.
    check: Callable[[str], str] | None = None
    csv: str | None = None
    # SDMX attribute (id, name): uncoded, attached to the observation.
    sdmx: tuple[str, str] | None = None
    # DCAT property and how a value becomes its JSON-LD object.
    dcat: tuple[str, Callable[[Any], Any]] | None = None

    def checked(self, value: str, where: str) -> str:
        """``value`` normalised by ``check``; an ``InvalidInput`` naming ``where`` if bad."""
        if self.check is None:
            return value
        try:
            return self.check(value)
        except ValueError as problem:
            raise InvalidInput(where, str(problem), code="INVALID") from None


@dataclass(frozen=True)
class Entity:
    """The declaration of one entity: its model and its fields, in GraphQL order."""

    name: str
    model: type[Any]
    fields: tuple[Field, ...]

    @property
    def table(self) -> sa.Table:
        table = self.model.__table__
        assert isinstance(table, sa.Table)
        return table

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @cached_property
    def types(self) -> dict[str, Any]:
        """Each field's Python type, from the model's ``Mapped[...]`` annotation."""
        hints = typing.get_type_hints(self.model)
        found: dict[str, Any] = {}
        for f in self.fields:
            hint = hints[f.name]
            assert typing.get_origin(hint) is Mapped, f"{self.name}.{f.name} is not a column"
            found[f.name] = typing.get_args(hint)[0]
        return found

    def json(self, name: str) -> str:
        """The JSON shape of a field's value: string, integer, boolean, or string|null..."""
        kind = self.types[name]
        args = set(typing.get_args(kind)) or {kind}
        nullable = type(None) in args
        (base,) = args - {type(None)}
        shape = {bool: "boolean", int: "integer", float: "number"}.get(base, "string")
        if isinstance(base, type) and issubclass(base, (Enum, date, datetime)):
            shape = "string"
        return f"{shape}|null" if nullable else shape

    # --- new versions ---------------------------------------------------------------------

    def copy(self, row: Any) -> dict[str, Any]:
        """The ``copied`` fields of ``row``, for the row of its new version."""
        return {f.name: getattr(row, f.name) for f in self.fields if f.copied}

    # --- edits ----------------------------------------------------------------------------

    @property
    def editable(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.editable)

    def check_edits(self, values: dict[str, Any], problems: list[InvalidInput]) -> None:
        """Check and normalise the declared editable fields among ``values`` (in place); each
        problem names the GraphQL input field."""
        for f in self.editable:
            if f.name not in values:
                continue
            where = _camel(f.name)
            value = values[f.name]
            if value is None:
                if not self.table.c[f.name].nullable:
                    problems.append(InvalidInput(where, "give a value, not null", code="REQUIRED"))
                continue
            try:
                values[f.name] = f.checked(value, where)
            except InvalidInput as problem:
                problems.append(problem)

    # --- filters --------------------------------------------------------------------------

    @property
    def filters(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.filter is not None)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The export query parameters of the declared filters."""
        return tuple(f.filter.parameter for f in self.filters if f.filter and f.filter.parameter)

    def where(
        self,
        values: Mapping[str, Any],
        table: sa.FromClause | None = None,
        *,
        export: bool = False,
    ) -> list[ColumnElement[bool]]:
        """WHERE clauses for the given filter values (None: not given), each value checked.
        Values are keyed by the filter input's field name (an ``InvalidInput`` names
        ``filter.<name>``), or with ``export`` by the query parameter (and names it)."""
        source = self.table if table is None else table
        clauses: list[ColumnElement[bool]] = []
        for f in self.filters:
            assert f.filter is not None
            name = (f.filter.parameter if export else f.filter.name) or ""
            value = values.get(name)
            if not name or value is None:
                continue
            where = name if export else f"filter.{name}"
            column: ColumnElement[Any] = source.c[f.name]
            if f.filter.how == "member" or export:  # a parameter: comma-separated values
                items = list(value)
                if len(items) > MAX_VALUES:
                    raise InvalidInput(where, f"at most {MAX_VALUES} values", code="TOO_LARGE")
                checked = [f.checked(str(v), f"{where}.{i}") for i, v in enumerate(items)]
                clauses.append(column.in_(checked))
            elif f.filter.how == "equal":
                clauses.append(column == f.checked(str(value), where))
            else:  # pragma: no cover - no declared field filters so yet
                raise NotImplementedError(f.filter.how)
        return clauses

    # --- exports --------------------------------------------------------------------------

    @property
    def csv(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.csv is not None)

    @property
    def sdmx(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.sdmx is not None)

    @property
    def dcat(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.dcat is not None)

    def dcat_properties(self, row: Any) -> dict[str, Any]:
        """The DCAT properties of ``row`` (one with a null value is left out)."""
        found: dict[str, Any] = {}
        for f in self.dcat:
            assert f.dcat is not None
            value = getattr(row, f.name)
            if value is not None:
                found[f.dcat[0]] = f.dcat[1](value)
        return found

    def columns(self, fields: Sequence[Field], table: sa.FromClause) -> list[ColumnElement[Any]]:
        return [table.c[f.name] for f in fields]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
