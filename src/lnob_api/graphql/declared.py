"""GraphQL from entity declarations (``lnob_api.declare``): object fields and filter fields.

``@declared(ENTITY)`` goes below ``@strawberry.type`` (it runs first): the entity's fields,
in declaration order, become the class's fields before those the class writes itself (the
non-column fields and resolvers), ``strawberry.Private`` when not public. ``@filters(ENTITY)``
does the same for a filter input (after the hand-written conditions), and ``declared_where``
turns a filter input's declared fields into WHERE clauses.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.declare import Entity

T = TypeVar("T", bound=type)
_PRIVATE: Any = strawberry.Private


# A generated field: its name, its annotation and its default (None: no default).
_Added = tuple[str, Any, Any]


def _add(fields: Callable[[dict[str, Any]], list[_Added]], *, first: bool) -> Any:
    """A class decorator that gives the class the ``fields`` it does not write itself (they
    see its own annotations), before its own fields (``first``) or after them."""

    def apply(cls: T) -> T:
        own = dict(inspect.get_annotations(cls))
        added: dict[str, Any] = {}
        for name, annotation, default in fields(own):
            added[name] = annotation
            if default is not None:
                setattr(cls, name, default)
        cls.__annotations__ = {**added, **own} if first else {**own, **added}
        return cls

    return apply


def declared(entity: Entity) -> Any:
    """The entity's fields, before the type's own (non-column fields, resolvers)."""

    def fields(own: dict[str, Any]) -> list[_Added]:
        return [
            (
                f.name,
                entity.types[f.name] if f.public else _PRIVATE[entity.types[f.name]],
                strawberry.field(description=f.description) if f.public and f.description else None,
            )
            for f in entity.fields
            if f.name not in own
        ]

    return _add(fields, first=True)


def filters(entity: Entity) -> Any:
    """The entity's declared filters, after the filter input's own conditions."""

    def fields(own: dict[str, Any]) -> list[_Added]:
        found: list[_Added] = []
        for f in entity.filters:
            assert f.filter is not None
            base = _base(entity.types[f.name])
            kind = list[base] | None if f.filter.how == "member" else base | None  # type: ignore[valid-type]
            found.append(
                (
                    f.filter.name,
                    kind,
                    strawberry.field(default=None, description=f.filter.description),
                )
            )
        return found

    return _add(fields, first=False)


def inputs(entity: Entity) -> Any:
    """The declared editable fields, after the input's own (omitted: left as it is, or the
    column's default on create)."""

    def fields(own: dict[str, Any]) -> list[_Added]:
        unset = strawberry.UNSET
        return [
            (
                f.name,
                _base(entity.types[f.name]) | None,
                strawberry.field(default=unset, description=f.description),
            )
            for f in entity.editable
            if f.name not in own
        ]

    return _add(fields, first=False)


def _base(kind: Any) -> Any:
    """``kind`` without its ``| None``."""
    return next(a for a in getattr(kind, "__args__", (kind,)) if a is not type(None))


def declared_where(entity: Entity, given: object | None) -> list[ColumnElement[bool]]:
    """WHERE clauses for the declared filter fields of a filter input (checked values)."""
    if given is None:
        return []
    return entity.where(
        {f.filter.name: getattr(given, f.filter.name) for f in entity.filters if f.filter}
    )
