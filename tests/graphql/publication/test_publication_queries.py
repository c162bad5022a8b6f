"""Publications on the GraphQL API: the seeded material, visibility, relations, filters, orders."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import gql, principal_client

from lnob_api import models
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.models.enums import CoalitionRole

FLYER = "leave-no-one-behind-partnership-flyer"
PILOTS = ["BD", "IN", "KE", "NP", "VN"]

PUBLICATIONS = """
query($filter: PublicationFilter, $order: PublicationOrder, $first: Int, $after: String,
      $last: Int, $before: String) {
  publications(filter: $filter, orderBy: $order, first: $first, after: $after,
               last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { slug kind fileUrl }
  }
}
"""
PUBLICATION = """
query($id: ID, $slug: String) {
  publication(id: $id, slug: $slug) {
    id slug title description kind language publishedOn fileUrl visibility isDemo
    owner { code }
    coalitions { code }
    targets { code }
    datasets { slug }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Publication { slug } } }"
COALITION_PUBLICATIONS = """
query($code: String!) {
  coalition(code: $code) { publications(first: 50) { totalCount nodes { slug } } }
}
"""
DATASET_PUBLICATIONS = "query($slug: String!) { dataset(slug: $slug) { publications { slug } } }"
TARGET_PUBLICATIONS = "query($code: String!) { sdgTarget(code: $code) { publications { slug } } }"
NESTED = """
{ publications(first: 20) { edges { node {
    coalitions { code } targets { code } datasets { title } owner { code }
} } } }
"""


def _gid(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _slugs(connection: dict[str, Any]) -> list[str]:
    return [n["slug"] for n in connection["nodes"]]


def viewer_of(coalition_id: int) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        user_id=1,
        member_coalition_ids=frozenset({coalition_id}),
        coalition_roles={coalition_id: CoalitionRole.VIEWER},
        scopes=frozenset({"data:read"}),
    )


async def _coalition(conn: AsyncConnection, code: str) -> Any:
    table = models.Coalition.__table__
    return (await conn.execute(sa.select(table).where(table.c.code == code))).mappings().one()


async def _link(conn: AsyncConnection, model: Any, publication: Any, **values: Any) -> None:
    await conn.execute(
        sa.insert(model.__table__).values(publication_id=publication["id"], **values)
    )


async def _hidden_publication(conn: AsyncConnection, code: str = "KE") -> tuple[Any, Any]:
    """A publication only the coalition's insiders may see, about that coalition."""
    coalition = await _coalition(conn, code)
    hidden = await f.create_publication(
        conn, coalition, visibility="COALITION", title="Internal scorecard review"
    )
    await _link(conn, models.PublicationCoalition, hidden, coalition_id=coalition["id"])
    return coalition, hidden


async def _seeded_count(conn: AsyncConnection) -> int:
    table = models.Publication.__table__
    return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


