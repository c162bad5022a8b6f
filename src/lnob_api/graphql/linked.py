"""One GraphQL field for a link: ``to_one(relation, key, Type)``, ``to_many(relation, Type)``.

A type that shows the row another column of it points at (a scorecard's ``coalition``, an
action's ``criterion``) writes one line instead of a resolver: the row of the ``read.relations``
relation whose key is the object's ``key`` attribute, read through the request's loaders (so
through visibility: a hidden row is null like a missing one), as ``Type``: a class, or a
``graphql.lazy`` reference for a type of another module, or the name of a type further down
the same module. ``to_many`` is the list of a short,
bounded ``ToMany``/``Through`` relation's visible rows (a scorecard's criteria).
"""

from __future__ import annotations

import importlib
import sys
import typing
from dataclasses import dataclass
from typing import Annotated, Any

import strawberry

from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import load_list, load_one
from lnob_api.read.relations import Through, ToMany, ToOne

# The key of a link field's ``metadata`` that holds its :class:`Link` (what the compiled read
# path, ``graphql.compiled.fields``, reads instead of running the resolver).
LINK = "link"


@dataclass(frozen=True, slots=True)
class Link:
    """What a :func:`to_one` or :func:`to_many` field shows: the ``relation``'s rows under the
    object's ``key`` attribute (``pk``: its key); ``required``: a to-one row always there."""

    relation: ToOne | ToMany | Through
    key: str
    required: bool = False


def _node(node: Any) -> Any:
    """``node``; a name is a type of the calling type module, referred to lazily."""
    if isinstance(node, str):
        module = sys._getframe(2).f_globals["__name__"]
        return Annotated[node, strawberry.lazy(module)]
    return node


def _class(node: Any) -> Any:
    """The class behind ``node`` (a ``graphql.lazy`` reference is imported on first use)."""
    if typing.get_origin(node) is not typing.Annotated:
        return node
    name, reference = typing.get_args(node)
    forward = name.__forward_arg__ if isinstance(name, typing.ForwardRef) else str(name)
    return getattr(importlib.import_module(reference.module), forward)


def to_one(
    relation: ToOne,
    key: str,
    node: Any,
    *,
    description: str | None = None,
    required: bool = False,
    name: str | None = None,
) -> Any:
    """The field showing the ``relation`` row whose key is ``self.<key>``, as ``node``: null
    when there is none the caller may see, or never null (``required``: the row is there and
    visible whenever its parent is). ``name``: its GraphQL name, when not the attribute's."""
    node = _node(node)

    async def resolve(self: Any, info: Info) -> Any:
        found = await load_one(info, relation, getattr(self, key), _class(node))
        if required:
            assert found is not None, f"{relation} {getattr(self, key)} is missing"
        return found

    resolve.__annotations__ = {"info": Info, "return": node if required else node | None}
    link = {LINK: Link(relation, key, required)}
    return strawberry.field(resolver=resolve, name=name, description=description, metadata=link)


def to_many(
    relation: ToMany | Through, node: Any, *, key: str = "pk", description: str | None = None
) -> Any:
    """The field listing the visible rows of ``relation`` under ``self.<key>``, as ``node``."""
    node = _node(node)

    async def resolve(self: Any, info: Info) -> Any:
        return await load_list(info, relation, getattr(self, key), _class(node))

    resolve.__annotations__ = {"info": Info, "return": list[node]}
    link = {LINK: Link(relation, key)}
    return strawberry.field(resolver=resolve, description=description, metadata=link)
