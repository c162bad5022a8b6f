"""Opaque global ids: base64 of ``Type:key``, as Relay's object identification expects."""

from __future__ import annotations

import base64
import binascii

from lnob_api.errors import InvalidInput


def to_global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def from_global_id(global_id: str, field: str = "id") -> tuple[str, str]:
    """Split a global id into (type name, key); BAD_USER_INPUT when it is not one of ours."""
    try:
        raw = base64.b64decode(global_id.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput(field, f"{global_id!r} is not a valid id", code="INVALID_ID") from None
    type_name, sep, key = raw.partition(":")
    if not sep or not type_name or not key:
        raise InvalidInput(field, f"{global_id!r} is not a valid id", code="INVALID_ID")
    return type_name, key