class TestSeededPublications:
    async def test_visible_to_anonymous_without_file_urls(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        body = await gql(client, PUBLICATIONS, {"first": 50})
        publications = body["data"]["publications"]
        assert publications["totalCount"] == await _seeded_count(conn)
        assert FLYER in _slugs(publications)
        assert {n["fileUrl"] for n in publications["nodes"]} == {None}

    async def test_the_partnership_flyer(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, PUBLICATION, {"slug": FLYER})
        flyer = body["data"]["publication"]
        assert flyer["kind"] == "FLYER"
        assert flyer["language"] == "en"
        assert flyer["visibility"] == "PUBLIC"
        assert flyer["isDemo"] is False
        assert flyer["publishedOn"] is None
        assert flyer["fileUrl"] is None
        assert flyer["owner"] is None
        assert [c["code"] for c in flyer["coalitions"]] == PILOTS
        assert flyer["targets"] == []
        assert flyer["datasets"] == []

    async def test_a_country_summary_is_owned_by_its_coalition(
        self, client: httpx.AsyncClient
    ) -> None:
        body = await gql(
            client, PUBLICATIONS, {"filter": {"kind": "COUNTRY_SUMMARY", "search": "kenya"}}
        )
        [summary] = body["data"]["publications"]["nodes"]
        detail = (await gql(client, PUBLICATION, {"slug": summary["slug"]}))["data"]["publication"]
        assert detail["owner"] == {"code": "KE"}
        assert detail["coalitions"] == [{"code": "KE"}]

    async def test_lookup_by_id_and_node(self, client: httpx.AsyncClient) -> None:
        flyer = (await gql(client, PUBLICATION, {"slug": FLYER}))["data"]["publication"]
        by_id = await gql(client, PUBLICATION, {"id": flyer["id"]})
        node = await gql(client, NODE, {"id": flyer["id"]})
        assert by_id["data"]["publication"] == flyer
        assert node["data"]["node"] == {"id": flyer["id"], "slug": FLYER}


class TestPublicationLookupArguments:
    async def test_needs_exactly_one_of_id_or_slug(self, client: httpx.AsyncClient) -> None:
        for variables in ({}, {"id": _gid("Publication", 1), "slug": FLYER}):
            body = await gql(client, PUBLICATION, variables)
            extensions = body["errors"][0]["extensions"]
            assert (extensions["code"], extensions["reason"]) == (
                "BAD_USER_INPUT",
                "INVALID_ARGUMENT",
            )

    async def test_an_id_of_another_type_is_null(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, PUBLICATION, {"id": _gid("Dataset", 1)})
        assert body["data"]["publication"] is None
        assert "errors" not in body

    async def test_unknown_slug_is_null(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, PUBLICATION, {"slug": "no-such-publication"})
        assert body["data"]["publication"] is None


class TestPublicationVisibility:
    async def test_a_coalition_publication_looks_missing_to_anonymous(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given
        public_count = await _seeded_count(conn)
        _, hidden = await _hidden_publication(conn)
        hidden_id = _gid("Publication", hidden["id"])
        # when
        by_slug = await gql(client, PUBLICATION, {"slug": hidden["slug"]})
        # asked right after, with the same rate-limit budget: the lists below spend some of
        # it, and the budget left (throttleStatus) refills with time, not with what was seen
        missing = await gql(client, PUBLICATION, {"slug": "no-such-publication"})
        by_id = await gql(client, PUBLICATION, {"id": hidden_id})
        node = await gql(client, NODE, {"id": hidden_id})
        listed = await gql(client, PUBLICATIONS, {"first": 50})
        of_kenya = await gql(client, COALITION_PUBLICATIONS, {"code": "KE"})
        # then: exactly what a missing row gives
        assert by_slug == missing
        assert by_id["data"] == {"publication": None}
        assert node["data"] == {"node": None} and "errors" not in node
        assert listed["data"]["publications"]["totalCount"] == public_count
        assert hidden["slug"] not in _slugs(listed["data"]["publications"])
        assert hidden["slug"] not in _slugs(of_kenya["data"]["coalition"]["publications"])

    async def test_a_coalition_publication_is_visible_to_an_insider(
        self, app: Any, conn: AsyncConnection
    ) -> None:
        # given
        public_count = await _seeded_count(conn)
        coalition, hidden = await _hidden_publication(conn)
        hidden_id = _gid("Publication", hidden["id"])
        # when
        async with principal_client(app, viewer_of(coalition["id"])) as insider:
            by_slug = await gql(insider, PUBLICATION, {"slug": hidden["slug"]})
            node = await gql(insider, NODE, {"id": hidden_id})
            listed = await gql(insider, PUBLICATIONS, {"first": 50})
            of_kenya = await gql(insider, COALITION_PUBLICATIONS, {"code": "KE"})
        # then
        assert by_slug["data"]["publication"]["visibility"] == "COALITION"
        assert by_slug["data"]["publication"]["owner"] == {"code": "KE"}
        assert node["data"]["node"] == {"id": hidden_id, "slug": hidden["slug"]}
        assert listed["data"]["publications"]["totalCount"] == public_count + 1
        assert hidden["slug"] in _slugs(of_kenya["data"]["coalition"]["publications"])

    async def test_another_coalitions_insider_does_not_see_it(
        self, app: Any, conn: AsyncConnection
    ) -> None:
        _, hidden = await _hidden_publication(conn, "KE")
        nepal = await _coalition(conn, "NP")
        async with principal_client(app, viewer_of(nepal["id"])) as outsider:
            body = await gql(outsider, PUBLICATION, {"slug": hidden["slug"]})
        assert body["data"]["publication"] is None

    async def test_datasets_of_a_publication_follow_dataset_visibility(
        self, client: httpx.AsyncClient, app: Any, conn: AsyncConnection
    ) -> None:
        # given a public publication drawing on a public and a coalition-only dataset
        kenya = await _coalition(conn, "KE")
        open_data = await f.create_dataset(conn, kenya, visibility="PUBLIC")
        closed_data = await f.create_dataset(conn, kenya, visibility="COALITION")
        publication = await f.create_publication(conn, kenya)
        for dataset in (open_data, closed_data):
            await _link(conn, models.PublicationDataset, publication, dataset_id=dataset["id"])
        # when
        anonymous = await gql(client, PUBLICATION, {"slug": publication["slug"]})
        async with principal_client(app, viewer_of(kenya["id"])) as insider:
            inside = await gql(insider, PUBLICATION, {"slug": publication["slug"]})
        # then
        assert anonymous["data"]["publication"]["datasets"] == [{"slug": open_data["slug"]}]
        assert inside["data"]["publication"]["datasets"] == [
            {"slug": open_data["slug"]},
            {"slug": closed_data["slug"]},
        ]


class TestPublicationRelations:
    async def test_targets_and_the_reverse_lists(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given
        kenya = await _coalition(conn, "KE")
        dataset = await f.create_dataset(conn, kenya)
        publication = await f.create_publication(conn, kenya, kind="POLICY_BRIEF")
        for code in ("10.2", "1.3"):
            await _link(conn, models.PublicationTarget, publication, target_code=code)
        await _link(conn, models.PublicationDataset, publication, dataset_id=dataset["id"])
        await _link(conn, models.PublicationCoalition, publication, coalition_id=kenya["id"])
        # when
        detail = await gql(client, PUBLICATION, {"slug": publication["slug"]})
        by_target = await gql(client, TARGET_PUBLICATIONS, {"code": "10.2"})
        by_dataset = await gql(client, DATASET_PUBLICATIONS, {"slug": dataset["slug"]})
        by_coalition = await gql(client, COALITION_PUBLICATIONS, {"code": "KE"})
        # then
        assert [t["code"] for t in detail["data"]["publication"]["targets"]] == ["1.3", "10.2"]
        assert detail["data"]["publication"]["datasets"] == [{"slug": dataset["slug"]}]
        assert by_target["data"]["sdgTarget"]["publications"] == [{"slug": publication["slug"]}]
        assert by_dataset["data"]["dataset"]["publications"] == [{"slug": publication["slug"]}]
        assert publication["slug"] in _slugs(by_coalition["data"]["coalition"]["publications"])

    async def test_a_coalition_lists_the_publications_about_it(
        self, client: httpx.AsyncClient
    ) -> None:
        kenya = await gql(client, COALITION_PUBLICATIONS, {"code": "KE"})
        denmark = await gql(client, COALITION_PUBLICATIONS, {"code": "DK"})
        # the flyer and the recommendations cover the pilots, plus Kenya's own summary
        assert kenya["data"]["coalition"]["publications"]["totalCount"] == 3
        assert FLYER in _slugs(kenya["data"]["coalition"]["publications"])
        assert denmark["data"]["coalition"]["publications"] == {"totalCount": 0, "nodes": []}


class TestPublicationFilters:
    async def test_by_kind(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, PUBLICATIONS, {"filter": {"kind": "COUNTRY_SUMMARY"}})
        publications = body["data"]["publications"]
        assert publications["totalCount"] == 5
        assert {n["kind"] for n in publications["nodes"]} == {"COUNTRY_SUMMARY"}

    async def test_by_coalition_is_case_insensitive(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, PUBLICATIONS, {"filter": {"coalition": "np"}})
        assert body["data"]["publications"]["totalCount"] == 3

    async def test_by_language_and_target(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        french = await f.create_publication(conn, None, language="fr")
        await _link(conn, models.PublicationTarget, french, target_code="16.7")
        by_language = await gql(client, PUBLICATIONS, {"filter": {"language": "FR"}})
        by_target = await gql(client, PUBLICATIONS, {"filter": {"target": "16.7"}})
        both = await gql(client, PUBLICATIONS, {"filter": {"target": "16.7", "language": "en"}})
        assert _slugs(by_language["data"]["publications"]) == [french["slug"]]
        assert _slugs(by_target["data"]["publications"]) == [french["slug"]]
        assert both["data"]["publications"]["totalCount"] == 0

    async def test_search_needs_every_word(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, PUBLICATIONS, {"filter": {"search": "Summary VIETNAM"}})
        assert body["data"]["publications"]["totalCount"] == 1
        body = await gql(client, PUBLICATIONS, {"filter": {"search": "summary mars"}})
        assert body["data"]["publications"]["totalCount"] == 0


class TestPublicationOrder:
    async def test_newest_first_with_undated_last_pages_both_ways(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given three dated and two undated publications in a language of their own
        dated = [
            await f.create_publication(conn, None, language="sw", published_on=day)
            for day in (date(2020, 5, 1), date(2022, 3, 15), date(2021, 1, 10))
        ]
        undated = [await f.create_publication(conn, None, language="sw") for _ in range(2)]
        expected = [
            dated[1]["slug"],
            dated[2]["slug"],
            dated[0]["slug"],
            undated[1]["slug"],
            undated[0]["slug"],
        ]
        swahili = {"order": "PUBLISHED_ON", "filter": {"language": "sw"}}
        # when paging forward by two, across the undated ones
        seen: list[str] = []
        after = None
        while True:
            body = await gql(client, PUBLICATIONS, swahili | {"first": 2, "after": after})
            page = body["data"]["publications"]
            seen += _slugs(page)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        # and backward from the end
        back = await gql(client, PUBLICATIONS, swahili | {"last": 3, "before": after})
        # then
        assert seen == expected
        assert _slugs(back["data"]["publications"]) == expected[:3]

    async def test_by_id(self, client: httpx.AsyncClient, conn: AsyncConnection) -> None:
        made = [await f.create_publication(conn, None, language="ne") for _ in range(3)]
        body = await gql(
            client, PUBLICATIONS, {"filter": {"language": "ne"}, "order": "ID", "last": 2}
        )
        assert _slugs(body["data"]["publications"]) == [p["slug"] for p in made[1:]]


class TestPublicationStatementCount:
    async def test_nested_relations_cost_the_same_for_2_and_10(
        self, client: httpx.AsyncClient, conn: AsyncConnection, statements: Any
    ) -> None:
        kenya = await _coalition(conn, "KE")

        async def add(n: int) -> None:
            for i in range(n):
                publication = await f.create_publication(conn, kenya)
                dataset = await f.create_dataset(conn, kenya, title=f"Evidence {i}")
                await _link(
                    conn, models.PublicationCoalition, publication, coalition_id=kenya["id"]
                )
                await _link(conn, models.PublicationTarget, publication, target_code="10.2")
                await _link(conn, models.PublicationDataset, publication, dataset_id=dataset["id"])

        await add(2)
        statements.count = 0
        small = await gql(client, NESTED)
        small_count = statements.count
        await add(8)
        statements.count = 0
        large = await gql(client, NESTED)
        large_count = statements.count

        assert "errors" not in small
        assert "errors" not in large
        assert (
            len(large["data"]["publications"]["edges"])
            == len(small["data"]["publications"]["edges"]) + 8
        )
        assert large_count == small_count
        assert large_count <= 10, (small_count, large_count)
