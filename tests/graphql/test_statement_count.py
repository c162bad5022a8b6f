"""Nested queries cost a constant number of SQL statements, whatever the number of rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import gql

NESTED = """
query($codes: [String!]) {
  datasets(filter: {coalitions: $codes}, first: 50) {
    totalCount
    edges { node {
      title
      coalition { code members { role organisation { name } } }
      project { title targets { code goal { code } } datasets(first: 3) { totalCount nodes { slug } } }
      indicators { code target { code goal { code shortTitle } } }
    } }
  }
  sdgGoals { nodes { code targets { code indicators { code } } } }
}
"""


async def _build(conn: AsyncConnection, n: int) -> Any:
    coalition = await f.create_coalition(conn)
    for _ in range(2):
        await f.add_member(conn, coalition, await f.create_organisation(conn))
    for i in range(n):
        project = await f.create_project(conn, coalition)
        dataset = await f.create_dataset(conn, coalition, project_id=project["id"])
        for code in ("1.1.1", "10.2.1", "4.1.1")[: 1 + i % 3]:
            await f.link_indicator(conn, dataset, code)
    return coalition


class TestNestedStatementCount:
    async def test_constant_in_the_number_of_rows(
        self, client: Any, conn: AsyncConnection, statements: Any
    ) -> None:
        # given two coalitions of different sizes
        small = await _build(conn, 2)
        large = await _build(conn, 12)
        # when
        statements.count = 0
        small_body = await gql(client, NESTED, {"codes": [small["code"]]})
        small_count = statements.count
        statements.count = 0
        large_body = await gql(client, NESTED, {"codes": [large["code"]]})
        large_count = statements.count
        # then
        assert "errors" not in large_body
        assert small_body["data"]["datasets"]["totalCount"] == 2
        assert large_body["data"]["datasets"]["totalCount"] == 12
        assert large_count == small_count
        # one statement per relation level, not per row
        assert large_count <= 20
