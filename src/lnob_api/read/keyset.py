"""Keyset (seek) pagination: opaque cursors over a stable order, never OFFSET.

A cursor is the row's values of the order columns, JSON-encoded with type tags and base64url'd.
Fetching a page asks for one row more than the page size to learn whether another page follows.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.db.ranges import int_range, text_problem
from lnob_api.errors import InvalidInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One column of a stable order: the label it has in the selected row, and its direction."""

    column: ColumnElement[Any]
    label: str
    descending: bool = False


Order = tuple[OrderKey, ...]


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated Relay arguments."""

    limit: int
    after: tuple[Any, ...] | None
    before: tuple[Any, ...] | None
    backward: bool


def page_args(
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    order: Order,
    max_size: int = MAX_PAGE_SIZE,
) -> PageArgs:
    """Check ``first/after/last/before`` and decode the cursors (BAD_USER_INPUT when wrong)."""
    if first is not None and last is not None:
        raise InvalidInput("first", "give either first or last, not both", code="INVALID_ARGUMENT")
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise InvalidInput(name, f"must be 0 or more, got {value}", code="INVALID_ARGUMENT")
        if value is not None and value > max_size:
            raise InvalidInput(name, f"must be at most {max_size}, got {value}", code="TOO_LARGE")
    backward = last is not None or (first is None and before is not None and after is None)
    limit = (last if backward else first) or (
        DEFAULT_PAGE_SIZE if (last, first) == (None, None) else 0
    )
    return PageArgs(
        limit=limit,
        after=checked_cursor(after, "after", order) if after is not None else None,
        before=checked_cursor(before, "before", order) if before is not None else None,
        backward=backward,
    )


def _tag(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return datetime.fromisoformat(value["t"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        raise ValueError("unknown tag")
    if isinstance(value, list):
        raise ValueError("nested list")
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_tag(v) for v in values], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str, width: int) -> tuple[Any, ...]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("wrong width")
        return tuple(_untag(v) for v in values)
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError, RecursionError):
        raise InvalidInput(field, "is not a cursor from this list", code="INVALID_CURSOR") from None


def checked_cursor(cursor: str, field: str, order: Order) -> tuple[Any, ...]:
    """A decoded cursor whose every value fits its order column (a forged ``[1e309]``,
    ``["x"]`` for a number or ``[2**70]`` would otherwise fail in the driver)."""
    values = decode_cursor(cursor, field, len(order))
    for key, value in zip(order, values, strict=True):
        if value is None and getattr(key.column, "nullable", True):
            continue
        if value is None or not _fits(key.column.type, key.column, value):
            raise InvalidInput(field, "is not a cursor from this list", code="INVALID_CURSOR")
    return values


def _fits(type_: Any, column: ColumnElement[Any], value: Any) -> bool:
    if isinstance(type_, sa.Boolean):
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if isinstance(type_, sa.Integer):
        low, high = int_range(column)
        return isinstance(value, int) and low <= value <= high
    if isinstance(type_, (sa.Float, sa.Numeric)):
        return isinstance(value, (int, float)) and math.isfinite(value)
    if isinstance(type_, sa.DateTime):
        return isinstance(value, datetime)
    if isinstance(type_, sa.Date):
        return isinstance(value, date) and not isinstance(value, datetime)
    if isinstance(type_, sa.Enum):
        return value in type_.enums
    if isinstance(type_, sa.String):
        return isinstance(value, str) and text_problem(value) is None
    return isinstance(value, (str, int, float, date)) and not (
        isinstance(value, str) and text_problem(value) is not None
    )


@dataclass(frozen=True, slots=True)
class Bounds:
    """What a page's statement compares with: the cursors' order values, the page size and
    the row limit (one more than the size). Plain values by default (``of``); the compiled read
    path passes SQL expressions instead (named parameters of a cached plan)."""

    after: Sequence[Any] | None
    before: Sequence[Any] | None
    size: Any
    limit: Any

    @classmethod
    def of(cls, args: PageArgs) -> Bounds:
        return cls(args.after, args.before, args.limit, args.limit + 1)


def bound(value: Any, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``value`` as a parameter of ``column``'s type (an expression stays as it is)."""
    return value if isinstance(value, ColumnElement) else sa.literal(value, type_=column.type)


def seek(order: Order, values: Sequence[Any], *, forward: bool) -> ColumnElement[bool]:
    """Rows strictly after (``forward``) or before ``values`` in ``order``."""
    bounds = [bound(v, k.column) for k, v in zip(order, values, strict=True)]
    directions = {k.descending for k in order}
    if len(directions) == 1:
        # One direction for every key: a row comparison, which an index serves directly.
        lhs = sa.tuple_(*(k.column for k in order))
        rhs = sa.tuple_(*bounds)
        ascending_after = forward != order[0].descending
        return lhs > rhs if ascending_after else lhs < rhs
    clauses: list[ColumnElement[bool]] = []
    for i, key in enumerate(order):
        equal = [k.column == v for k, v in zip(order[:i], bounds[:i], strict=True)]
        step = key.column > bounds[i] if forward != key.descending else key.column < bounds[i]
        clauses.append(sa.and_(*equal, step))
    return sa.or_(*clauses)


def apply_page(
    stmt: sa.Select[Any], order: Order, args: PageArgs, bounds: Bounds | None = None
) -> sa.Select[Any]:
    """Add the seek predicates, the ORDER BY and the LIMIT (page size + 1) to ``stmt``."""
    bounds = bounds or Bounds.of(args)
    if bounds.after is not None:
        stmt = stmt.where(seek(order, bounds.after, forward=True))
    if bounds.before is not None:
        stmt = stmt.where(seek(order, bounds.before, forward=False))
    return stmt.order_by(*order_clauses(order, backward=args.backward)).limit(bounds.limit)


def order_clauses(order: Order, *, backward: bool = False) -> list[ColumnElement[Any]]:
    """ORDER BY expressions for ``order``, reversed when paging backward."""
    return [k.column.desc() if k.descending != backward else k.column.asc() for k in order]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of rows in the list's order, with Relay's page flags."""

    rows: Sequence[Any]
    has_next: bool
    has_previous: bool


def make_page(rows: Sequence[Any], args: PageArgs) -> Page:
    """Trim the extra row and restore forward order."""
    more = len(rows) > args.limit
    kept = list(rows[: args.limit])
    if args.backward:
        kept.reverse()
        return Page(kept, has_next=args.before is not None, has_previous=more)
    return Page(kept, has_next=more, has_previous=args.after is not None)


def cursor_of(row: Any, order: Order) -> str:
    return encode_cursor([row[k.label] for k in order])
