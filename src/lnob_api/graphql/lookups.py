"""Root fields that find one row, each one line: by code or slug, by global id, by either.

The row comes through the request's loaders, so through visibility: a row the caller may not
see is null like a missing one::

    area = by_code(area_repo.AREA_BY_CODE, Area, key=area_repo.normalize_code, description=...)
    scorecard = by_id(scorecard_repo.SCORECARD_BY_ID, Scorecard, description=...)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import strawberry

from lnob_api.errors import InvalidInput
from lnob_api.graphql.context import Info
from lnob_api.graphql.ids import from_global_id
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.node import Node
from lnob_api.read.relations import ToOne


def by_code(
    relation: ToOne,
    node: type[Node],
    *,
    description: str,
    kind: type = str,
    key: Callable[[Any], Hashable] | None = None,
) -> Any:
    """The field ``<name>(code: kind!)``: the ``relation`` row whose key is the code, or
    ``key(code)`` (the code normalized, or checked: ``key`` may raise InvalidInput)."""

    async def resolve(info: Info, code: Any) -> Any:
        return await load_one(info, relation, key(code) if key else code, node)

    resolve.__annotations__ = {"info": Info, "code": kind, "return": node | None}
    return strawberry.field(resolver=resolve, description=description)


def by_slug(relation: ToOne, node: type[Node], *, description: str) -> Any:
    """The field ``<name>(slug: String!)``: the ``relation`` row with that slug."""

    async def resolve(info: Info, slug: str) -> Any:
        return await load_one(info, relation, slug, node)

    resolve.__annotations__ = {"info": Info, "slug": str, "return": node | None}
    return strawberry.field(resolver=resolve, description=description)


async def _by_global_id(info: Info, relation: ToOne, node: type[Node], id: str) -> Any:
    """The row a ``node`` global id names; None for another type's id or a non-numeric key."""
    type_name, key = from_global_id(id)
    if type_name != node.__name__ or not key.isdigit():
        return None
    return await load_one(info, relation, int(key), node)


def by_id(relation: ToOne, node: type[Node], *, description: str) -> Any:
    """The field ``<name>(id: ID!)``: the ``relation`` row (by its integer key) that a ``node``
    global id names."""

    async def resolve(info: Info, id: strawberry.ID) -> Any:
        return await _by_global_id(info, relation, node, str(id))

    resolve.__annotations__ = {"info": Info, "id": strawberry.ID, "return": node | None}
    return strawberry.field(resolver=resolve, description=description)


def by_id_or_slug(
    relation_by_id: ToOne, relation_by_slug: ToOne, node: type[Node], *, description: str
) -> Any:
    """The field ``<name>(id: ID, slug: String)``: the row a ``node`` global id or a slug
    names; INVALID_ARGUMENT unless exactly one of them is given."""

    async def resolve(info: Info, id: strawberry.ID | None = None, slug: str | None = None) -> Any:
        if (id is None) == (slug is None):
            raise InvalidInput("id", "give exactly one of id or slug", code="INVALID_ARGUMENT")
        if slug is not None:
            return await load_one(info, relation_by_slug, slug, node)
        return await _by_global_id(info, relation_by_id, node, str(id))

    resolve.__annotations__ = {
        "info": Info,
        "id": strawberry.ID | None,
        "slug": str | None,
        "return": node | None,
    }
    return strawberry.field(resolver=resolve, description=description)
