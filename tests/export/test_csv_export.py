"""GET /exports/observations.csv: same rows and masks as GraphQL, filters, validators, errors."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.export.export_world import OBSERVATIONS_QUERY, SMALL, build_world, csv_rows, number
from tests.helpers import gql

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.export.repository import CSV_COLUMNS
from lnob_api.graphql.ids import to_global_id

URL = "/exports/observations.csv"
Row = tuple[Any, ...]


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    return await build_world(conn, signing_keys)


def from_csv(row: dict[str, str]) -> Row:
    return (
        row["dataset"],
        row["indicator"],
        row["area"],
        row["period"],
        number(row["value"]),
        row["unit"],
        row["obs_status"],
        row["conf_status"],
        int(row["sample_size"]) if row["sample_size"] else None,
        row["sex"],
        row["age"],
        row["disability_status"],
        row["urbanisation"],
        row["group"],
        datetime.fromisoformat(row["updated_at"]),
    )


def from_graphql(node: dict[str, Any]) -> Row:
    return (
        node["dataset"]["slug"],
        node["indicator"]["code"],
        node["areaCode"],
        node["period"],
        node["value"],
        node["unit"],
        node["obsStatus"],
        node["confStatus"],
        node["sampleSize"],
        node["sex"],
        node["age"],
        node["disabilityStatus"],
        node["urbanisation"],
        node["group"],
        datetime.fromisoformat(node["updatedAt"]),
    )


async def graphql_rows(
    client: httpx.AsyncClient, headers: dict[str, str], graphql_filter: dict[str, Any]
) -> list[Row]:
    rows: list[Row] = []
    after = None
    while True:
        body = await gql(
            client, OBSERVATIONS_QUERY, {"filter": graphql_filter, "after": after}, headers=headers
        )
        assert "errors" not in body, body
        page = body["data"]["observations"]
        rows += [from_graphql(n) for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


async def export_rows(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any]
) -> list[Row]:
    response = await client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [from_csv(r) for r in csv_rows(response.text)]


class TestSameAsGraphQL:
    @pytest.mark.parametrize("who", ["anonymous", "insider", "outsider"])
    @pytest.mark.parametrize(
        ("params", "graphql_filter"),
        [
            ({}, {}),
            ({"indicator": "1.1.1", "sex": "F,M"}, {"indicators": ["1.1.1"], "sex": ["F", "M"]}),
            (
                {"periodFrom": "2020", "periodTo": "2021"},
                {"periodFrom": "2020", "periodTo": "2021"},
            ),
        ],
    )
    async def test_rows_and_masks_match(
        self,
        client: httpx.AsyncClient,
        world: dict[str, Any],
        who: str,
        params: dict[str, Any],
        graphql_filter: dict[str, Any],
    ) -> None:
        # given the same filter as query parameters and as a GraphQL filter, scoped to A
        headers = world["headers"][who]
        params = params | {"area": world["a"]["code"]}
        graphql_filter = graphql_filter | {"areas": [world["a"]["code"]]}
        # when both are read by the same principal
        exported = await export_rows(client, headers, params)
        listed = await graphql_rows(client, headers, graphql_filter)
        # then they hold the same rows, values and masks, in the same order
        assert exported == listed
        assert exported

    async def test_small_cells_are_withheld_outside_the_coalition_only(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        small = {}
        for who in ("anonymous", "outsider", "insider"):
            rows = csv_rows((await client.get(URL, headers=world["headers"][who])).text)
            pub = world["datasets"]["pub"]["slug"]
            small[who] = [
                (r["value"], r["sample_size"], r["conf_status"])
                for r in rows
                if (r["dataset"], r["period"], r["sex"]) == (pub, "2020", "F")
            ]
        # the value and the (disclosive) size of the small group are withheld together
        assert small["anonymous"] == small["outsider"] == [("", "", "C")]
        # the coalition sees the value, and that the cell is a small one (C)
        assert small["insider"] == [("11.25", str(SMALL), "C")]

    async def test_who_sees_which_dataset(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        seen = {}
        for who in ("anonymous", "outsider", "insider"):
            rows = csv_rows((await client.get(URL, headers=world["headers"][who])).text)
            seen[who] = {r["dataset"] for r in rows}
        slugs = {k: v["slug"] for k, v in world["datasets"].items()}
        assert seen["anonymous"] == seen["outsider"] == {slugs["pub"], slugs["other"]}
        assert seen["insider"] == {slugs["pub"], slugs["coal"], slugs["other"]}


class TestRepresentation:
    async def test_header_row_and_headers(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(URL, headers=world["headers"]["insider"])
        assert response.text.splitlines()[0] == ",".join(CSV_COLUMNS)
        assert response.headers["content-type"].startswith("text/csv")
        assert "private" in response.headers["cache-control"]
        assert "private" not in (await client.get(URL)).headers["cache-control"]

    async def test_gzip_holds_the_same_csv(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        plain = await client.get(URL, params={"area": world["a"]["code"]})
        packed = await client.get(URL + ".gz", params={"area": world["a"]["code"]})
        assert packed.headers["content-type"] == "application/gzip"
        assert gzip.decompress(packed.content) == plain.content

    async def test_dataset_by_slug_or_global_id(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        pub = world["datasets"]["pub"]
        by_slug = csv_rows((await client.get(URL, params={"dataset": pub["slug"]})).text)
        by_id = csv_rows(
            (await client.get(URL, params={"dataset": to_global_id("Dataset", pub["id"])})).text
        )
        assert by_slug == by_id
        assert {r["dataset"] for r in by_slug} == {pub["slug"]}

    async def test_area_includes_the_areas_below(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        rows = csv_rows((await client.get(URL, params={"area": world["a"]["code"]})).text)
        assert world["sub"] in {r["area"] for r in rows}
        below = csv_rows((await client.get(URL, params={"area": world["sub"]})).text)
        assert {r["area"] for r in below} == {world["sub"]}

    async def test_repeated_and_comma_separated_values(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        repeated = await client.get(URL, params=[("indicator", "1.1.1"), ("indicator", "4.1.1")])
        joined = await client.get(URL, params={"indicator": "1.1.1,4.1.1"})
        assert repeated.text == joined.text
        assert {r["indicator"] for r in csv_rows(joined.text)} == {"1.1.1", "4.1.1"}

    async def test_updated_since(
        self, client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        later = datetime.now(UTC) + timedelta(days=1)
        changed = world["observations"][0]["id"]
        table = models.Observation.__table__
        await conn.execute(
            sa.update(table)
            .where(table.c.id == changed)
            .values(updated_at=later + timedelta(hours=1))
        )
        rows = csv_rows((await client.get(URL, params={"updatedSince": later.isoformat()})).text)
        assert [(r["period"], r["sex"], r["value"]) for r in rows] == [("2019", "F", "10.5")]


class TestConditionalRequests:
    async def test_unchanged_pull_is_304_and_a_change_is_200(
        self, client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        headers = world["headers"]["outsider"]
        first = await client.get(URL, headers=headers)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        # an unchanged pull, by tag and by date
        again = await client.get(URL, headers=headers | {"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        by_date = await client.get(URL, headers=headers | {"If-Modified-Since": modified})
        assert by_date.status_code == 304
        # another principal never shares the tag
        assert (await client.get(URL, headers={"If-None-Match": etag})).status_code == 200
        # after a change the tag moves and the body comes back
        table = models.Observation.__table__
        changed = world["observations"][0]["id"]
        await conn.execute(
            sa.update(table)
            .where(table.c.id == changed)
            .values(value=12.0, updated_at=datetime.now(UTC) + timedelta(minutes=5))
        )
        after = await client.get(URL, headers=headers | {"If-None-Match": etag})
        assert after.status_code == 200 and after.headers["etag"] != etag
        assert ",12,PERCENT," in after.text
        stale = await client.get(URL, headers=headers | {"If-Modified-Since": modified})
        assert stale.status_code == 200

    async def test_a_retraction_changes_the_tag(
        self, client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        etag = (await client.get(URL)).headers["etag"]
        datasets = models.Dataset.__table__
        await conn.execute(
            sa.update(datasets)
            .where(datasets.c.id == world["datasets"]["other"]["id"])
            .values(status="RETRACTED", retraction_reason="test", retracted_at=datetime.now(UTC))
        )
        response = await client.get(URL, headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert world["datasets"]["other"]["slug"] not in response.text


class TestClearFailures:
    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"indicator": "1.1.1,9.9.9"}, "indicator: unknown indicator code 9.9.9"),
            ({"area": "ZZ-99"}, "area: unknown area code ZZ-99"),
            ({"periodFrom": "2019-13"}, "periodFrom: '2019-13' is not a valid period"),
            ({"periodTo": "last year"}, "periodTo: 'last year' is not a valid period"),
            ({"updatedSince": "yesterday"}, "updatedSince: 'yesterday' is not an ISO 8601"),
            ({"dataset": "no-such-dataset"}, "dataset: unknown dataset no-such-dataset"),
            ({"indicators": "1.1.1"}, "indicators: unknown parameter"),
            ({"sex": ""}, "sex: give at least one value"),
        ],
    )
    async def test_400_names_the_parameter(
        self, client: httpx.AsyncClient, world: dict[str, Any], params: dict[str, str], message: str
    ) -> None:
        response = await client.get(URL, params=params)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text.startswith(message)

    async def test_a_hidden_dataset_is_unknown(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        slug = world["datasets"]["coal"]["slug"]
        response = await client.get(URL, params={"dataset": slug})
        assert response.status_code == 400
        assert response.text.startswith(f"dataset: unknown dataset {slug}")
        inside = await client.get(
            URL, params={"dataset": slug}, headers=world["headers"]["insider"]
        )
        assert inside.status_code == 200

    async def test_a_bad_token_is_401_not_anonymous(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(URL, headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code == 401
        assert "www-authenticate" in response.headers
