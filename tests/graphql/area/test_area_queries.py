"""Areas on the GraphQL API: lookups, the ISO hierarchy, local areas, filters and pages."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import gql

from lnob_api import models

AREA = """
query($code: String!) {
  area(code: $code) {
    id code name level type countryCode
    parent { code }
    ancestors { code level }
    coalition { code }
  }
}
"""
CHILDREN = """
query($code: String!, $first: Int, $after: String) {
  area(code: $code) {
    children(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage }
      nodes { code level parent { code } }
    }
  }
}
"""
AREAS = """
query($filter: AreaFilter, $first: Int, $after: String, $last: Int, $before: String) {
  areas(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { code name level }
  }
}
"""
NODE = """
query($id: ID!) { node(id: $id) { id ... on Area { code name } } }
"""
COALITION_AREAS = """
query($code: String!) {
  coalition(code: $code) { areas(first: 10) { totalCount nodes { code level coalition { code } } } }
}
"""
DATASET_AREA = """
query($slug: String!) { dataset(slug: $slug) { areaCode area { code name level } } }
"""


async def _coalition(conn: AsyncConnection, code: str) -> Any:
    table = models.Coalition.__table__
    return (await conn.execute(sa.select(table).where(table.c.code == code))).mappings().one()


async def _create_local_area(
    conn: AsyncConnection, coalition: Any, parent_code: str, code: str, name: str
) -> Any:
    """A ward registered by ``coalition`` under the subdivision ``parent_code``."""
    table = models.Area.__table__
    parent = (
        (await conn.execute(sa.select(table).where(table.c.code == parent_code))).mappings().one()
    )
    values = {
        "code": code,
        "name": name,
        "level": "LOCAL",
        "type": "Ward",
        "country_code": parent["country_code"],
        "parent_code": parent_code,
        "ancestors": [*parent["ancestors"], parent_code],
        "coalition_id": coalition["id"],
    }
    return (await conn.execute(sa.insert(table).values(**values).returning(table))).mappings().one()


async def _codes(conn: AsyncConnection, where: Any) -> list[str]:
    table = models.Area.__table__
    return list(
        (await conn.execute(sa.select(table.c.code).where(where).order_by(table.c.code))).scalars()
    )


class TestAreaLookup:
    async def test_a_country_by_code_is_case_insensitive(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREA, {"code": " ke "})
        area = body["data"]["area"]
        assert area["code"] == "KE"
        assert area["name"] == "Kenya"
        assert area["level"] == "COUNTRY"
        assert area["countryCode"] == "KE"
        assert area["parent"] is None
        assert area["ancestors"] == []
        assert area["coalition"] is None

    async def test_a_subdivision_has_its_iso_type_and_parent(
        self, client: httpx.AsyncClient
    ) -> None:
        body = await gql(client, AREA, {"code": "KE-30"})
        area = body["data"]["area"]
        assert area["name"] == "Nairobi City"
        assert area["level"] == "SUBDIVISION"
        assert area["type"] == "County"
        assert area["parent"] == {"code": "KE"}
        assert area["coalition"] is None

    async def test_unknown_code_is_null(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREA, {"code": "ZZ-999"})
        assert body["data"]["area"] is None
        assert "errors" not in body

    async def test_ancestors_run_from_the_country_to_the_parent(
        self, client: httpx.AsyncClient
    ) -> None:
        # Dhaka district (BD-13) lies in Dhaka division (BD-C), in Bangladesh.
        body = await gql(client, AREA, {"code": "BD-13"})
        area = body["data"]["area"]
        assert area["type"] == "District"
        assert area["parent"] == {"code": "BD-C"}
        assert area["ancestors"] == [
            {"code": "BD", "level": "COUNTRY"},
            {"code": "BD-C", "level": "SUBDIVISION"},
        ]

    async def test_node_resolves_an_area_id(self, client: httpx.AsyncClient) -> None:
        found = await gql(client, AREA, {"code": "NP"})
        area_id = found["data"]["area"]["id"]
        body = await gql(client, NODE, {"id": area_id})
        assert body["data"]["node"] == {"id": area_id, "code": "NP", "name": "Nepal"}


class TestChildren:
    async def test_kenya_has_its_47_counties_in_code_order(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, CHILDREN, {"code": "KE", "first": 100})
        children = body["data"]["area"]["children"]
        codes = [n["code"] for n in children["nodes"]]
        assert children["totalCount"] == 47
        assert len(codes) == 47
        assert codes == sorted(codes)
        assert {n["level"] for n in children["nodes"]} == {"SUBDIVISION"}
        assert {n["parent"]["code"] for n in children["nodes"]} == {"KE"}
        assert children["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}

    async def test_children_are_paged(self, client: httpx.AsyncClient) -> None:
        first = await gql(client, CHILDREN, {"code": "KE", "first": 20})
        page = first["data"]["area"]["children"]
        assert len(page["nodes"]) == 20
        assert page["pageInfo"]["hasNextPage"] is True


class TestLocalAreas:
    async def test_a_local_area_hangs_under_its_parent_and_its_coalition(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given a ward registered by the Kenya coalition in Nairobi City
        kenya = await _coalition(conn, "KE")
        await _create_local_area(conn, kenya, "KE-30", "KE-30-W001", "Kibera Ward")
        # when
        local = (await gql(client, AREA, {"code": "ke-30-w001"}))["data"]["area"]
        parent = (await gql(client, CHILDREN, {"code": "KE-30", "first": 10}))["data"]["area"]
        owner = (await gql(client, COALITION_AREAS, {"code": "KE"}))["data"]["coalition"]
        # then
        assert local["level"] == "LOCAL"
        assert local["type"] == "Ward"
        assert local["parent"] == {"code": "KE-30"}
        assert [a["code"] for a in local["ancestors"]] == ["KE", "KE-30"]
        assert local["coalition"] == {"code": "KE"}
        assert [n["code"] for n in parent["children"]["nodes"]] == ["KE-30-W001"]
        assert owner["areas"] == {
            "totalCount": 1,
            "nodes": [{"code": "KE-30-W001", "level": "LOCAL", "coalition": {"code": "KE"}}],
        }

    async def test_a_coalition_without_local_areas_has_none(
        self, client: httpx.AsyncClient
    ) -> None:
        body = await gql(client, COALITION_AREAS, {"code": "DK"})
        assert body["data"]["coalition"]["areas"] == {"totalCount": 0, "nodes": []}

    async def test_local_areas_are_found_by_the_level_filter(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        nepal = await _coalition(conn, "NP")
        await _create_local_area(conn, nepal, "NP-P3", "NP-P3-W07", "Ward 7")
        body = await gql(client, AREAS, {"filter": {"level": "LOCAL", "country": "np"}})
        assert body["data"]["areas"]["nodes"] == [
            {"code": "NP-P3-W07", "name": "Ward 7", "level": "LOCAL"}
        ]


class TestAreaFilters:
    async def test_countries(self, client: httpx.AsyncClient, conn: AsyncConnection) -> None:
        expected = await _codes(conn, models.Area.level == "COUNTRY")
        body = await gql(client, AREAS, {"filter": {"level": "COUNTRY"}, "first": 100})
        areas = body["data"]["areas"]
        assert areas["totalCount"] == len(expected)
        assert len(expected) > 240
        assert [n["code"] for n in areas["nodes"]] == expected[:100]

    async def test_country_and_level(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        expected = await _codes(
            conn, sa.and_(models.Area.country_code == "BD", models.Area.level == "SUBDIVISION")
        )
        body = await gql(
            client, AREAS, {"filter": {"country": "bd", "level": "SUBDIVISION"}, "first": 100}
        )
        assert [n["code"] for n in body["data"]["areas"]["nodes"]] == expected
        assert "BD-13" in expected

    async def test_parent(self, client: httpx.AsyncClient, conn: AsyncConnection) -> None:
        expected = await _codes(conn, models.Area.parent_code == "BD-C")
        body = await gql(client, AREAS, {"filter": {"parent": "bd-c"}, "first": 100})
        codes = [n["code"] for n in body["data"]["areas"]["nodes"]]
        assert codes == expected
        assert "BD-13" in codes

    async def test_search_is_a_case_insensitive_name_match(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREAS, {"filter": {"search": "NAIROBI", "country": "KE"}})
        assert body["data"]["areas"]["nodes"] == [
            {"code": "KE-30", "name": "Nairobi City", "level": "SUBDIVISION"}
        ]

    async def test_search_escapes_like_wildcards(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREAS, {"filter": {"search": "%"}})
        assert body["data"]["areas"]["totalCount"] == 0

    async def test_unknown_country_gives_an_empty_page(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREAS, {"filter": {"country": "ZZ"}})
        assert body["data"]["areas"]["totalCount"] == 0
        assert body["data"]["areas"]["nodes"] == []


class TestAreaPagination:
    async def test_forward_then_backward(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        counties = await _codes(conn, models.Area.parent_code == "KE")
        by_parent = {"parent": "KE"}
        # forward: two pages of 10
        one = (await gql(client, AREAS, {"filter": by_parent, "first": 10}))["data"]["areas"]
        two = (
            await gql(
                client,
                AREAS,
                {"filter": by_parent, "first": 10, "after": one["pageInfo"]["endCursor"]},
            )
        )["data"]["areas"]
        assert [n["code"] for n in one["nodes"]] == counties[:10]
        assert [n["code"] for n in two["nodes"]] == counties[10:20]
        assert one["pageInfo"]["hasPreviousPage"] is False
        assert two["pageInfo"]["hasPreviousPage"] is True
        assert two["pageInfo"]["hasNextPage"] is True
        # backward: the 5 before the second page are the end of the first
        back = (
            await gql(
                client,
                AREAS,
                {"filter": by_parent, "last": 5, "before": two["pageInfo"]["startCursor"]},
            )
        )["data"]["areas"]
        assert [n["code"] for n in back["nodes"]] == counties[5:10]
        assert back["pageInfo"]["hasPreviousPage"] is True
        assert back["pageInfo"]["hasNextPage"] is True

    async def test_last_page_of_the_list(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        counties = await _codes(conn, models.Area.parent_code == "KE")
        body = await gql(client, AREAS, {"filter": {"parent": "KE"}, "last": 3})
        page = body["data"]["areas"]
        assert [n["code"] for n in page["nodes"]] == counties[-3:]
        assert page["pageInfo"]["hasPreviousPage"] is True
        assert page["pageInfo"]["hasNextPage"] is False

    async def test_a_foreign_cursor_is_refused(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREAS, {"first": 5, "after": "bm90LWEtY3Vyc29y"})
        extensions = body["errors"][0]["extensions"]
        assert (extensions["code"], extensions["reason"]) == ("BAD_USER_INPUT", "INVALID_CURSOR")


class TestDatasetArea:
    async def test_a_dataset_links_to_the_area_it_covers(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        kenya = await _coalition(conn, "KE")
        covered = await f.create_dataset(conn, kenya, area_code="KE-30")
        unknown = await f.create_dataset(conn, kenya, area_code=None)
        body = await gql(client, DATASET_AREA, {"slug": covered["slug"]})
        assert body["data"]["dataset"] == {
            "areaCode": "KE-30",
            "area": {"code": "KE-30", "name": "Nairobi City", "level": "SUBDIVISION"},
        }
        body = await gql(client, DATASET_AREA, {"slug": unknown["slug"]})
        assert body["data"]["dataset"] == {"areaCode": None, "area": None}
