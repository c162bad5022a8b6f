"""Opaque global ids: base64 of ``Type:key``, as Relay's object identification expects."""

from __future__ import annotations

import base64
import binascii

import strawberry

from lnob_api.errors import InvalidInput

# Every primary key is a PostgreSQL bigint: a numeric key outside it cannot name a row, and
# would fail in the driver instead of answering "not a valid id".
MAX_KEY = 2**63 - 1


def to_global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def global_id(type_name: str, key: object) -> strawberry.ID:
    """The global id of a ``type_name`` row, as a GraphQL ``ID`` value."""
    return strawberry.ID(to_global_id(type_name, key))


def from_global_id(global_id: str, field: str = "id") -> tuple[str, str]:
    """Split a global id into (type name, key); BAD_USER_INPUT when it is not one of ours.

    A key made of digits is canonical (ASCII digits, within a bigint), so callers may turn it
    into an int without further checks."""
    try:
        raw = base64.b64decode(global_id.encode(), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise _invalid(global_id, field) from None
    type_name, sep, key = raw.partition(":")
    if not sep or not type_name or not key or "\x00" in raw:
        raise _invalid(global_id, field)
    if key.isdigit() and (not key.isascii() or len(key) > 19 or int(key) > MAX_KEY):
        raise _invalid(global_id, field)
    return type_name, key


def int_key(key: str) -> int:
    """A canonical numeric key (see ``from_global_id``); ValueError for anything else."""
    if not (key.isascii() and key.isdigit()) or len(key) > 19 or int(key) > MAX_KEY:
        raise ValueError(f"{key!r} is not a key")
    return int(key)


def _invalid(global_id: str, field: str) -> InvalidInput:
    shown = global_id if len(global_id) <= 80 else global_id[:80] + "..."
    return InvalidInput(field, f"{shown!r} is not a valid id", code="INVALID_ID")
