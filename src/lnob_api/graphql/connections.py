"""One factory for every connection field: its paging arguments and resolver written once.

A connection field is one class attribute: a relation of ``read.relations`` and the node type
(a lazy ``Annotated`` one across modules); it keeps its place among the type's fields::

    projects = connection(
        project_repo.PROJECTS_BY_COALITION, _Project, description="The coalition's data projects."
    )

The field gets ``first/after/last/before`` (after its own arguments, or before the last
``trailing`` of them), keyset paging through the request's loaders and a lazy ``totalCount``.
A field with arguments of its own names a ``select`` function: a strawberry resolver (``root``,
``info`` and those arguments) that returns the ``Slice`` they choose (filters, order, another
parent key or source). The relation, the parent key and ``select`` stay on the field's
``Paged`` extension (``paged_of``), for a later compiled read path to read.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy.sql.elements import ColumnElement
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from lnob_api.graphql import passed
from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import load_page, root_page
from lnob_api.graphql.pagination import Connection
from lnob_api.read.keyset import Order
from lnob_api.read.relations import Source, Through, ToMany

Relation = ToMany | Through | Source

PAGING = ("first", "after", "last", "before")

# The parent's own key (``Paged.parent_key``), as opposed to a key a ``select`` chose.
PARENT: Any = object()


@dataclass(frozen=True)
class Slice:
    """What a connection's own arguments choose from its relation."""

    where: Sequence[ColumnElement[bool]] = ()
    # Shapes the loader key of nested pages: equal filters share one batched statement.
    where_key: Hashable = None
    order: Order | None = None
    key: Hashable = PARENT
    # A root list whose rows depend on an argument (``removedObservations(since:)``).
    source: Source | None = None


EVERYTHING = Slice()


def _everything() -> Slice:
    return EVERYTHING


def _paging_arguments() -> list[StrawberryArgument]:
    """Fresh ``first/after/last/before`` arguments (no description, default null)."""
    types = {"first": int | None, "after": str | None, "last": int | None, "before": str | None}
    return [
        StrawberryArgument(
            python_name=name,
            graphql_name=None,
            type_annotation=StrawberryAnnotation(types[name]),
            default=None,
        )
        for name in PAGING
    ]


def _unwrap(type_: Any) -> Any:
    while isinstance(type_, (StrawberryOptional, StrawberryList, LazyType)):
        type_ = type_.resolve_type() if isinstance(type_, LazyType) else type_.of_type
    return type_


class Paged(FieldExtension):
    """Adds the Relay paging arguments to a connection field and resolves its page."""

    def __init__(
        self,
        relation: Relation | None,
        select: Callable[..., Slice | Awaitable[Slice]],
        *,
        parent_key: str = "pk",
        trailing: int = 0,
    ) -> None:
        self.relation = relation
        self.select = select
        self.parent_key = parent_key
        self.trailing = trailing
        self._node: Any = None

    def apply(self, field: StrawberryField) -> None:
        self.field = field
        own = list(field.arguments)
        if any(argument.python_name in PAGING for argument in own):
            return  # applied already (a second schema built from the same types)
        at = len(own) - self.trailing
        field.arguments = [*own[:at], *_paging_arguments(), *own[at:]]

    @property
    def node(self) -> Any:
        """The node type of the field's connection (resolved once, lazy types included)."""
        if self._node is None:
            connection_type = _unwrap(self.field.type)
            assert has_object_definition(connection_type)
            edges = connection_type.__strawberry_definition__.get_field("edges")
            assert edges is not None
            edge_type = _unwrap(edges.type)
            node = edge_type.__strawberry_definition__.get_field("node")
            self._node = _unwrap(node.type)
        return self._node

    async def page(self, source: Any, info: Info, chosen: Slice, paging: dict[str, Any]) -> Any:
        relation = chosen.source or self.relation
        if isinstance(relation, Source):
            return await root_page(
                info, relation, self.node, paging, where=chosen.where, order=chosen.order
            )
        assert relation is not None
        key = getattr(source, self.parent_key) if chosen.key is PARENT else chosen.key
        return await load_page(
            info,
            relation,
            key,
            self.node,
            paging,
            where=chosen.where,
            where_key=chosen.where_key,
        )

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any
    ) -> Awaitable[Any]:
        paging = {name: kwargs.pop(name) for name in PAGING}
        return self.page(source, info, next_(source, info, **kwargs), paging)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        paging = {name: kwargs.pop(name) for name in PAGING}
        chosen = next_(source, info, **kwargs)
        if inspect.isawaitable(chosen):
            chosen = await chosen
        return await self.page(source, info, chosen, paging)


def connection(
    relation: Relation | None,
    node: Any,
    *,
    description: str | None = None,
    select: Callable[..., Slice | Awaitable[Slice]] | None = None,
    parent_key: str = "pk",
    trailing: int = 0,
    permission_classes: list[type[BasePermission]] | None = None,
) -> Any:
    """A ``Connection[node]`` field over ``relation`` (a root ``Source`` or a nested relation).

    ``select`` declares the field's own arguments and turns them into a ``Slice``;
    ``parent_key`` names the parent's attribute that nested relations are keyed by;
    ``trailing`` is how many of ``select``'s arguments come after the paging ones.
    """
    chooser = select or _everything
    connection_type: Any = Connection
    return strawberry.field(
        resolver=chooser,
        graphql_type=connection_type[node],
        description=description,
        permission_classes=permission_classes,
        extensions=[Paged(relation, chooser, parent_key=parent_key, trailing=trailing)],
    )


def filtered(
    filters: Callable[..., list[ColumnElement[bool]]],
    input: type,
    spelled: Callable[[Any], dict[str, Any]] | None = None,
) -> Callable[..., Slice]:
    """The ``select`` of a list whose one argument is ``filter``, an ``input`` (optional): the
    ``filters`` clauses of what it gives by name (:func:`graphql.passed.where`) and of what
    ``spelled`` reads from it (decoded ids...)."""
    where = passed.where(filters, input)

    def select(filter: Any = None) -> Slice:
        given = filter if filter is not None else input()
        return Slice(where=where(given, **(spelled(given) if spelled is not None else {})))

    select.__annotations__ = {"filter": input | None, "return": Slice}
    return select


def paged_of(field: StrawberryField) -> Paged | None:
    """The ``Paged`` extension of a connection field made by ``connection``, else None."""
    return next((e for e in field.extensions if isinstance(e, Paged)), None)
