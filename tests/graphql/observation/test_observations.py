"""Observations over GraphQL: root and nested lists, fields, pagination, and batched loading."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.factories import create_coalition, create_dataset, create_observation
from tests.helpers import gql

from lnob_api.graphql.ids import to_global_id

OBSERVATIONS = """
query($filter: ObservationFilter, $first: Int, $after: String, $last: Int, $before: String) {
  observations(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id value } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

FIELDS = """
query {
  observations(first: 10) {
    nodes {
      id value suppressed unit obsStatus sampleSize areaCode period periodStart periodEnd
      sex age disabilityStatus urbanisation group comment updatedAt
      dimensions { name value }
      dataset { title }
      indicator { code }
      area { code level }
    }
  }
}
"""

DATASET_OBSERVATIONS = """
query($slug: String!, $filter: ObservationFilter) {
  dataset(slug: $slug) {
    observations(filter: $filter, first: 10) { totalCount nodes { id period } }
  }
}
"""

INDICATOR_OBSERVATIONS = """
query($code: String!) {
  indicator(code: $code) { observations(first: 10) { totalCount nodes { id } } }
}
"""

TWO_FILTERS = """
query {
  datasets(first: 10) {
    nodes {
      women: observations(filter: {sex: ["F"]}) { nodes { sex } }
      men: observations(filter: {sex: ["M"]}) { nodes { sex } }
      all: observations { totalCount }
    }
  }
}
"""

NESTED = """
query {
  datasets(first: 10) {
    edges { node { observations(first: 5) { edges { node {
      value indicator { code target { goal { code } } }
    } } } } }
  }
}
"""


def gid(row: Any) -> str:
    return to_global_id("Observation", row["id"])


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def yearly(conn: AsyncConnection, dataset: Any, years: range, **overrides: Any) -> list[Any]:
    """One observation per year of ``years`` in ``dataset``."""
    return [await create_observation(conn, dataset, period=str(y), **overrides) for y in years]


class TestRootList:
    async def test_lists_observations_in_id_order(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        first, second = await create_dataset(conn, coalition), await create_dataset(conn, coalition)
        rows = await yearly(conn, first, range(2018, 2020)) + await yearly(
            conn, second, range(2020, 2022)
        )
        # when
        data = ok(await gql(client, OBSERVATIONS, {"first": 10}))
        # then
        assert [e["node"]["id"] for e in data["observations"]["edges"]] == [gid(r) for r in rows]
        assert data["observations"]["totalCount"] == 4

    async def test_returns_every_field(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        dataset = await create_dataset(conn, coalition, title="Disability survey")
        row = await create_observation(
            conn,
            dataset,
            indicator="1.2.1",
            area_code="KE-30",
            period="2019-Q2",
            period_start=date(2019, 4, 1),
            period_end=date(2019, 6, 30),
            value=41.5,
            obs_status="E",
            sample_size=220,
            sex="F",
            age="Y15T24",
            disability_status="PD",
            urbanisation="R",
            group_code="PWD",
            comment="Community survey",
            dimensions={"TENURE": "RENT", "EDUCATION_LEV": "ISCED11_1", "ROUND": 2},
        )
        # when
        data = ok(await gql(client, FIELDS))
        # then
        node = data["observations"]["nodes"][0]
        assert node == {
            "id": gid(row),
            "value": 41.5,
            "suppressed": False,
            "unit": "PERCENT",
            "obsStatus": "E",
            "sampleSize": 220,
            "areaCode": "KE-30",
            "period": "2019-Q2",
            "periodStart": "2019-04-01",
            "periodEnd": "2019-06-30",
            "sex": "F",
            "age": "Y15T24",
            "disabilityStatus": "PD",
            "urbanisation": "R",
            "group": "PWD",
            "comment": "Community survey",
            "updatedAt": node["updatedAt"],
            "dimensions": [
                {"name": "EDUCATION_LEV", "value": "ISCED11_1"},
                {"name": "ROUND", "value": "2"},
                {"name": "TENURE", "value": "RENT"},
            ],
            "dataset": {"title": "Disability survey"},
            "indicator": {"code": "1.2.1"},
            "area": {"code": "KE-30", "level": "SUBDIVISION"},
        }

    async def test_dimensions_default_to_totals(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        await create_observation(conn, await create_dataset(conn, await create_coalition(conn)))
        # when
        data = ok(await gql(client, FIELDS))
        # then
        node = data["observations"]["nodes"][0]
        assert [node[k] for k in ("sex", "age", "disabilityStatus", "urbanisation", "group")] == [
            "_T"
        ] * 5
        assert node["dimensions"] == []
        assert node["obsStatus"] == "A"

    async def test_node_returns_a_visible_observation(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        row = await create_observation(
            conn, await create_dataset(conn, await create_coalition(conn))
        )
        query = "query($id: ID!) { node(id: $id) { id ... on Observation { value period } } }"
        # when
        data = ok(await gql(client, query, {"id": gid(row)}))
        # then
        assert data["node"] == {"id": gid(row), "value": 12.5, "period": "2020"}


class TestNestedLists:
    async def test_dataset_lists_its_own_observations(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        mine, other = await create_dataset(conn, coalition), await create_dataset(conn, coalition)
        rows = await yearly(conn, mine, range(2017, 2020))
        await yearly(conn, other, range(2017, 2020))
        # when
        data = ok(await gql(client, DATASET_OBSERVATIONS, {"slug": mine["slug"]}))
        # then
        found = data["dataset"]["observations"]
        assert [n["id"] for n in found["nodes"]] == [gid(r) for r in rows]
        assert found["totalCount"] == 3

    async def test_dataset_observations_take_a_filter(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        dataset = await create_dataset(conn, await create_coalition(conn))
        await yearly(conn, dataset, range(2015, 2021))
        variables = {"slug": dataset["slug"], "filter": {"periodFrom": "2017", "periodTo": "2018"}}
        # when
        data = ok(await gql(client, DATASET_OBSERVATIONS, variables))
        # then
        found = data["dataset"]["observations"]
        assert [n["period"] for n in found["nodes"]] == ["2017", "2018"]
        assert found["totalCount"] == 2

    async def test_indicator_lists_observations_across_datasets(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        first, second = await create_dataset(conn, coalition), await create_dataset(conn, coalition)
        wanted = [
            await create_observation(conn, first, indicator="4.5.1"),
            await create_observation(conn, second, indicator="4.5.1"),
        ]
        await create_observation(conn, first, indicator="1.1.1")
        # when
        data = ok(await gql(client, INDICATOR_OBSERVATIONS, {"code": "4.5.1"}))
        # then
        found = data["indicator"]["observations"]
        assert [n["id"] for n in found["nodes"]] == [gid(r) for r in wanted]
        assert found["totalCount"] == 2

    async def test_sibling_lists_with_different_filters_stay_apart(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        for _ in range(2):
            dataset = await create_dataset(conn, coalition)
            await create_observation(conn, dataset, sex="F")
            await create_observation(conn, dataset, sex="M")
            await create_observation(conn, dataset)
        # when
        data = ok(await gql(client, TWO_FILTERS))
        # then
        for node in data["datasets"]["nodes"]:
            assert node["women"]["nodes"] == [{"sex": "F"}]
            assert node["men"]["nodes"] == [{"sex": "M"}]
            assert node["all"]["totalCount"] == 3


class TestPagination:
    async def _walk(self, client: httpx.AsyncClient, *, forward: bool) -> list[list[str]]:
        pages: list[list[str]] = []
        cursor = None
        while True:
            args = {"first": 3, "after": cursor} if forward else {"last": 3, "before": cursor}
            conn = ok(await gql(client, OBSERVATIONS, args))["observations"]
            pages.append([e["node"]["id"] for e in conn["edges"]])
            info = conn["pageInfo"]
            if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
                return pages
            cursor = info["endCursor"] if forward else info["startCursor"]

    async def test_forward_walks_three_pages_without_gaps(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        rows = await yearly(
            conn, await create_dataset(conn, await create_coalition(conn)), range(2014, 2021)
        )
        # when
        pages = await self._walk(client, forward=True)
        # then
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [i for p in pages for i in p] == [gid(r) for r in rows]

    async def test_backward_walks_three_pages_without_gaps(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        rows = await yearly(
            conn, await create_dataset(conn, await create_coalition(conn)), range(2014, 2021)
        )
        # when
        pages = await self._walk(client, forward=False)
        # then
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [i for p in reversed(pages) for i in p] == [gid(r) for r in rows]

    async def test_nested_pages_follow_cursors(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        dataset = await create_dataset(conn, await create_coalition(conn))
        rows = await yearly(conn, dataset, range(2014, 2021))
        query = """
        query($slug: String!, $after: String) { dataset(slug: $slug) {
          observations(first: 3, after: $after) {
            nodes { id } pageInfo { hasNextPage endCursor }
          } } }
        """
        seen: list[str] = []
        after = None
        # when
        for _ in range(3):
            found = ok(await gql(client, query, {"slug": dataset["slug"], "after": after}))
            page = found["dataset"]["observations"]
            seen += [n["id"] for n in page["nodes"]]
            after = page["pageInfo"]["endCursor"]
        # then
        assert seen == [gid(r) for r in rows]
        assert page["pageInfo"]["hasNextPage"] is False

    async def test_page_size_is_capped(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, OBSERVATIONS, {"first": 101})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestBatching:
    async def _count(
        self, client: httpx.AsyncClient, statements: Any
    ) -> tuple[int, dict[str, Any]]:
        statements.count = 0
        data = ok(await gql(client, NESTED))
        return statements.count, data

    async def test_nested_observations_cost_the_same_for_2_or_10_datasets(
        self, conn: AsyncConnection, client: httpx.AsyncClient, statements: Any
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        codes = ["1.1.1", "1.2.1", "4.5.1", "5.5.1"]

        made: list[Any] = []

        async def datasets(n: int) -> None:
            for _ in range(n):
                code = codes[len(made) % len(codes)]
                made.append(await create_dataset(conn, coalition))
                await yearly(conn, made[-1], range(2016, 2021), indicator=code)

        await datasets(2)
        # when
        small, small_data = await self._count(client, statements)
        await datasets(8)
        large, large_data = await self._count(client, statements)
        # then
        assert len(small_data["datasets"]["edges"]) == 2
        edges = large_data["datasets"]["edges"]
        assert len(edges) == 10
        assert all(len(e["node"]["observations"]["edges"]) == 5 for e in edges)
        goal = edges[2]["node"]["observations"]["edges"][0]["node"]["indicator"]["target"]["goal"]
        assert goal == {"code": 4}
        assert large == small, (small, large)
