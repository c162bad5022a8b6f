"""How errors reach clients: a stable ``extensions.code`` on each, unexpected ones masked."""

from __future__ import annotations

import logging

from graphql import GraphQLError
from lnob_api.db import availability
from lnob_api.db.availability import MESSAGES
from lnob_api.errors import DomainError, InvalidInput

_log = logging.getLogger("lnob_api.graphql")

INTERNAL = "INTERNAL_SERVER_ERROR"


def classify(error: GraphQLError, request_id: str) -> None:
    """Give ``error`` its code in place; mask unexpected errors and log them whole."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    if "code" in extensions:  # set by a permission gate: add the request id and keep the rest
        if request_id:
            error.extensions = extensions | {"requestId": request_id}
        return
    if isinstance(original, DomainError):
        extensions["code"] = original.code
        if isinstance(original, InvalidInput):
            extensions["field"] = original.field
            extensions["reason"] = original.reason
    elif original is None:
        # Parsing, validation and variable coercion: the client sent something wrong.
        syntax = error.message.startswith("Syntax Error")
        extensions["code"] = "GRAPHQL_PARSE_FAILED" if syntax else "BAD_USER_INPUT"
    elif isinstance(original, GraphQLError):
        extensions["code"] = "BAD_USER_INPUT"
    elif (failure := availability.note(original)) is not None:
        # The outage middleware answers 503 and logs the request once: no traceback here.
        error.message = MESSAGES[failure]
        extensions["code"] = failure.value
    else:
        _log.error("unexpected error (request %s)", request_id, exc_info=original)
        error.message = f"Internal server error (request id {request_id})."
        extensions["code"] = INTERNAL
    if request_id:
        extensions["requestId"] = request_id
    error.extensions = extensions


def is_unexpected(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") == INTERNAL
