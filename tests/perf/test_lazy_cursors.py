"""Cursors are encoded only when a query asks for them (an edge's ``cursor``, ``pageInfo``'s
``startCursor``/``endCursor``), and the lazily encoded ones page exactly as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.helpers import gql

from lnob_api.graphql import pagination

NODES = "{ coalitions(first: 3) { nodes { code } edges { node { code } } } }"
CURSORS = """query($after: String) { coalitions(first: 3, after: $after) {
  edges { cursor node { code } } pageInfo { startCursor endCursor hasNextPage } } }"""


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every row the connection layer encodes a cursor for."""
    seen: list[Any] = []
    real = pagination.cursor_of  # type: ignore[attr-defined]

    def counting(row: Any, order: Any) -> str:
        seen.append(row)
        return real(row, order)

    monkeypatch.setattr(pagination, "cursor_of", counting)
    yield seen


async def test_no_cursor_is_encoded_when_none_is_asked(
    client: httpx.AsyncClient, encoded: list[Any]
) -> None:
    body = await gql(client, NODES)
    page = body["data"]["coalitions"]
    assert [n["code"] for n in page["nodes"]] == ["BD", "DK", "IN"]
    assert [e["node"]["code"] for e in page["edges"]] == ["BD", "DK", "IN"]
    assert encoded == []


async def test_asked_cursors_are_encoded_and_page_on(
    client: httpx.AsyncClient, encoded: list[Any]
) -> None:
    first = (await gql(client, CURSORS))["data"]["coalitions"]
    cursors = [e["cursor"] for e in first["edges"]]
    assert len(encoded) == 3 + 2  # three edges, the page's start and end
    assert first["pageInfo"]["startCursor"] == cursors[0]
    assert first["pageInfo"]["endCursor"] == cursors[-1]
    assert len(set(cursors)) == 3
    second = (await gql(client, CURSORS, {"after": cursors[-1]}))["data"]["coalitions"]
    assert [e["node"]["code"] for e in second["edges"]] == ["KE", "MW", "NP"]
    middle = (await gql(client, CURSORS, {"after": cursors[0]}))["data"]["coalitions"]
    assert [e["node"]["code"] for e in middle["edges"]] == ["DK", "IN", "KE"]


async def test_the_eager_setting_gives_the_same_cursors(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lazy = (await gql(client, CURSORS))["data"]["coalitions"]
    monkeypatch.setattr(pagination, "EAGER_CURSORS", True)
    eager = (await gql(client, CURSORS))["data"]["coalitions"]
    assert eager == lazy
