"""Turning global ids in mutation inputs into keys, with user errors for bad ones."""

from __future__ import annotations

from lnob_api.errors import InvalidInput
from lnob_api.graphql.ids import from_global_id, int_key


def pk_of(global_id: str, type_name: str, field: str) -> int:
    """The integer key of a ``type_name`` global id, or INVALID_ID on ``field``."""
    shown = str(global_id)[:80]
    try:
        found_type, key = from_global_id(str(global_id), field)
    except InvalidInput:
        raise InvalidInput(field, f"{shown!r} is not a valid id", code="INVALID_ID") from None
    try:
        if found_type != type_name:
            raise ValueError(found_type)
        return int_key(key)
    except ValueError:
        raise InvalidInput(field, f"{shown!r} is not a {type_name} id", code="INVALID_ID") from None
