"""What the fast lane (``graphql.fastlane``, ``graphql.fasthit``) reads and writes of an HTTP
exchange as the middleware it stands in for does: the bearer token, the request id, and a
remembered response's headers filled for this request."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

LENGTH, REQUEST_ID = b"content-length", b"x-request-id"
LIMITS = frozenset((b"ratelimit", b"ratelimit-policy", b"retry-after"))
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def token(scope: Mapping[str, Any]) -> str | None:
    """The bearer token of the request ("" for another scheme), or None without one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, found = value.decode("latin-1").partition(" ")
            return found.strip() if scheme.lower() == "bearer" else ""
    return None


def request_id(scope: Mapping[str, Any]) -> str:
    """The request's id as ``RequestIdMiddleware`` takes it (when sane) or makes it up."""
    given = next((v.decode("latin-1") for k, v in scope["headers"] if k == REQUEST_ID), "")
    return given if _SANE.match(given) else new_request_id()


def new_request_id() -> str:
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


def filled(
    template: list[tuple[bytes, bytes]],
    body: bytes,
    request_id: bytes,
    limits: list[tuple[bytes, bytes]],
) -> list[tuple[bytes, bytes]]:
    """The recorded headers with this request's length, id and rate-limit fields."""
    fresh = dict(limits)
    out = []
    for name, value in template:
        if name == LENGTH:
            value = str(len(body)).encode()
        elif name == REQUEST_ID:
            value = request_id
        elif name in LIMITS:
            value = fresh.get(name, value)
        out.append((name, value))
    return out
