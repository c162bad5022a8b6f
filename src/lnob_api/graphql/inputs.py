"""Input hygiene for GraphQL requests, checked before anything reaches PostgreSQL.

PostgreSQL text cannot hold U+0000 and UTF-8 cannot encode a lone surrogate; its integer
columns hold 16, 32 or 64 bits. Such values used to travel down to the driver and come back
as 500s. Here they are refused up front, each with a message naming where it was:

- ``check_body``: the decoded JSON request (query text, operation name, variables, extensions);
- ``StorableLiterals``: string and float literals written in the document itself (escapes
  such as ``"\\u0000"`` only exist once the document is parsed);
- ``check_int``: an integer against the range of the column it will be compared with.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from graphql import FloatValueNode, GraphQLError, StringValueNode, ValidationRule
from lnob_api.db.ranges import int_range, text_problem
from lnob_api.errors import InvalidInput

# Nesting deeper than this is no GraphQL request anyone writes (and the checks below recurse).
MAX_DEPTH = 64


class BadRequest(Exception):
    """The request itself is unusable (GraphQL over HTTP calls it a request error)."""

    def __init__(self, message: str, status: int = 400, allow: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.allow = allow  # the Allow header of a 405


def check_body(value: Any, where: str = "body", depth: int = 0) -> None:
    """Walk decoded JSON: every key and string storable, every number finite, bounded depth."""
    if depth > MAX_DEPTH:
        raise BadRequest(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        if (problem := text_problem(value)) is not None:
            raise BadRequest(f"{where}: {problem}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadRequest(f"{where}: {value} is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            if (problem := text_problem(key)) is not None:
                raise BadRequest(f"{where}: a key {problem}")
            check_body(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_body(item, f"{where}[{i}]", depth + 1)


class StorableLiterals(ValidationRule):
    """Refuses string literals PostgreSQL cannot store and float literals that overflow."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if (problem := text_problem(node.value)) is not None:
            self.report_error(GraphQLError(f"A string literal {problem}.", node))

    def enter_float_value(self, node: FloatValueNode, *_args: Any) -> None:
        if not math.isfinite(float(node.value)):
            self.report_error(GraphQLError(f"{node.value} is not a finite number.", node))


def check_int(value: int | None, column: sa.ColumnElement[Any], field: str) -> None:
    """BAD_USER_INPUT (``OUT_OF_RANGE``) when ``value`` cannot be compared with ``column``."""
    if value is None:
        return
    low, high = int_range(column)
    if not low <= value <= high:
        raise InvalidInput(field, f"{value} is out of range ({low} to {high})", code="OUT_OF_RANGE")


__all__ = [
    "MAX_DEPTH",
    "BadRequest",
    "StorableLiterals",
    "check_body",
    "check_int",
    "int_range",
    "text_problem",
]
