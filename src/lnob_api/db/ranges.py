"""What PostgreSQL columns can hold, for checking input before it reaches the driver.

Text cannot hold U+0000, and UTF-8 cannot encode a lone surrogate; integer columns hold 16,
32 or 64 bits. A value outside these limits can match no row: callers refuse it with a clear
error instead of letting the driver fail.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

_RANGES: tuple[tuple[type[sa.types.TypeEngine[Any]], tuple[int, int]], ...] = (
    (sa.SmallInteger, (-(2**15), 2**15 - 1)),
    (sa.BigInteger, (-(2**63), 2**63 - 1)),
    (sa.Integer, (-(2**31), 2**31 - 1)),
)
BIGINT = _RANGES[1][1]


def int_range(column: sa.ColumnElement[Any]) -> tuple[int, int]:
    """The values an integer column can hold (a bigint's when its type says nothing)."""
    for type_, bounds in _RANGES:  # subclasses of Integer first
        if isinstance(column.type, type_):
            return bounds
    return BIGINT


def text_problem(value: str) -> str | None:
    """Why PostgreSQL could not store ``value``, or None when it can."""
    if "\x00" in value:
        return "holds a NUL character (U+0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate, which is not Unicode text"
    return None
