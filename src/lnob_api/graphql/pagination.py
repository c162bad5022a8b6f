"""Relay cursor connections over keyset pages.

Cursors are computed only when asked for: an edge's ``cursor`` and ``pageInfo``'s
``startCursor``/``endCursor`` encode their row when resolved, so a query selecting ``nodes``
(or ``edges { node }``) encodes none (it was 100-210 encodings per request on the bench
workloads). ``EAGER_CURSORS`` brings the old behaviour back, for ``bench/ab.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from lnob_api.read.keyset import Order, Page, cursor_of

T = TypeVar("T")

# True: every cursor is encoded when the page is wrapped (the behaviour before issue 12).
EAGER_CURSORS = False


@strawberry.type(description="Where a page sits in its list (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    _first: strawberry.Private[Any]
    _last: strawberry.Private[Any]
    _order: strawberry.Private[Order]

    @strawberry.field
    def start_cursor(self) -> str | None:
        return None if self._first is None else cursor_of(self._first, self._order)

    @strawberry.field
    def end_cursor(self) -> str | None:
        return None if self._last is None else cursor_of(self._last, self._order)


def _edge_cursor(root: Edge[Any]) -> str:
    if root._cursor is not None:
        return root._cursor
    return cursor_of(root._row, root._order)


@strawberry.type(description="A node and the cursor to page from it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(resolver=_edge_cursor)
    node: T
    _row: strawberry.Private[Any]
    _order: strawberry.Private[Order]
    _cursor: strawberry.Private[str | None]


@strawberry.type(description="A page of a list, with keyset cursors (Relay connection).")
class Connection(Generic[T]):
    _nodes: strawberry.Private[list[T]]
    _rows: strawberry.Private[Sequence[Any]]
    _order: strawberry.Private[Order]
    _page: strawberry.Private[Page]
    _count: strawberry.Private[Callable[[], Awaitable[int]]]
    _cursors: strawberry.Private[list[str] | None]

    @strawberry.field
    def edges(self) -> list[Edge[T]]:
        cursors: Sequence[str | None] = self._cursors or [None] * len(self._rows)
        return [
            Edge(_row=row, _order=self._order, _cursor=cursor, node=node)
            for row, node, cursor in zip(self._rows, self._nodes, cursors, strict=True)
        ]

    @strawberry.field
    def page_info(self) -> PageInfo:
        rows = self._rows
        return PageInfo(
            has_next_page=self._page.has_next,
            has_previous_page=self._page.has_previous,
            _first=rows[0] if rows else None,
            _last=rows[-1] if rows else None,
            _order=self._order,
        )

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[T]:
        return self._nodes

    @strawberry.field(description="How many items the whole list holds (for this caller).")
    async def total_count(self) -> int:
        return await self._count()


def page_connection(
    page: Page, order: Order, build: Callable[..., T], count: Callable[[], Awaitable[int]]
) -> Connection[T]:
    """Wrap a keyset page: ``build`` turns a row into a node, ``count`` runs only if asked;
    cursors are encoded only when resolved."""
    rows = page.rows
    cursors = [cursor_of(row, order) for row in rows] if EAGER_CURSORS else None
    return Connection(
        _nodes=[build(row) for row in rows],
        _rows=rows,
        _order=order,
        _page=page,
        _count=count,
        _cursors=cursors,
    )
