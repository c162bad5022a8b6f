"""A cached body is replayed with the caller's own rate-limit status: the query cost
extension ends every body with ``"throttleStatus": {...}}}}``, which a hit rewrites."""

from __future__ import annotations

import json
from typing import Any

_KEY = b'"throttleStatus"'
_CLOSE = b"}}}"  # the cost object, extensions, the response


def throttle_span(body: bytes, throttle: Any) -> tuple[int, int] | None:
    """Where ``throttle`` (the decoded throttle status) sits in ``body``, or None when the
    body does not end with it."""
    key = body.rfind(_KEY)
    if key < 0 or not body.endswith(_CLOSE):
        return None
    start = body.find(b":", key) + 1
    while body[start : start + 1] == b" ":
        start += 1
    end = len(body) - len(_CLOSE)
    try:
        if json.loads(body[start:end]) != throttle:
            return None
    except ValueError:
        return None
    return start, end


def with_throttle(body: bytes, span: tuple[int, int], throttle: Any) -> bytes:
    """``body`` with ``throttle`` written where the old one was, in its separators (the
    compiled path writes compact JSON, Strawberry's encoder json.dumps' spaced one), so that a
    hit is the bytes of a miss but the budget's figures (and a GET's ETag the same)."""
    compact = b'": ' not in body[span[0] : span[1]]
    separators = (",", ":") if compact else (", ", ": ")
    return body[: span[0]] + json.dumps(throttle, separators=separators).encode() + body[span[1] :]
