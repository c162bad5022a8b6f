"""Root fields that find one row, each one line: by code or slug, by global id, by either.

The row comes through the request's loaders, so through visibility: a row the caller may not
see is null like a missing one. Each field's ``metadata`` holds its :class:`Lookup`: the
relation and key its arguments name (what the compiled read path, ``graphql.compiled.fields``,
reads instead of running the resolver)::

    area = by_code(area_repo.AREA_BY_CODE, Area, key=area_repo.normalize_code, description=...)
    scorecard = by_id(scorecard_repo.SCORECARD_BY_ID, Scorecard, description=...)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import strawberry

from lnob_api.errors import InvalidInput
from lnob_api.graphql.context import Info
from lnob_api.graphql.ids import from_global_id
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.node import Node
from lnob_api.read.relations import ToOne

LOOKUP = "lookup"


class Missing(Exception):
    """The arguments name no row of the type (another type's global id): null, no statement."""


# The field's converted arguments -> the relation and the key they name (InvalidInput when
# they are wrong, Missing when they name nothing).
Find = Callable[[dict[str, Any]], tuple[ToOne, Hashable]]


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a lookup field finds: the ``node`` row that ``find`` names from its arguments."""

    find: Find
    node: type[Node]


def _field(
    find: Find, node: type[Node], resolve: Any, arguments: dict[str, Any], about: str
) -> Any:
    resolve.__annotations__ = {"info": Info, **arguments, "return": node | None}
    lookup = {LOOKUP: Lookup(find, node)}
    return strawberry.field(resolver=resolve, description=about, metadata=lookup)


async def _load(info: Info, find: Find, node: type[Node], args: dict[str, Any]) -> Any:
    try:
        relation, key = find(args)
    except Missing:
        return None
    return await load_one(info, relation, key, node)


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

    def find(args: dict[str, Any]) -> tuple[ToOne, Hashable]:
        return relation, key(args["code"]) if key else args["code"]

    async def resolve(info: Info, code: Any) -> Any:
        return await _load(info, find, node, {"code": code})

    return _field(find, node, resolve, {"code": kind}, description)


def by_slug(relation: ToOne, node: type[Node], *, description: str) -> Any:
    """The field ``<name>(slug: String!)``: the ``relation`` row with that slug."""

    def find(args: dict[str, Any]) -> tuple[ToOne, Hashable]:
        return relation, args["slug"]

    async def resolve(info: Info, slug: str) -> Any:
        return await _load(info, find, node, {"slug": slug})

    return _field(find, node, resolve, {"slug": str}, description)


def _global_key(relation: ToOne, node: type[Node], id: Any) -> tuple[ToOne, Hashable]:
    """The ``relation`` key a ``node`` global id names; Missing for another type's id or a
    non-numeric key."""
    type_name, key = from_global_id(str(id))
    if type_name != node.__name__ or not key.isdigit():
        raise Missing
    return relation, int(key)


def by_id(relation: ToOne, node: type[Node], *, description: str) -> Any:
    """The field ``<name>(id: ID!)``: the ``relation`` row (by its integer key) that a ``node``
    global id names."""

    def find(args: dict[str, Any]) -> tuple[ToOne, Hashable]:
        return _global_key(relation, node, args["id"])

    async def resolve(info: Info, id: strawberry.ID) -> Any:
        return await _load(info, find, node, {"id": id})

    return _field(find, node, resolve, {"id": strawberry.ID}, description)


def _one_of(args: dict[str, Any], first: str, second: str) -> bool:
    """Whether ``first`` is the one given; INVALID_ARGUMENT unless exactly one of them is."""
    if (args.get(first) is None) == (args.get(second) is None):
        raise InvalidInput(
            first, f"give exactly one of {first} or {second}", code="INVALID_ARGUMENT"
        )
    return args.get(first) is not None


def by_id_or_slug(
    relation_by_id: ToOne, relation_by_slug: ToOne, node: type[Node], *, description: str
) -> Any:
    """The field ``<name>(id: ID, slug: String)``: the row a ``node`` global id or a slug
    names; INVALID_ARGUMENT unless exactly one of them is given."""

    def find(args: dict[str, Any]) -> tuple[ToOne, Hashable]:
        if _one_of(args, "id", "slug"):
            return _global_key(relation_by_id, node, args["id"])
        return relation_by_slug, args["slug"]

    async def resolve(info: Info, id: strawberry.ID | None = None, slug: str | None = None) -> Any:
        return await _load(info, find, node, {"id": id, "slug": slug})

    arguments = {"id": strawberry.ID | None, "slug": str | None}
    return _field(find, node, resolve, arguments, description)


def by_code_or_slug(
    relation_by_code: ToOne,
    relation_by_slug: ToOne,
    node: type[Node],
    *,
    description: str,
    key: Callable[[str], Hashable],
) -> Any:
    """The field ``<name>(code: String, slug: String)``: the row whose key is ``key(code)``, or
    the row with that slug; INVALID_ARGUMENT unless exactly one of them is given."""

    def find(args: dict[str, Any]) -> tuple[ToOne, Hashable]:
        if _one_of(args, "code", "slug"):
            return relation_by_code, key(args["code"])
        return relation_by_slug, args["slug"]

    async def resolve(info: Info, code: str | None = None, slug: str | None = None) -> Any:
        return await _load(info, find, node, {"code": code, "slug": slug})

    return _field(find, node, resolve, {"code": str | None, "slug": str | None}, description)
