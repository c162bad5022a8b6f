"""Entity declarations: each column of an entity once, with tags that say what it is.

A ``Field`` names a model column and says where it appears: on the GraphQL object (or only for
resolvers, ``public=False``), copied into a new version, set by the create and update mutations
(``editable``: an ``Edit`` with its limit, whether create requires it, its input name and
descriptions), filterable (``Filter``: equality, membership, range or words), exported as a CSV
column, an SDMX attribute or dimension (``Dimension``), a DCAT property. An ``Entity`` lists its
fields in the order the GraphQL type shows them (``inputs``: the names its inputs show first,
when their order differs). The code that used to repeat these lists reads them from here:
``graphql.declared`` builds the object fields, the create/update inputs and the filter inputs,
``Entity.check_edits`` is the one check of an edit's values (null on a NOT NULL column, the
length limit, the field's ``check``), ``Entity.names`` what a service stores of them (so a
declared editable field is stored: tests/declare/test_editable_round_trip.py),
``Entity.conditions`` the filter spec the field tags make (``declare.conditions``: GraphQL and
the bulk exports read it), ``dataset.lifecycle`` copies the ``copied`` fields, the CSV export,
SDMX and DCAT take their extra columns from it.

Reading a declaration (what the compiled read path walks): ``Entity.table.c[field.name]`` is a
field's column, ``Entity.types[name]`` its Python type and ``Entity.json(name)`` its JSON
shape; ``Field.public`` says whether the GraphQL object shows it, ``Field.localized`` the
column of its translations when it is localized.
Relations stay declared in ``read.relations`` (the GraphQL type names the relation each
nested field loads).

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

from lnob_api.declare.conditions import (
    Condition,
    Conditions,
    at_least,
    at_most,
    equal,
    exported,
    member,
    words,
)
from lnob_api.errors import InvalidInput

# equal: one value; member: any of a list; range: from/to (both ends included); text: words the
# column contains (each of them, any case).
How = Literal["equal", "member", "range", "text"]
MAX_VALUES = 500
# The longest free text (descriptions) a create or update takes.
DESCRIPTION_MAX = 20_000


@dataclass(frozen=True, slots=True)
class Filter:
    """How a field filters: the name of its GraphQL filter input field and, when the bulk
    exports filter by it too, of their query parameter (comma-separated values)."""

    name: str
    how: How
    description: str
    parameter: str | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        """The filter input's field names (Python): ``name``, or for a range its two ends."""
        if self.how == "range":
            return (f"{self.name}_from", f"{self.name}_to")
        return (self.name,)


@dataclass(frozen=True, slots=True)
class Dimension:
    """An SDMX dimension of the series key: its place in the key (from 0), id, name, code list
    and the label of its column in the SDMX modules' data rows."""

    position: int
    id: str
    name: str
    codelist: str
    label: str


@dataclass(frozen=True, slots=True)
class Edit:
    """How the create and update mutations set a field (``Field(..., editable=Edit(...))``;
    ``editable=True`` is ``Edit()``).

    ``limit``: at most this many characters (TOO_LONG). ``required``: whether a create must
    give it; by default when its column is NOT NULL without a default. ``create``/``update``:
    whether that input has it (neither: another mutation sets it, an access request's decision
    note, and checks the limit). ``created``/``updated``: the field's description in that input
    (often its default). ``name``: the input field's name when it is not the column's
    (``country`` for ``country_code``); ``kind``: its GraphQL type when not the column's.
    ``admins``: the owning coalition's own admins may change it, where the entity's other
    fields need a partnership admin (a coalition's protection settings). ``link``: the GraphQL
    type of the row it names (the input takes that row's global id, the service its key).
    ``within``: the nested input that sets it with its siblings, as a whole (``authority``:
    ``authority { name level organisation }``; ``name`` is then its name there). ``default``:
    the create's default when its input shows it (``T! = default``). ``given``: False for a
    column the service computes from another field (a period's bounds): stored, not an input."""

    limit: int | None = None
    required: bool | None = None
    create: bool = True
    update: bool = True
    created: str | None = None
    updated: str | None = None
    name: str | None = None
    kind: Any = None
    admins: bool = False
    link: str | None = None
    within: str | None = None
    default: Any = None
    given: bool = True


