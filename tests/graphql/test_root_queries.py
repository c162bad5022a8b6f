"""Root fields over the seeded reference data and per-test rows."""

from __future__ import annotations

import base64

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import gql, principal_client

from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.models.enums import CoalitionRole

COALITION = """
query($code: String, $slug: String) {
  coalition(code: $code, slug: $slug) { id code slug name launchedYear cohort suppressionThreshold }
}
"""
ORGANISATIONS = """
{ organisations(first: 100) { totalCount edges { node { slug name kind
    coalitions { role coalition { code } } } } } }
"""
ORGANISATION = """
query($slug: String!) { organisation(slug: $slug) { name coalitions { role coalition { code } } } }
"""
PROJECTS = """
query($filter: ProjectFilter) {
  projects(filter: $filter, first: 100) { totalCount edges { node { slug status visibility coalition { code } } } }
}
"""
DATASETS = """
query($filter: DatasetFilter, $order: DatasetOrder) {
  datasets(filter: $filter, orderBy: $order, first: 100) {
    totalCount edges { node { slug title status coalition { code } indicators { code } } }
  }
}
"""
DATASET = """
query($id: ID, $slug: String) { dataset(id: $id, slug: $slug) { id slug title project { slug } } }
"""


def _gid(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _slugs(body: dict, field: str) -> list[str]:
    return [e["node"]["slug"] for e in body["data"][field]["edges"]]


def editor_of(coalition_id: int) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        user_id=1,
        member_coalition_ids=frozenset({coalition_id}),
        coalition_roles={coalition_id: CoalitionRole.EDITOR},
        scopes=frozenset({"data:read"}),
    )


