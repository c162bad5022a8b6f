"""``db.rows.columns``: the columns that fill a record, from the first table that has each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lnob_api.db.rows import columns
from lnob_api.models.tables import oauth_clients, refresh_tokens


@dataclass(frozen=True, slots=True)
class _Token:
    id: int
    client_id: str
    created_at: str
    extra: int = 0


@dataclass(frozen=True, slots=True)
class _Missing:
    id: int
    nowhere: str


def test_fields_in_order_first_table_wins_defaults_left_out() -> None:
    found = columns(_Token, refresh_tokens, oauth_clients)
    assert [str(c) for c in found] == [
        "refresh_tokens.id",
        "oauth_clients.client_id",
        "refresh_tokens.created_at",
    ]


def test_a_field_without_column_or_default_is_refused() -> None:
    with pytest.raises(AssertionError, match="no column for nowhere"):
        columns(_Missing, refresh_tokens)


def test_a_named_column_fills_its_field_under_the_field_name_before_any_table() -> None:
    found = columns(_Token, refresh_tokens, client_id=oauth_clients.c.name)
    assert [c.name for c in found] == ["id", "client_id", "created_at"]
    assert [str(c.element) if hasattr(c, "element") else str(c) for c in found] == [
        "refresh_tokens.id",
        "oauth_clients.name",
        "refresh_tokens.created_at",
    ]


def test_a_named_column_that_is_no_field_is_refused() -> None:
    with pytest.raises(AssertionError, match="named: not a field"):
        columns(_Token, refresh_tokens, nowhere=oauth_clients.c.name)
