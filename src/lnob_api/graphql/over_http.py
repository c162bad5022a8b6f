"""GraphQL over HTTP (the graphql-over-http spec): media types, status codes, request errors.

Two response media types, chosen by ``Accept``:

- ``application/json`` (the default, for clients written before the spec): a well-formed
  request is answered 200 whatever its GraphQL errors;
- ``application/graphql-response+json``: 200 when the response has ``data`` (even null), 400
  when it has none (a request error: the document does not parse or validate, variables do
  not coerce, the operation cannot be chosen).

A request that is not a well-formed GraphQL-over-HTTP request (body not JSON, not an object,
no query, a mutation over GET...) gets a GraphQL-shaped error body in either media type with
a 4xx status, so that GraphQL clients can read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_CONTENT_TYPES = {GRAPHQL_RESPONSE: f"{GRAPHQL_RESPONSE}; charset=utf-8", JSON: JSON}
BAD_REQUEST = "BAD_USER_INPUT"
# Parsed only to count operations; the schema's own limit applies to the same documents.
MAX_TOKENS = 5000


def negotiate(accept: str | None) -> str:
    """The response media type for an ``Accept`` header (``application/json`` by default and
    when nothing acceptable is listed: the spec lets a server disregard ``Accept``)."""
    if not accept:
        return JSON
    best, best_q = JSON, -1.0
    for media_range in accept.split(","):
        kind, _, params = media_range.strip().partition(";")
        kind = kind.strip().lower()
        q = _quality(params)
        if kind == GRAPHQL_RESPONSE and q > 0 and q >= best_q:
            best, best_q = GRAPHQL_RESPONSE, q
        elif kind in (JSON, "application/*", "*/*") and q > 0 and q > best_q:
            best, best_q = JSON, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return 0.0
            return q if 0 <= q <= 1 else 0.0
    return 1.0


def content_type(media: str) -> str:
    return _CONTENT_TYPES[media]


def is_request_error(response: Mapping[str, Any]) -> bool:
    """True when the response has no ``data`` to give: errors before execution began."""
    return response.get("data") is None and not any(
        error.get("path") for error in response.get("errors") or ()
    )


def status_of(response: Mapping[str, Any], media: str) -> int:
    if media == GRAPHQL_RESPONSE and "data" not in response:
        return 400
    return 200


def error_body(message: str, request_id: str, code: str = BAD_REQUEST) -> bytes:
    """A GraphQL response holding one request error (no ``data`` entry, as the spec says)."""
    extensions = {"code": code} | ({"requestId": request_id} if request_id else {})
    return json.dumps(
        {"errors": [{"message": message, "extensions": extensions}]}, separators=(",", ":")
    ).encode()


def request_error(message: str, request_id: str) -> GraphQLError:
    """The same as a ``GraphQLError``, for results built without executing."""
    extensions = {"code": BAD_REQUEST} | ({"requestId": request_id} if request_id else {})
    return GraphQLError(message, extensions=extensions)


@lru_cache(maxsize=512)
def operation_count(query: str) -> int:
    """How many operations a document defines (0 when it does not parse: the schema says why)."""
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return 0
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
