"""The Node interface, row-to-type building, and the registry behind ``node(id)``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import strawberry

from lnob_api.graphql.ids import int_key, to_global_id
from lnob_api.graphql.inputs import int_range, text_problem
from lnob_api.read.relations import Source

N = TypeVar("N", bound="Node")
T = TypeVar("T")


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


def copied(cls: type[T], source: Any, /, **given: Any) -> T:
    """A plain (not Node) type built from a row or a service's record: each of its fields that
    ``given`` does not set takes the row's item (a mapping) or the record's attribute of the
    same name."""
    read: Callable[[str], Any] = (
        source.__getitem__ if isinstance(source, Mapping) else lambda name: getattr(source, name)
    )
    names = (f.name for f in dataclasses.fields(cls) if f.init and f.name not in given)  # type: ignore[arg-type]
    return cls(**{name: read(name) for name in names}, **given)


REGISTRY: dict[str, type[Node]] = {}


def storable_key(source: Source, parse_key: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse_key`` checked against the key column: an integer within its range, a text
    PostgreSQL can hold; ValueError otherwise (``node(id:)`` answers null, as for any key that
    names nothing, and a forged key never reaches the driver)."""
    column = source.column(source.key)
    numeric = parse_key is int

    def parse(raw: str) -> Any:
        key = int_key(raw) if numeric else parse_key(raw)
        low, high = int_range(column) if numeric else (0, 0)
        if (numeric and not low <= key <= high) or (isinstance(key, str) and text_problem(key)):
            raise ValueError(f"{raw[:40]!r} is not a {source.name} key")
        return key

    return parse


def entity(source: Source, parse_key: Callable[[str], Any] = int) -> Callable[[type[N]], type[N]]:
    """Register a strawberry Node type as the GraphQL face of ``source``.

    Apply above ``@strawberry.type``. Every dataclass field other than ``id`` (Private ones
    included) is read from the row column of the same name; a ``pk`` field gets the key.
    """

    def register(cls: type[N]) -> type[N]:
        cls._source = source
        cls._parse_key = staticmethod(storable_key(source, parse_key))
        fields = dataclasses.fields(cls)
        cls._columns = tuple(
            (f.name, source.key if f.name == "pk" else f.name)
            for f in fields
            if f.init and f.name != "id"
        )
        REGISTRY[cls.__name__] = cls
        return cls

    return register
