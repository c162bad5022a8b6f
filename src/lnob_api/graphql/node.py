"""The Node interface, row-to-type building, and the registry behind ``node(id)``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import strawberry

from lnob_api.graphql.ids import to_global_id
from lnob_api.read.relations import Source

N = TypeVar("N", bound="Node")


@strawberry.interface(description="An object with a global id (Relay object identification).")
class Node:
    id: strawberry.ID

    # Set by @entity: where the rows come from, and how the key is parsed from a global id.
    _source: ClassVar[Source]
    _parse_key: ClassVar[Callable[[str], Any]]
    _columns: ClassVar[tuple[tuple[str, str], ...]]

    @classmethod
    def from_row(cls: type[N], row: Any) -> N:
        """Build the type from a row whose labels are the fields' Python names (``pk``: the key)."""
        values = {name: row[label] for name, label in cls._columns}
        return cls(id=strawberry.ID(to_global_id(cls.__name__, row[cls._source.key])), **values)


REGISTRY: dict[str, type[Node]] = {}


def entity(source: Source, parse_key: Callable[[str], Any] = int) -> Callable[[type[N]], type[N]]:
    """Register a strawberry Node type as the GraphQL face of ``source``.

    Apply above ``@strawberry.type``. Every dataclass field other than ``id`` (Private ones
    included) is read from the row column of the same name; a ``pk`` field gets the key.
    """

    def register(cls: type[N]) -> type[N]:
        cls._source = source
        cls._parse_key = staticmethod(parse_key)
        fields = dataclasses.fields(cls)
        cls._columns = tuple(
            (f.name, source.key if f.name == "pk" else f.name)
            for f in fields
            if f.init and f.name != "id"
        )
        REGISTRY[cls.__name__] = cls
        return cls

    return register
