"""Who reads which observations: dataset visibility and status, and small-cell suppression."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.factories import (
    create_coalition,
    create_dataset,
    create_grant,
    create_observation,
    create_organisation,
)
from tests.helpers import gql, principal_client

from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.graphql.ids import to_global_id
from lnob_api.models.enums import CoalitionRole

OBSERVATIONS = """
query { observations(first: 100) { totalCount nodes { id value suppressed sampleSize } } }
"""

NODE = """
query($id: ID!) { node(id: $id) { id ... on Observation { value suppressed } } }
"""

DATASET_OBSERVATIONS = """
query($slug: String!) { dataset(slug: $slug) {
  observations(first: 10) { totalCount nodes { id value suppressed } }
} }
"""

INDICATOR_OBSERVATIONS = """
query { indicator(code: "1.1.1") { observations(first: 10) { nodes { id value suppressed } } } }
"""


def gid(row: Any) -> str:
    return to_global_id("Observation", row["id"])


def member(coalition: Any, role: CoalitionRole = CoalitionRole.VIEWER) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        user_id=1,
        member_coalition_ids=frozenset({coalition["id"]}),
        coalition_roles={coalition["id"]: role},
        scopes=frozenset({"data:read"}),
    )


PARTNER = Principal(
    kind=PrincipalKind.USER, user_id=2, is_partner=True, scopes=frozenset({"data:read"})
)


async def listed(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    body = await gql(client, OBSERVATIONS)
    assert "errors" not in body, body["errors"]
    nodes: list[dict[str, Any]] = body["data"]["observations"]["nodes"]
    assert body["data"]["observations"]["totalCount"] == len(nodes)
    return nodes


async def node(client: httpx.AsyncClient, row: Any) -> dict[str, Any] | None:
    body = await gql(client, NODE, {"id": gid(row)})
    assert "errors" not in body, body["errors"]
    found: dict[str, Any] | None = body["data"]["node"]
    return found


class TestSmallCellSuppression:
    async def test_anonymous_sees_no_value_for_a_small_cell(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await create_dataset(conn, await create_coalition(conn))
        small = await create_observation(conn, ds, period="2019", sample_size=3, value=7.0)
        large = await create_observation(conn, ds, period="2020", sample_size=5, value=9.0)
        # a rate of unknown n cannot be protected: withheld too (issue 9)
        unknown = await create_observation(conn, ds, period="2021", sample_size=None, value=11.0)
        # when
        nodes = await listed(client)
        # then
        assert nodes == [
            {"id": gid(small), "value": None, "suppressed": True, "sampleSize": None},
            {"id": gid(large), "value": 9.0, "suppressed": False, "sampleSize": 5},
            {"id": gid(unknown), "value": None, "suppressed": True, "sampleSize": None},
        ]

    async def test_suppression_holds_in_every_read_path(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await create_dataset(conn, await create_coalition(conn))
        small = await create_observation(conn, ds, sample_size=3, value=7.0)
        hidden = {"id": gid(small), "value": None, "suppressed": True}
        # when
        by_node = await node(client, small)
        by_dataset = await gql(client, DATASET_OBSERVATIONS, {"slug": ds["slug"]})
        by_indicator = await gql(client, INDICATOR_OBSERVATIONS)
        # then
        assert by_node == hidden
        assert by_dataset["data"]["dataset"]["observations"]["nodes"] == [hidden]
        assert by_indicator["data"]["indicator"]["observations"]["nodes"] == [hidden]

    async def test_an_insider_sees_the_value(self, conn: AsyncConnection, app: Any) -> None:
        # given
        coalition = await create_coalition(conn)
        ds = await create_dataset(conn, coalition)
        small = await create_observation(conn, ds, sample_size=3, value=7.0)
        # when
        async with principal_client(app, member(coalition)) as client:
            nodes = await listed(client)
            by_node = await node(client, small)
        # then
        assert nodes == [{"id": gid(small), "value": 7.0, "suppressed": False, "sampleSize": 3}]
        assert by_node == {"id": gid(small), "value": 7.0, "suppressed": False}

    async def test_a_member_of_another_coalition_sees_no_value(
        self, conn: AsyncConnection, app: Any
    ) -> None:
        # given
        owner, other = await create_coalition(conn), await create_coalition(conn)
        small = await create_observation(conn, await create_dataset(conn, owner), sample_size=3)
        # when
        async with principal_client(app, member(other)) as client:
            by_node = await node(client, small)
        # then
        assert by_node == {"id": gid(small), "value": None, "suppressed": True}

    async def test_the_coalition_threshold_applies(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        strict = await create_coalition(conn, suppression_threshold=30)
        lenient = await create_coalition(conn, suppression_threshold=0)
        in_strict = await create_observation(
            conn, await create_dataset(conn, strict), sample_size=20
        )
        in_lenient = await create_observation(
            conn, await create_dataset(conn, lenient), sample_size=1
        )
        # when
        nodes = await listed(client)
        # then
        assert [(n["id"], n["suppressed"]) for n in nodes] == [
            (gid(in_strict), True),
            (gid(in_lenient), False),
        ]

    async def test_suppressed_rows_still_match_filters(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await create_dataset(conn, await create_coalition(conn))
        small = await create_observation(conn, ds, sample_size=2, sex="F")
        query = 'query { observations(filter: {sex: ["F"]}) { nodes { id suppressed } } }'
        # when
        body = await gql(client, query)
        # then
        assert body["data"]["observations"]["nodes"] == [{"id": gid(small), "suppressed": True}]


class TestDatasetVisibility:
    async def test_anonymous_reads_only_published_public_data(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        public = await create_observation(conn, await create_dataset(conn, coalition))
        hidden = [
            await create_observation(conn, await create_dataset(conn, coalition, **kind))
            for kind in (
                {"visibility": "COALITION"},
                {"visibility": "PARTNERSHIP"},
                {"status": "DRAFT"},
                {"status": "RETRACTED"},
            )
        ]
        # when
        nodes = await listed(client)
        lookups = [await node(client, row) for row in hidden]
        # then
        assert [n["id"] for n in nodes] == [gid(public)]
        assert lookups == [None] * len(hidden)

    async def test_hidden_looks_exactly_like_missing(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await create_dataset(conn, await create_coalition(conn), visibility="COALITION")
        hidden = await create_observation(conn, ds)
        # when
        seen = await gql(client, NODE, {"id": gid(hidden)})
        missing = await gql(client, NODE, {"id": to_global_id("Observation", hidden["id"] + 10**9)})
        # then
        assert seen == missing  # extensions.cost included
        assert missing["data"] == {"node": None} and "errors" not in missing

    async def test_an_insider_reads_coalition_data(self, conn: AsyncConnection, app: Any) -> None:
        # given
        coalition = await create_coalition(conn)
        row = await create_observation(
            conn, await create_dataset(conn, coalition, visibility="COALITION")
        )
        # when
        async with principal_client(app, member(coalition)) as client:
            nodes = await listed(client)
        # then
        assert [n["id"] for n in nodes] == [gid(row)]

    async def test_a_partner_reads_partnership_data_with_suppression(
        self, conn: AsyncConnection, app: Any
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        row = await create_observation(
            conn, await create_dataset(conn, coalition, visibility="PARTNERSHIP"), sample_size=4
        )
        await create_observation(
            conn, await create_dataset(conn, coalition, visibility="COALITION")
        )
        # when
        async with principal_client(app, PARTNER) as client:
            nodes = await listed(client)
        # then
        assert nodes == [{"id": gid(row), "value": None, "suppressed": True, "sampleSize": None}]

    async def test_a_grant_opens_one_dataset_with_suppression(
        self, conn: AsyncConnection, app: Any
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        agency = await create_organisation(conn, kind="STATISTICS_AGENCY")
        granted = await create_dataset(conn, coalition, visibility="COALITION")
        row = await create_observation(conn, granted, sample_size=2)
        await create_observation(
            conn, await create_dataset(conn, coalition, visibility="COALITION")
        )
        await create_grant(conn, coalition, dataset_id=granted["id"], organisation_id=agency["id"])
        client_principal = Principal(
            kind=PrincipalKind.CLIENT,
            client_id="nso",
            organisation_ids=frozenset({agency["id"]}),
            scopes=frozenset({"data:read"}),
        )
        # when
        async with principal_client(app, client_principal) as client:
            nodes = await listed(client)
        # then
        assert nodes == [{"id": gid(row), "value": None, "suppressed": True, "sampleSize": None}]

    async def test_drafts_are_for_editors_only(self, conn: AsyncConnection, app: Any) -> None:
        # given
        coalition = await create_coalition(conn)
        row = await create_observation(conn, await create_dataset(conn, coalition, status="DRAFT"))
        # when
        async with principal_client(app, member(coalition)) as viewer:
            as_viewer = await node(viewer, row)
        async with principal_client(app, member(coalition, CoalitionRole.EDITOR)) as editor:
            as_editor = await node(editor, row)
        # then
        assert as_viewer is None
        assert as_editor is not None

    async def test_retracted_data_is_gone_even_for_insiders(
        self, conn: AsyncConnection, app: Any
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        ds = await create_dataset(conn, coalition, status="RETRACTED")
        row = await create_observation(conn, ds)
        # when
        async with principal_client(app, member(coalition, CoalitionRole.ADMIN)) as client:
            nodes = await listed(client)
            by_node = await node(client, row)
            nested = await gql(client, DATASET_OBSERVATIONS, {"slug": ds["slug"]})
        # then
        assert nodes == []
        assert by_node is None
        assert nested["data"]["dataset"]["observations"] == {"totalCount": 0, "nodes": []}

    async def test_a_token_without_data_read_sees_public_data_only(
        self, conn: AsyncConnection, app: Any
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        await create_observation(
            conn, await create_dataset(conn, coalition, visibility="COALITION")
        )
        small = await create_observation(conn, await create_dataset(conn, coalition), sample_size=1)
        no_scope = Principal(
            kind=PrincipalKind.USER,
            user_id=1,
            member_coalition_ids=frozenset({coalition["id"]}),
            coalition_roles={coalition["id"]: CoalitionRole.ADMIN},
        )
        # when
        async with principal_client(app, no_scope) as client:
            nodes = await listed(client)
        # then
        assert nodes == [{"id": gid(small), "value": None, "suppressed": True, "sampleSize": None}]