class TestCoalitions:
    async def test_by_code_is_case_insensitive(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, COALITION, {"code": "ke"})
        coalition = body["data"]["coalition"]
        assert coalition["code"] == "KE"
        assert coalition["launchedYear"] == 2018
        assert coalition["suppressionThreshold"] == 5

    async def test_by_slug(self, client: httpx.AsyncClient) -> None:
        by_code = await gql(client, COALITION, {"code": "NP"})
        slug = by_code["data"]["coalition"]["slug"]
        body = await gql(client, COALITION, {"slug": slug})
        assert body["data"]["coalition"]["id"] == by_code["data"]["coalition"]["id"]

    async def test_unknown_code_is_null(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, COALITION, {"code": "ZZ"})
        assert body["data"]["coalition"] is None
        assert "errors" not in body

    async def test_needs_exactly_one_key(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, COALITION, {"code": "KE", "slug": "kenya"})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestOrganisations:
    async def test_membership_both_ways(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        org = await f.create_organisation(conn, name="Aaa Community Network")
        await f.add_member(conn, coalition, org, role="LEAD")
        # when
        listed = await gql(client, ORGANISATIONS)
        single = await gql(client, ORGANISATION, {"slug": org["slug"]})
        # then
        node = next(
            e["node"]
            for e in listed["data"]["organisations"]["edges"]
            if e["node"]["slug"] == org["slug"]
        )
        assert node["coalitions"] == [{"role": "LEAD", "coalition": {"code": coalition["code"]}}]
        assert (
            single["data"]["organisation"]["coalitions"][0]["coalition"]["code"]
            == coalition["code"]
        )


class TestProjects:
    async def test_filters_and_visibility(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        public = await f.create_project(conn, coalition, status="COMPLETED")
        await f.create_project(conn, coalition, status="ACTIVE")
        hidden = await f.create_project(conn, coalition, visibility="COALITION")
        # when
        mine = await gql(client, PROJECTS, {"filter": {"coalition": coalition["code"].lower()}})
        completed = await gql(
            client, PROJECTS, {"filter": {"coalition": coalition["code"], "status": "COMPLETED"}}
        )
        # then
        assert mine["data"]["projects"]["totalCount"] == 2
        assert hidden["slug"] not in _slugs(mine, "projects")
        assert _slugs(completed, "projects") == [public["slug"]]

    async def test_insider_sees_coalition_projects(
        self, app: object, conn: AsyncConnection
    ) -> None:
        coalition = await f.create_coalition(conn)
        hidden = await f.create_project(conn, coalition, visibility="COALITION")
        async with principal_client(app, editor_of(coalition["id"])) as insider:
            body = await gql(insider, PROJECTS, {"filter": {"coalition": coalition["code"]}})
        assert _slugs(body, "projects") == [hidden["slug"]]


class TestDatasets:
    async def test_filters(self, client: httpx.AsyncClient, conn: AsyncConnection) -> None:
        # given
        coalition = await f.create_coalition(conn)
        poverty = await f.create_dataset(
            conn, coalition, title="Poverty among Dalit households", description="Household survey"
        )
        await f.link_indicator(conn, poverty, "1.1.1")
        education = await f.create_dataset(
            conn,
            coalition,
            title="School access",
            description="Scorecard with people with disabilities",
        )
        await f.link_indicator(conn, education, "4.1.1")
        scope = {"coalitions": [coalition["code"]]}
        # when / then
        for extra, expected in [
            ({}, {poverty["slug"], education["slug"]}),
            ({"indicators": ["1.1.1"]}, {poverty["slug"]}),
            ({"targets": ["4.1"]}, {education["slug"]}),
            ({"goals": [1]}, {poverty["slug"]}),
            ({"search": "DALIT house"}, {poverty["slug"]}),
            ({"search": "disabil"}, {education["slug"]}),
            ({"search": "100%"}, set()),
            ({"statuses": ["DRAFT"]}, set()),
        ]:
            body = await gql(client, DATASETS, {"filter": scope | extra})
            assert set(_slugs(body, "datasets")) == expected, extra

    async def test_order_by_title(self, client: httpx.AsyncClient, conn: AsyncConnection) -> None:
        coalition = await f.create_coalition(conn)
        for title in ["Gamma", "Alpha", "Beta"]:
            await f.create_dataset(conn, coalition, title=title)
        body = await gql(
            client, DATASETS, {"filter": {"coalitions": [coalition["code"]]}, "order": "TITLE"}
        )
        titles = [e["node"]["title"] for e in body["data"]["datasets"]["edges"]]
        assert titles == ["Alpha", "Beta", "Gamma"]

    async def test_draft_is_hidden_like_a_missing_row(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        draft = await f.create_dataset(conn, coalition, status="DRAFT")
        # when
        by_slug = await gql(client, DATASET, {"slug": draft["slug"]})
        by_id = await gql(client, DATASET, {"id": _gid("Dataset", draft["id"])})
        missing = await gql(client, DATASET, {"id": _gid("Dataset", 987654321)})
        # then
        assert by_slug == by_id == missing  # extensions.cost included
        assert missing["data"] == {"dataset": None} and "errors" not in missing

    async def test_editor_sees_the_draft(self, app: object, conn: AsyncConnection) -> None:
        coalition = await f.create_coalition(conn)
        project = await f.create_project(conn, coalition)
        draft = await f.create_dataset(conn, coalition, status="DRAFT", project_id=project["id"])
        async with principal_client(app, editor_of(coalition["id"])) as editor:
            body = await gql(editor, DATASET, {"slug": draft["slug"]})
        assert body["data"]["dataset"]["project"]["slug"] == project["slug"]

    async def test_bad_project_id_in_filter(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, DATASETS, {"filter": {"projects": [_gid("Coalition", 1)]}})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestNode:
    async def test_round_trip_for_each_kind(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        project = await f.create_project(conn, coalition)
        ids = [
            _gid("Coalition", coalition["id"]),
            _gid("Project", project["id"]),
            _gid("SdgGoal", 5),
            _gid("SdgTarget", "5.2"),
            _gid("Nothing", 1),
            _gid("Project", "x"),
        ]
        # when
        body = await gql(
            client,
            """query($ids: [ID!]!) { nodes(ids: $ids) { id __typename
            ... on Coalition { code } ... on SdgTarget { code } ... on SdgGoal { number: code } } }""",
            {"ids": ids},
        )
        # then
        nodes = body["data"]["nodes"]
        assert [n and n["__typename"] for n in nodes] == [
            "Coalition",
            "Project",
            "SdgGoal",
            "SdgTarget",
            None,
            None,
        ]
        assert [n["id"] for n in nodes if n] == ids[:4]

    async def test_malformed_id(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, '{ node(id: "%%%") { id } }')
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
