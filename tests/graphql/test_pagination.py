"""Keyset pagination over root lists: both directions, edges, and bad arguments."""

from __future__ import annotations

import httpx
from tests.helpers import gql

COALITIONS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  coalitions(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { code } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
ALL_CODES = ["BD", "DK", "IN", "KE", "MW", "NP", "VN"]


def _codes(body: dict) -> list[str]:
    return [e["node"]["code"] for e in body["data"]["coalitions"]["edges"]]


class TestForward:
    async def test_walks_every_row_once(self, client: httpx.AsyncClient) -> None:
        # given
        seen: list[str] = []
        after = None
        pages = 0
        # when
        while True:
            body = await gql(client, COALITIONS, {"first": 3, "after": after})
            conn = body["data"]["coalitions"]
            seen += _codes(body)
            pages += 1
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        # then
        assert seen == ALL_CODES
        assert pages == 3
        assert conn["totalCount"] == 7

    async def test_first_page_flags(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, COALITIONS, {"first": 2})
        info = body["data"]["coalitions"]["pageInfo"]
        assert _codes(body) == ["BD", "DK"]
        assert info["hasNextPage"] is True
        assert info["hasPreviousPage"] is False
        assert info["startCursor"] == body["data"]["coalitions"]["edges"][0]["cursor"]

    async def test_exact_fit_has_no_next_page(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, COALITIONS, {"first": 7})
        assert _codes(body) == ALL_CODES
        assert body["data"]["coalitions"]["pageInfo"]["hasNextPage"] is False

    async def test_after_the_last_row_is_empty(self, client: httpx.AsyncClient) -> None:
        last = await gql(client, COALITIONS, {"last": 1})
        cursor = last["data"]["coalitions"]["edges"][0]["cursor"]
        body = await gql(client, COALITIONS, {"first": 5, "after": cursor})
        conn = body["data"]["coalitions"]
        assert conn["edges"] == []
        assert conn["pageInfo"]["startCursor"] is None
        assert conn["pageInfo"]["hasNextPage"] is False

    async def test_first_zero_returns_no_edges_but_a_count(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, COALITIONS, {"first": 0})
        assert body["data"]["coalitions"]["edges"] == []
        assert body["data"]["coalitions"]["totalCount"] == 7


class TestBackward:
    async def test_walks_backward_to_the_start(self, client: httpx.AsyncClient) -> None:
        # given
        seen: list[str] = []
        before = None
        # when
        while True:
            body = await gql(client, COALITIONS, {"last": 3, "before": before})
            conn = body["data"]["coalitions"]
            seen = _codes(body) + seen
            if not conn["pageInfo"]["hasPreviousPage"]:
                break
            before = conn["pageInfo"]["startCursor"]
        # then
        assert seen == ALL_CODES

    async def test_last_page_flags(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, COALITIONS, {"last": 2})
        info = body["data"]["coalitions"]["pageInfo"]
        assert _codes(body) == ["NP", "VN"]
        assert info["hasPreviousPage"] is True
        assert info["hasNextPage"] is False

    async def test_between_after_and_before(self, client: httpx.AsyncClient) -> None:
        page = await gql(client, COALITIONS, {"first": 7})
        cursors = [e["cursor"] for e in page["data"]["coalitions"]["edges"]]
        body = await gql(
            client, COALITIONS, {"first": 10, "after": cursors[1], "before": cursors[5]}
        )
        assert _codes(body) == ["IN", "KE", "MW"]


class TestBadArguments:
    async def _error(self, client: httpx.AsyncClient, variables: dict) -> dict:
        body = await gql(client, COALITIONS, variables)
        assert body["data"] is None
        (error,) = body["errors"]
        return error

    async def test_first_over_100(self, client: httpx.AsyncClient) -> None:
        error = await self._error(client, {"first": 101})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "first"
        assert "100" in error["message"]

    async def test_negative_last(self, client: httpx.AsyncClient) -> None:
        error = await self._error(client, {"last": -1})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "last"

    async def test_first_and_last_together(self, client: httpx.AsyncClient) -> None:
        error = await self._error(client, {"first": 1, "last": 1})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"

    async def test_garbage_cursor(self, client: httpx.AsyncClient) -> None:
        error = await self._error(client, {"first": 1, "after": "not-a-cursor!"})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["reason"] == "INVALID_CURSOR"

    async def test_cursor_of_another_list_shape(self, client: httpx.AsyncClient) -> None:
        # A cursor with two keys does not fit the one-key coalition order.
        error = await self._error(client, {"first": 1, "after": "WyJhIiwxXQ"})
        assert error["extensions"]["reason"] == "INVALID_CURSOR"

    async def test_unknown_enum_value(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, "{ datasets(orderBy: SIDEWAYS) { totalCount } }")
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def test_syntax_error(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, "{ coalitions { ")
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