@dataclass(frozen=True, slots=True)
class Field:
    """One column of an entity and the places it appears (see the module docstring)."""

    name: str
    description: str | None = None
    public: bool = True
    copied: bool = False
    # Set by create and update mutations (see ``Edit``; checked by ``Entity.check_edits``).
    editable: bool | Edit = False
    filter: Filter | None = None
    # Checks and normalises a value (a filter value, an edit): returns it, or raises ValueError
    # whose message says what is wrong.
    check: Callable[[str], str] | None = None
    csv: str | None = None
    # SDMX attribute (id, name): uncoded, attached to the observation.
    sdmx: tuple[str, str] | None = None
    # SDMX dimension of the series key (coded, at its place in the key).
    dimension: Dimension | None = None
    # DCAT property and how a value becomes its JSON-LD object.
    dcat: tuple[str, Callable[[Any], Any]] | None = None
    # The column of its translations (JSON: language -> text) when the field is localized: it
    # answers in the language asked for, else the request's, else the column's own (English).
    localized: str | None = None
    # The GraphQL object field's name when it is not the column's (``group`` for ``group_code``).
    shown_as: str | None = None

    @property
    def edit(self) -> Edit | None:
        """How the mutations set it; None when they do not."""
        if isinstance(self.editable, Edit):
            return self.editable
        return Edit() if self.editable else None

    @property
    def input_name(self) -> str:
        """The Python name of the field in the create and update inputs."""
        edit = self.edit
        return edit.name if edit is not None and edit.name else self.name

    @property
    def input_path(self) -> tuple[str, ...]:
        """Its input field's Python names from the input: ``(within, name)`` when nested."""
        edit = self.edit
        within = edit.within if edit is not None else None
        return (within, self.input_name) if within else (self.input_name,)

    @property
    def where(self) -> str:
        """What a problem with its value names: its input path in GraphQL names (``title``,
        ``authority.name``)."""
        return ".".join(_camel(name) for name in self.input_path)

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
    # The editable fields the inputs show first, in this order (the rest follow in ``fields``
    # order): where an input's order differs from the type's (slug after the name...).
    inputs: tuple[str, ...] = ()
    # What one is: the GraphQL type's description.
    description: str = ""

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
        """The fields the mutations set, in the inputs' order (``inputs`` first)."""
        edits = [f for f in self.fields if f.edit is not None]
        first = [next(f for f in edits if f.name == name) for name in self.inputs]
        return (*first, *(f for f in edits if f.name not in self.inputs))

    def edits(self, *, create: bool) -> tuple[Field, ...]:
        """The fields of the create (or the update) input, in its order."""
        return tuple(f for f in self._stored(create) if f.edit and f.edit.given)

    def _stored(self, create: bool) -> tuple[Field, ...]:
        return tuple(
            f for f in self.editable if f.edit and (f.edit.create if create else f.edit.update)
        )

    def names(self, *, create: bool) -> frozenset[str]:
        """The column names a create (or an update) stores of the values it is given: its
        input's fields and those the service computes from them (``Edit.given``)."""
        return frozenset(f.name for f in self._stored(create))

    def required(self, field: Field) -> bool:
        """Whether a create must give ``field``: as declared, else when its column is NOT NULL
        without a default."""
        edit = field.edit
        if edit is not None and edit.required is not None:
            return edit.required
        column = self.table.c[field.name]
        return not column.nullable and column.default is None and column.server_default is None

    @property
    def limits(self) -> dict[str, int]:
        """Each limited field's most characters, by column name."""
        return {f.name: f.edit.limit for f in self.editable if f.edit and f.edit.limit}

    def check_edits(self, values: dict[str, Any], problems: list[InvalidInput]) -> None:
        """Check and normalise the declared editable fields among ``values`` (by column name,
        in place): null on a NOT NULL column (REQUIRED), a text over the limit (TOO_LONG), the
        field's ``check``. Each problem names the GraphQL input field; a field that already
        has one in ``problems`` (a service's own check of it) is left as it is."""
        known = {problem.field for problem in problems}
        for f in self.editable:
            where = f.where
            if f.name not in values or where in known:
                continue
            value = values[f.name]
            if value is None:
                if not self.table.c[f.name].nullable:
                    problems.append(InvalidInput(where, "give a value, not null", code="REQUIRED"))
                continue
            limit = f.edit.limit if f.edit else None
            if limit is not None and isinstance(value, str) and len(value) > limit:
                problems.append(InvalidInput(where, f"at most {limit} characters", code="TOO_LONG"))
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

    @cached_property
    def conditions(self) -> Conditions:
        """The declared filters as a list filter spec (``declare.conditions``), by the filter
        input's field names (a range's two ends: ``<name>_from``, ``<name>_to``), each value
        checked (an ``InvalidInput`` names ``filter.<name>``); a filter the bulk exports read
        too is ``exported`` under its query parameter. A list filter adds these to its own
        conditions (``Conditions(**own, **ENTITY.conditions.conditions)``) so that GraphQL and
        the exports read one spec."""
        found: dict[str, Condition] = {}
        for f in self.filters:
            assert f.filter is not None
            column: ColumnElement[Any] = self.table.c[f.name]
            spec = f.filter
            if spec.how == "range":
                found[f"{spec.name}_from"] = _at_least(f, column, f"filter.{spec.name}From")
                found[f"{spec.name}_to"] = _at_most(f, column, f"filter.{spec.name}To")
                continue
            if spec.how == "member":
                condition = _member(f, column, f"filter.{spec.name}")
            elif spec.how == "equal":
                condition = _equal(f, column, f"filter.{spec.name}")
            else:  # text: every word, in any case
                condition = words(column, lower=True)
            # The exports' parameters take comma-separated values: only a member filter means
            # the same there as in GraphQL.
            assert spec.parameter is None or spec.how == "member", f"{self.name}.{f.name}"
            found[spec.name] = (
                condition if spec.parameter is None else exported(spec.parameter, condition)
            )
        return Conditions(**found)

    def where(
        self, values: Mapping[str, Any], *, export: bool = False
    ) -> list[ColumnElement[bool]]:
        """WHERE clauses for the given filter values (None: not given): ``conditions`` keyed
        by the filter input's field name, or with ``export`` by the query parameter. A range's
        value is its (from, to) pair, either end None; a text's, the words to find."""
        if export:
            return self.conditions.exported(values)
        given: dict[str, Any] = {}
        for f in self.filters:
            assert f.filter is not None
            value = values.get(f.filter.name)
            if f.filter.how == "range":
                low, high = value if value is not None else (None, None)
                given[f"{f.filter.name}_from"], given[f"{f.filter.name}_to"] = low, high
            else:
                given[f.filter.name] = value
        return self.conditions(**given)

    # --- exports --------------------------------------------------------------------------

    @property
    def csv(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.csv is not None)

    @property
    def sdmx(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.sdmx is not None)

    @property
    def dimensions(self) -> tuple[Field, ...]:
        """The fields that are SDMX dimensions, in the key's order."""
        found = [f for f in self.fields if f.dimension is not None]
        return tuple(sorted(found, key=lambda f: f.dimension.position if f.dimension else 0))

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


def _checked(field: Field, value: Any, where: str) -> Any:
    """A filter value through the field's ``check`` (which takes text) when it has one."""
    return field.checked(str(value), where) if field.check is not None else value


def _member(field: Field, column: ColumnElement[Any], where: str) -> Condition:
    def checked(values: Any) -> list[Any]:
        items = list(values)
        if len(items) > MAX_VALUES:
            raise InvalidInput(where, f"at most {MAX_VALUES} values", code="TOO_LARGE")
        return [field.checked(str(v), f"{where}.{i}") for i, v in enumerate(items)]

    return member(column, checked)


def _equal(field: Field, column: ColumnElement[Any], where: str) -> Condition:
    return equal(column, lambda value: _checked(field, value, where))


def _at_least(field: Field, column: ColumnElement[Any], where: str) -> Condition:
    return at_least(column, lambda value: _checked(field, value, where))


def _at_most(field: Field, column: ColumnElement[Any], where: str) -> Condition:
    return at_most(column, lambda value: _checked(field, value, where))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
