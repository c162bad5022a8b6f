"""Turning global ids in mutation inputs into keys, with user errors for bad ones."""

from __future__ import annotations

from lnob_api.errors import InvalidInput
from lnob_api.graphql.ids import from_global_id


def pk_of(global_id: str, type_name: str, field: str) -> int:
    """The integer key of a ``type_name`` global id, or INVALID_ID on ``field``."""
    try:
        found_type, key = from_global_id(str(global_id), field)
    except InvalidInput:
        raise InvalidInput(field, f"{global_id!r} is not a valid id", code="INVALID_ID") from None
    if found_type != type_name or not key.isdigit():
        raise InvalidInput(field, f"{global_id!r} is not a {type_name} id", code="INVALID_ID")
    return int(key)
