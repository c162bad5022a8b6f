"""GraphQL from entity declarations (``lnob_api.declare``): object fields and filter fields.

``@declared(ENTITY)`` goes below ``@strawberry.type`` (it runs first): the entity's fields,
in declaration order, become the class's fields before those the class writes itself (the
non-column fields and resolvers), ``strawberry.Private`` when not public. ``@filters(ENTITY)``
does the same for a filter input (after the hand-written conditions), and ``declared_where``
turns a filter input's declared fields into WHERE clauses.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

import strawberry
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.declare import Entity

T = TypeVar("T", bound=type)
_PRIVATE: Any = strawberry.Private


def declared(entity: Entity) -> Any:
    def apply(cls: T) -> T:
        own = dict(inspect.get_annotations(cls))
        added: dict[str, Any] = {}
        for f in entity.fields:
            if f.name in own:
                continue
            kind: Any = entity.types[f.name]
            added[f.name] = kind if f.public else _PRIVATE[kind]
            if f.public and f.description:
                setattr(cls, f.name, strawberry.field(description=f.description))
        cls.__annotations__ = {**added, **own}
        return cls

    return apply


def filters(entity: Entity) -> Any:
    def apply(cls: T) -> T:
        own = dict(inspect.get_annotations(cls))
        added: dict[str, Any] = {}
        for f in entity.filters:
            assert f.filter is not None
            kind: Any = entity.types[f.name]
            base: Any = next(a for a in getattr(kind, "__args__", (kind,)) if a is not type(None))
            added[f.filter.name] = list[base] | None if f.filter.how == "member" else base | None
            default = strawberry.field(default=None, description=f.filter.description)
            setattr(cls, f.filter.name, default)
        cls.__annotations__ = {**own, **added}
        return cls

    return apply


def inputs(entity: Entity) -> Any:
    """The declared editable fields, after the input's own (omitted: left as it is, or the
    column's default on create)."""

    def apply(cls: T) -> T:
        own = dict(inspect.get_annotations(cls))
        added: dict[str, Any] = {}
        for f in entity.editable:
            if f.name in own:
                continue
            kind: Any = entity.types[f.name]
            added[f.name] = kind | None
            setattr(
                cls, f.name, strawberry.field(default=strawberry.UNSET, description=f.description)
            )
        cls.__annotations__ = {**own, **added}
        return cls

    return apply


def declared_where(entity: Entity, given: object | None) -> list[ColumnElement[bool]]:
    """WHERE clauses for the declared filter fields of a filter input (checked values)."""
    if given is None:
        return []
    return entity.where(
        {f.filter.name: getattr(given, f.filter.name) for f in entity.filters if f.filter}
    )
