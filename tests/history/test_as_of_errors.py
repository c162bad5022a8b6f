"""Bad ``asOf`` input, on every channel: an instant in the future, a malformed one, one
combined with an incremental pull, and SDMX's ``includeHistory=true`` (not offered) give
errors that name the parameter, never a 500 and never data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.export.export_world import build_world
from tests.helpers import gql
from tests.sdmx.sdmx_errors import error_of

from lnob_api.auth.keys import KeyStore

FUTURE = (datetime.now(UTC) + timedelta(days=1)).isoformat()
PAST = "2020-01-01T00:00:00Z"


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    w = await build_world(conn, signing_keys)
    w["sdmx"] = f"/sdmx/3.0/data/dataflow/LNOB/DF_LNOB_{w['a']['code']}/1.0"
    return w


GRAPHQL = [
    ("query($t: DateTime) { observations(asOf: $t, first: 1) { totalCount } }", {"t": FUTURE}),
    ("query($t: DateTime) { datasets(asOf: $t, first: 1) { totalCount } }", {"t": FUTURE}),
    (
        'query($t: DateTime) { indicatorSeries(indicator: "1.1.1", asOf: $t) { areaCode } }',
        {"t": FUTURE},
    ),
]


class TestGraphql:
    @pytest.mark.parametrize(("query", "variables"), GRAPHQL)
    async def test_a_future_instant_is_a_user_error_naming_as_of(
        self, client: httpx.AsyncClient, world: dict[str, Any], query: str, variables: Any
    ) -> None:
        body = await gql(client, query, variables)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "asOf"
        assert error["extensions"]["reason"] == "IN_FUTURE"
        assert "future" in error["message"]
        assert body["data"] is None or not any(body["data"].values())

    async def test_a_malformed_instant_names_as_of(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        query = '{ observations(asOf: "last tuesday", first: 1) { totalCount } }'
        body = await gql(client, query)
        # GraphQL's own DateTime validation: the message names the type and the value
        (error,) = body["errors"]
        assert "DateTime" in error["message"] and "last tuesday" in error["message"]
        assert body.get("data") is None

    async def test_as_of_with_updated_since_is_refused(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        query = """query($t: DateTime, $s: DateTime) {
          observations(asOf: $t, filter: {updatedSince: $s}, first: 1) { totalCount } }"""
        body = await gql(client, query, {"t": PAST, "s": PAST})
        (error,) = body["errors"]
        assert error["extensions"]["field"] == "asOf"
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["reason"] == "INCOMPATIBLE"
        assert "updatedSince" in error["message"]

    async def test_a_past_instant_before_anything_was_published_is_empty(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        query = """query($t: DateTime) { observations(asOf: $t, first: 5) { totalCount }
          datasets(asOf: $t, first: 5) { totalCount } }"""
        today = await gql(client, "{ observations(first: 5) { totalCount } }")
        body = await gql(client, query, {"t": PAST})
        assert "errors" not in body, body
        assert today["data"]["observations"]["totalCount"] > 0
        assert body["data"] == {
            "observations": {"totalCount": 0},
            "datasets": {"totalCount": 0},
        }


class TestCsv:
    @pytest.mark.parametrize(
        ("params", "said"),
        [
            ({"asOf": FUTURE}, "future"),
            ({"asOf": "soon"}, "ISO 8601"),
            ({"asOf": PAST, "updatedSince": PAST}, "updatedSince"),
            ({"asOf": [PAST, PAST]}, "once"),
        ],
    )
    async def test_bad_as_of_is_a_400_naming_it(
        self, client: httpx.AsyncClient, world: dict[str, Any], params: Any, said: str
    ) -> None:
        response = await client.get("/exports/observations.csv", params=params)
        assert response.status_code == 400, response.text
        assert "asOf" in response.text and said in response.text


class TestSdmx:
    @pytest.mark.parametrize(
        ("params", "said"),
        [
            ({"asOf": FUTURE}, "future"),
            ({"asOf": "soon"}, "ISO 8601"),
            ({"asOf": PAST, "updatedAfter": PAST}, "updatedAfter"),
            ({"asOf": "2020-01-01T00:00:00Z", "updatedAfter": "2021-01-01T00:00:00Z"}, "recent"),
            ({"includeHistory": "true", "updatedAfter": PAST}, "includeHistory"),
            ({"includeHistory": "perhaps"}, "includeHistory"),
        ],
    )
    async def test_bad_as_of_is_an_sdmx_error_message(
        self, client: httpx.AsyncClient, world: dict[str, Any], params: Any, said: str
    ) -> None:
        response = await client.get(world["sdmx"], params=params)
        assert response.status_code == 400, response.text
        code, text = error_of(response)
        assert code == 140
        assert said in text

    async def test_include_history_false_and_a_past_instant_are_accepted(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        csv2 = {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}
        today = await client.get(world["sdmx"], params={"includeHistory": "false"}, headers=csv2)
        before = await client.get(world["sdmx"], params={"asOf": PAST}, headers=csv2)
        assert today.status_code == 200, today.text
        assert before.status_code == 404  # SDMX "No results found": nothing published then
        assert error_of(before)[0] == 100
