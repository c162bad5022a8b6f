"""Nested pages (``page_by_parent``) reuse SQLAlchemy's compiled statement across requests.

The parent keys are one array parameter, so the statement has a cache key: the second request
with other parents finds it compiled (it was "no key", compiled anew each time, with VALUES).
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine.default import CACHE_HIT, CACHE_MISS
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

QUERY = """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 20) {
  nodes { slug observations(first: 2) { nodes { period value } } } } }"""


async def test_nested_page_statement_is_compiled_once(
    conn: AsyncConnection, client: httpx.AsyncClient
) -> None:
    codes = []
    for _ in range(2):
        coalition = await f.create_coalition(conn)
        codes.append(coalition["code"])
        for _ in range(2):
            dataset = await f.create_dataset(conn, coalition)
            for year in ("2019", "2020", "2021"):
                await f.create_observation(conn, dataset, period=year)

    seen: list[Any] = []

    def note(_conn: Any, _cursor: Any, statement: str, _p: Any, context: Any, _m: Any) -> None:
        if "LATERAL" in statement:
            seen.append(context.cache_hit)

    event.listen(conn.sync_connection, "after_cursor_execute", note)  # type: ignore[arg-type]
    try:
        bodies = []
        for code in codes:  # other coalition, other datasets: other parent keys, same shape
            response = await client.post(
                "/graphql", json={"query": QUERY, "variables": {"c": [code]}}
            )
            bodies.append(response.json())
    finally:
        event.remove(conn.sync_connection, "after_cursor_execute", note)  # type: ignore[arg-type]

    for body in bodies:
        assert "errors" not in body
        nodes = body["data"]["datasets"]["nodes"]
        assert len(nodes) == 2
        periods = [[o["period"] for o in n["observations"]["nodes"]] for n in nodes]
        assert periods == [["2019", "2020"], ["2019", "2020"]]
    assert len(seen) == 2
    assert seen[0] in (CACHE_MISS, CACHE_HIT)  # HIT when an earlier test compiled it
    assert seen[1] is CACHE_HIT
