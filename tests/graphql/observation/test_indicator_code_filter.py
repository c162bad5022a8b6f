"""``observations(filter: {indicators: [...]})``: one code (compared as ``= (lookup)``) and
several codes (``= ANY(...)``) keep the same rows in the same order."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.factories import create_coalition, create_dataset, create_observation
from tests.helpers import gql

from lnob_api.graphql.ids import to_global_id

QUERY = """
query($filter: ObservationFilter) {
  observations(filter: $filter, first: 50) { totalCount nodes { id indicator { code } } }
}
"""


async def _ids(client: httpx.AsyncClient, codes: list[str]) -> tuple[list[str], int]:
    body = await gql(client, QUERY, {"filter": {"indicators": codes}})
    assert "errors" not in body, body
    found = body["data"]["observations"]
    return [n["id"] for n in found["nodes"]], found["totalCount"]


def _gid(row: Any) -> str:
    return to_global_id("Observation", row["id"])


async def test_one_code_and_several_codes(conn: AsyncConnection, client: httpx.AsyncClient) -> None:
    # given
    coalition = await create_coalition(conn)
    one = await create_dataset(conn, coalition)
    two = await create_dataset(conn, coalition)
    rows = []
    for i, (dataset, code) in enumerate(
        [(one, "1.1.1"), (two, "4.5.1"), (two, "1.1.1"), (one, "4.5.1"), (one, "1.1.1")]
    ):
        rows.append(
            (code, await create_observation(conn, dataset, indicator=code, period=str(2000 + i)))
        )
    ones = [_gid(r) for c, r in rows if c == "1.1.1"]
    # when
    single = await _ids(client, ["1.1.1"])
    padded = await _ids(client, [" 1.1.1 "])
    twice = await _ids(client, ["1.1.1", "1.1.1"])
    both = await _ids(client, ["4.5.1", "1.1.1"])
    unknown = await _ids(client, ["9.9.9"])
    # then
    assert single == padded == twice == (ones, 3)
    assert both == ([_gid(r) for _, r in rows], 5)
    assert unknown == ([], 0)
