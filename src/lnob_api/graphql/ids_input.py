"""Turning global ids in mutation inputs into keys, with user errors for bad ones; the base
inputs of the mutations that name a row and the ``rowVersion`` read."""

from __future__ import annotations

import strawberry

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


def pks_of(global_ids: list[strawberry.ID] | None, type_name: str, field: str) -> list[int] | None:
    """The integer keys of a filter's list of ``type_name`` global ids (None: no list), or
    INVALID_ID on ``field`` for the first that is not one."""
    if global_ids is None:
        return None
    pks = []
    for global_id in global_ids:
        found_type, key = from_global_id(global_id, field)
        if found_type != type_name or not key.isdigit():
            noun = type_name.lower()
            raise InvalidInput(field, f"{global_id!r} is not a {noun} id", code="INVALID_ID")
        pks.append(int(key))
    return pks


class _Row:
    id: strawberry.ID
    row_version: int

    def pk(self, type_name: str) -> int:
        """The key of the row ``id`` names (INVALID_ID on ``id`` unless a ``type_name`` id)."""
        return pk_of(self.id, type_name, "id")


@strawberry.input(name="VersionedInput")
class Versioned(_Row):
    """The fields every input that changes one row starts with: which row (``id``) and the
    ``rowVersion`` read (optimistic locking). Inherit it; the schema shows the fields inline."""

    id: strawberry.ID
    row_version: int


def row_input(name: str) -> type[Versioned]:
    """The input type called ``name`` with exactly :class:`Versioned`'s fields: the input of a
    mutation that names one row and nothing else (an archive, a delete)."""
    made = type(name, (Versioned,), {"__module__": __name__})
    return strawberry.input(made, name=name)


@strawberry.input(name="EditInput")
class Edit(_Row):
    """``Versioned`` for an update input, whose ``rowVersion`` says what to send."""

    id: strawberry.ID
    row_version: int = strawberry.field(description="The rowVersion you read.")
