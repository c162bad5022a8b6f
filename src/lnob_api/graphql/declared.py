"""GraphQL from entity declarations (``lnob_api.declare``): object fields, inputs, filters.

Each decorator goes below ``@strawberry.type``/``@strawberry.input`` (it runs first) and gives
the class the declared fields it does not write itself:

- ``@declared(ENTITY)``: the object type's fields, in declaration order, before those the class
  writes (the non-column fields and resolvers); ``strawberry.Private`` when not public. A
  localized field keeps its column (English) private under its name and answers through a
  resolver with a ``lang`` argument (``localized_<name>`` in Python, the field's name in
  GraphQL).
- ``@create_input(ENTITY)``: the create input's fields (``Edit.create``), in the entity's input
  order: required (``T!``) when ``Entity.required`` says so, else ``T = null``; described by
  ``Edit.created``; named ``Edit.name`` when not the column (``country`` for
  ``country_code``), typed ``Edit.kind`` when not the column's type.
- ``@update_input(ENTITY)``: ``id: ID!`` and (when the table has one) ``rowVersion: Int!``
  first, then the update input's fields (``Edit.update``), all optional and ``UNSET`` when
  omitted (``T``, no default), described by ``Edit.updated``.
- ``@filters(ENTITY)``: the filter input's declared conditions, after its own: ``T = null``
  for equality and text, ``[T!] = null`` for membership, ``<name>From``/``<name>To`` for a
  range.
- ``@inputs(ENTITY)``: every editable field, ``UNSET`` when omitted, after the input's own.

A link (``Edit.link``) is an ``ID`` in the inputs and its row's key for the service; the fields
one nested input sets (``Edit.within``) are that input's (``nested_input``), which the create
and update inputs show where the first of them stands (``nested={"authority": ...}``).

Where the class's own fields go: in a create input before the declared ones, in an update
input after them (the links it changes: ``targets``, ``groups``...); a
``declared: ClassVar[Declared]`` line in the class puts the declared ones there instead.

Reading an input back (what a mutation hands its service): ``created(ENTITY, input)`` is the
``{column: value}`` of the declared fields a create was given (omitted optional ones left out,
so the column's default applies); ``updated(ENTITY, input)`` gives the row's key, the
``rowVersion`` sent and the ``{column: value}`` of the fields sent (null included: "clear it").
The values are checked by the service with ``Entity.check_edits`` (limits, null on NOT NULL,
the field's ``check``), in the same transaction as the write. ``declared_where`` turns a filter
input's declared fields into WHERE clauses.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy.sql.elements import ColumnElement
from strawberry.permission import BasePermission

from lnob_api.declare import Entity, Field
from lnob_api.graphql import enums as _enums  # noqa: F401 - the model enums as GraphQL enums
from lnob_api.graphql.context import Info
from lnob_api.graphql.i18n import localized
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import Runner, calls, payload
from lnob_api.graphql.node import Node, entity
from lnob_api.read.relations import Source

T = TypeVar("T", bound=type)
N = TypeVar("N", bound=Node)
_PRIVATE: Any = strawberry.Private
ROW_VERSION_SENT = "The rowVersion you read."
LANG_HELP = "Language code (en, fr, es, ne, sw); default from Accept-Language, else English."
Lang = Annotated[str | None, strawberry.argument(description=LANG_HELP)]


# The key of a localized field's ``metadata``: (its English column, its translations column),
# what the compiled read path (``graphql.compiled.fields``) reads instead of the resolver.
LOCALIZED = "localized"


class Declared:
    """Marks where the declared fields go among an input's own: ``declared: ClassVar[Declared]``
    (the own fields after it follow the declared ones)."""


# A generated field: its name, its annotation and its default (None: no default).
_Added = tuple[str, Any, Any]


def _is_marker(annotation: Any) -> bool:
    return "Declared" in str(annotation)


def _add(
    fields: Callable[[dict[str, Any]], list[_Added]],
    *,
    first: bool,
    leading: Callable[[dict[str, Any]], list[_Added]] | None = None,
) -> Any:
    """A class decorator that gives the class the ``fields`` it does not write itself (they see
    its own annotations): before its own fields (``first``) or after them, or where its
    ``Declared`` marker stands. ``leading`` fields go before everything (an update's id)."""

    def apply(cls: T) -> T:
        own = dict(inspect.get_annotations(cls))
        names = list(own)
        marker = next((n for n in names if _is_marker(own[n])), None)
        if marker is not None:
            del own[marker]
            if marker in cls.__dict__:
                delattr(cls, marker)
        before = names[: names.index(marker)] if marker else ([] if first else names)
        after = names[names.index(marker) + 1 :] if marker else (names if first else [])
        annotations: dict[str, Any] = {}

        def put(added: list[_Added]) -> None:
            for name, annotation, default in added:
                annotations[name] = annotation
                if default is not None:
                    setattr(cls, name, default)

        if leading is not None:
            put(leading(own))
        annotations.update({n: own[n] for n in before})
        put(fields(own))
        annotations.update({n: own[n] for n in after})
        cls.__annotations__ = annotations
        return cls

    return apply


def declared(entity: Entity) -> Any:
    """The entity's fields, before the type's own (non-column fields, resolvers)."""

    def fields(own: dict[str, Any]) -> list[_Added]:
        found: list[_Added] = []
        for f in entity.fields:
            if f.name in own:
                continue
            kind = entity.types[f.name]
            if f.localized is not None:
                found.append((f.name, _PRIVATE[kind], None))
                resolver = _localizer(f.name, f.localized)
                shown = strawberry.field(
                    resolver=resolver,
                    name=_camel(f.name),
                    description=f.description,
                    metadata={LOCALIZED: (f.name, f.localized)},
                )
                found.append((f"localized_{f.name}", kind, shown))
                continue
            named = f.public and (f.description or f.shown_as)
            found.append(
                (
                    f.name,
                    kind if f.public else _PRIVATE[kind],
                    strawberry.field(name=f.shown_as, description=f.description) if named else None,
                )
            )
        return found

    return _add(fields, first=True)


def declared_node(source: Source, entity_: Entity) -> Callable[[type[N]], type[N]]:
    """The Node type of a declared entity over the rows of ``source``, in one decorator:
    ``@entity(source)`` over ``@strawberry.type(description=entity_.description)`` over
    ``@declared(entity_)``. A key the entity shows (a code) is parsed as that field's type; a
    key it does not show (``id``) is an integer, the type's ``pk`` (not a GraphQL field)."""

    def apply(cls: type[N]) -> type[N]:
        if source.key in {f.name for f in entity_.fields}:
            parse_key = _base(entity_.types[source.key])
        else:
            parse_key = int
            cls.__annotations__ = {"pk": strawberry.Private[int], **inspect.get_annotations(cls)}
        typed = strawberry.type(declared(entity_)(cls), description=entity_.description)
        return entity(source, parse_key)(typed)

    return apply


def _localizer(name: str, translations: str) -> Callable[..., str]:
    """The resolver of a localized field: its translation in ``lang`` (else the request's
    language, from Accept-Language), else the column's own text."""

    def resolve(root: Any, info: Info, lang: Lang = None) -> str:
        chosen = (lang or info.context.language).lower()
        return localized(getattr(root, name), getattr(root, translations), chosen)

    return resolve


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _input_kind(entity: Entity, f: Field) -> Any:
    edit = f.edit
    if edit is not None and edit.link is not None:
        return strawberry.ID
    return edit.kind if edit is not None and edit.kind is not None else _base(entity.types[f.name])


def _own(f: Field, own: dict[str, Any]) -> bool:
    """Whether the input class writes ``f`` itself (or the nested input that holds it)."""
    within = f.edit.within if f.edit is not None else None
    return (within or f.input_name) in own


# The nested inputs of an entity's create/update inputs: ``Edit.within`` -> its input type.
Nested = dict[str, type]


def _grouped(
    entity: Entity,
    fields: tuple[Field, ...],
    nested: Nested | None,
    one: Callable[[Field], _Added],
    group: Callable[[str, type, bool], _Added],
) -> list[_Added]:
    """An input's generated fields: ``one(field)`` for each of ``fields``, and for the fields
    set through a nested input, ``group(name, its type, required)`` once, where the first of
    them stands."""
    found: list[_Added] = []
    for f in fields:
        within = f.edit.within if f.edit is not None else None
        if within is None:
            found.append(one(f))
        elif within not in {name for name, _, _ in found}:
            assert nested is not None and within in nested, f"{entity.name}: no input {within}"
            members = [m for m in fields if m.edit is not None and m.edit.within == within]
            found.append(group(within, nested[within], any(map(entity.required, members))))
    return found


def _create_field(entity: Entity, f: Field) -> _Added:
    """A create input's field: ``T!`` when required, ``T! = default`` with a default, else
    ``T = null``; described by ``Edit.created``."""
    assert f.edit is not None
    kind = _input_kind(entity, f)
    description = f.edit.created
    if f.edit.default is not None:
        return (
            f.input_name,
            kind,
            strawberry.field(default=f.edit.default, description=description),
        )
    if entity.required(f):
        return (
            f.input_name,
            kind,
            strawberry.field(description=description) if description else None,
        )
    return (f.input_name, kind | None, strawberry.field(default=None, description=description))


def create_input(entity: Entity, nested: Nested | None = None) -> Any:
    """The create input's declared fields (see the module docstring); ``nested``: the input
    type of each ``Edit.within`` (:func:`nested_input`)."""

    def fields(own: dict[str, Any]) -> list[_Added]:
        edits = tuple(f for f in entity.edits(create=True) if not _own(f, own))
        return _grouped(
            entity,
            edits,
            nested,
            lambda f: _create_field(entity, f),
            lambda name, kind, required: (
                (name, kind, None)
                if required
                else (name, kind | None, strawberry.field(default=None))
            ),
        )

    return _add(fields, first=False)


def nested_input(entity: Entity, within: str, name: str, description: str) -> Any:
    """The input type ``name`` of the fields the create and update inputs set through their
    nested input ``within`` (``Edit.within``), as a create input shows them."""
    members = [f for f in entity.editable if f.edit is not None and f.edit.within == within]
    cls = type(name, (), {})
    cls.__annotations__ = {}
    for f in members:
        field_name, kind, default = _create_field(entity, f)
        cls.__annotations__[field_name] = kind
        if default is not None:
            setattr(cls, field_name, default)
    return strawberry.input(cls, name=name, description=description)


def update_input(entity: Entity, nested: Nested | None = None) -> Any:
    """``id``, ``rowVersion`` and the update input's declared fields (module docstring)."""

    def leading(own: dict[str, Any]) -> list[_Added]:
        found: list[_Added] = []
        if "id" not in own:
            found.append(("id", strawberry.ID, None))
        if "row_version" in entity.table.c and "row_version" not in own:
            found.append(("row_version", int, strawberry.field(description=ROW_VERSION_SENT)))
        return found

    def fields(own: dict[str, Any]) -> list[_Added]:
        unset = strawberry.UNSET
        edits = tuple(f for f in entity.edits(create=False) if not _own(f, own))
        return _grouped(
            entity,
            edits,
            nested,
            lambda f: (
                f.input_name,
                _input_kind(entity, f) | None,
                strawberry.field(default=unset, description=f.edit.updated if f.edit else None),
            ),
            lambda name, kind, _required: (name, kind | None, strawberry.field(default=unset)),
        )

    return _add(fields, first=True, leading=leading)


def filters(entity: Entity) -> Any:
    """The entity's declared filters, after the filter input's own conditions."""

    def fields(own: dict[str, Any]) -> list[_Added]:
        found: list[_Added] = []
        for f in entity.filters:
            assert f.filter is not None
            base = _base(entity.types[f.name])
            kind = list[base] | None if f.filter.how == "member" else base | None  # type: ignore[valid-type]
            for name in f.filter.inputs:
                if name in own:
                    continue
                # an empty description: none (the field shows no description string)
                shown = f.filter.description or None
                found.append((name, kind, strawberry.field(default=None, description=shown)))
        return found

    return _add(fields, first=False)


def inputs(entity: Entity) -> Any:
    """The declared editable fields, after the input's own (omitted: left as it is, or the
    column's default on create)."""

    def fields(own: dict[str, Any]) -> list[_Added]:
        unset = strawberry.UNSET
        return [
            (
                f.input_name,
                _input_kind(entity, f) | None,
                strawberry.field(default=unset, description=f.description),
            )
            for f in entity.editable
            if f.input_name not in own
        ]

    return _add(fields, first=False)


def _base(kind: Any) -> Any:
    """``kind`` without its ``| None``."""
    return next(a for a in getattr(kind, "__args__", (kind,)) if a is not type(None))


def _given(f: Field, given: object, missing: Any) -> Any:
    """What an input gave of ``f`` (``missing`` when omitted): through its nested input when
    it has one (a nested input given null: null), a link's global id as the row's key."""
    edit = f.edit
    holder = given
    if edit is not None and edit.within is not None:
        holder = getattr(given, edit.within, missing)
        if holder is missing or holder is None:
            return holder
    value = getattr(holder, f.input_name, missing)
    if edit is not None and edit.link is not None and value is not missing and value is not None:
        return pk_of(value, edit.link, f.where)
    return value


def created(
    entity: Entity, given: object, *, every: bool = False, by_input: bool = False
) -> dict[str, Any]:
    """The ``{column: value}`` of the declared fields a create input was given: a required one
    always, an optional one unless omitted (null), so that its column's default applies
    (``every``: omitted ones too, as None). ``by_input``: keyed by the input field's name, for a
    service that takes them as keyword arguments. A link is the key of the row it names."""
    found: dict[str, Any] = {}
    for f in entity.edits(create=True):
        value = _given(f, given, None)
        if value is not None or every or entity.required(f):
            found[f.input_name if by_input else f.name] = value
    return found


@dataclass(frozen=True, slots=True)
class Update:
    """What an update input asks: the row (its key), the rowVersion read, the changed fields."""

    pk: int
    row_version: int
    fields: dict[str, Any]


def updated(entity: Entity, given: object, *, by_input: bool = False) -> Update:
    """The row an update input names (INVALID_ID on ``id`` when it is not one of the entity's
    ids), the ``rowVersion`` it sent and the ``{column: value}`` of the fields it sent
    (``by_input``: keyed by the input field's name)."""
    pk = pk_of(getattr(given, "id"), entity.name, "id")  # noqa: B009 - generated field
    return Update(pk, getattr(given, "row_version", 0), edited(entity, given, by_input=by_input))


def edited(entity: Entity, given: object, *, by_input: bool = False) -> dict[str, Any]:
    """The ``{column: value}`` of the declared fields an update input sent (``by_input``:
    keyed by the input field's name); null included (a nested input sent as null: each of its
    fields), omitted ones left out."""
    unset = strawberry.UNSET
    return {
        (f.input_name if by_input else f.name): value
        for f in entity.edits(create=False)
        if (value := _given(f, given, unset)) is not unset
    }


def declared_where(entity: Entity, given: object | None) -> list[ColumnElement[bool]]:
    """WHERE clauses for the declared filter fields of a filter input (checked values)."""
    if given is None:
        return []
    values: dict[str, Any] = {}
    for f in entity.filters:
        assert f.filter is not None
        ends = [getattr(given, name, None) for name in f.filter.inputs]
        if f.filter.how == "range":
            values[f.filter.name] = None if ends == [None, None] else tuple(ends)
        else:
            values[f.filter.name] = ends[0]
    return entity.where(values)


# What a mutation makes of the declared fields for its service (their form there).
Shape = Callable[[dict[str, Any]], dict[str, Any]]


def _shaped(shape: Shape | None, fields: dict[str, Any]) -> dict[str, Any]:
    return shape(fields) if shape is not None else fields


def creates(
    entity: Entity,
    call: Callable[..., Awaitable[Any]],
    input: type,
    payload: type,
    *,
    permission_classes: list[type[BasePermission]],
    description: str,
    shape: Shape | None = None,
) -> Any:
    """The create mutation that runs ``call(session, actor, fields=..., **passed)`` with the
    declared fields its input was given (:func:`created`; ``shape`` turns them into what the
    service takes where an input field is not the column's form), the input's other fields
    passed by name (:func:`graphql.mutations.calls`)."""

    def arguments(given: Any) -> dict[str, Any]:
        return {"fields": _shaped(shape, created(entity, given))}

    return calls(
        call,
        input,
        payload,
        permission_classes=permission_classes,
        description=description,
        args=arguments,
    )


def on_row(
    entity: Entity,
    call: Callable[..., Awaitable[Any]],
    input: type,
    payload: type,
    run: Runner | None = None,
    *,
    permission_classes: list[type[BasePermission]],
    description: str,
    edits: bool = False,
    shape: Shape | None = None,
    args: Callable[[Any], dict[str, Any]] | None = None,
    gone: bool = False,
    key: str | None = None,
) -> Any:
    """The mutation (a class attribute of the mutations type) that runs
    ``call(session, actor, <entity>_id=..., row_version=..., [fields=...], **args(input))`` on
    the row the input's ``id`` names: :func:`graphql.mutations.calls` with ``row`` the entity
    (``versioned`` when its table has ``row_version``); ``edits`` passes the declared fields the
    input changes (:func:`edited`; ``shape`` turns them into the service's form), ``args`` reads
    the call's arguments that the input's fields do not give by name. Its work returns the
    written row's key (for ``run``, by default the one the payload implies, to read it back),
    or with ``gone`` (a delete) the input's ``id``. ``key`` names the call's key argument when
    it is not ``<entity>_id``."""

    def arguments(given: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if edits:
            found["fields"] = _shaped(shape, edited(entity, given))
        if args is not None:
            found.update(args(given))
        return found

    return calls(
        call,
        input,
        payload,
        run,
        permission_classes=permission_classes,
        description=description,
        row=entity.name,
        key=key,
        args=arguments,
        gone=gone,
        versioned="row_version" in entity.table.c,
    )


def row_payloads(
    node: type, field: str, *mutations: str, prefix: str = "", description: str = ""
) -> tuple[Any, ...]:
    """The payload types ``<Node><mutation>Payload`` (``prefix`` instead of the node's name
    when given) of mutations that show the written row: ``field`` (the row, null when it
    failed or is not visible) and ``userErrors`` (:func:`graphql.mutations.payload`)."""
    shown = description or f"The {field.replace('_', ' ')} after the change."
    parts: dict[str, Any] = {field: (node, shown)}
    return tuple(payload(f"{prefix or node.__name__}{m}Payload", **parts) for m in mutations)


def deleted_payload(name: str) -> Any:
    """The payload type of a delete: ``deletedId`` (null when nothing was deleted) and
    ``userErrors``."""
    return payload(name, deleted_id=strawberry.ID)
