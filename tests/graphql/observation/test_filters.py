"""The ObservationFilter input: indicators, areas with descendants, periods, datasets, dimensions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.factories import create_coalition, create_dataset, create_observation
from tests.helpers import gql

from lnob_api import models
from lnob_api.graphql.ids import to_global_id

OBSERVATIONS = """
query($filter: ObservationFilter) {
  observations(filter: $filter, first: 100) { totalCount nodes { id } }
}
"""


def gid(row: Any) -> str:
    return to_global_id("Observation", row["id"])


async def found(client: httpx.AsyncClient, filter: dict[str, Any]) -> list[str]:
    """Ids of the observations ``filter`` keeps (checking the count agrees)."""
    body = await gql(client, OBSERVATIONS, {"filter": filter})
    assert "errors" not in body, body["errors"]
    result = body["data"]["observations"]
    assert result["totalCount"] == len(result["nodes"])
    return [n["id"] for n in result["nodes"]]


async def dataset(conn: AsyncConnection) -> Any:
    return await create_dataset(conn, await create_coalition(conn))


class TestIndicatorFilter:
    async def test_keeps_the_listed_indicators(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await dataset(conn)
        poverty = await create_observation(conn, ds, indicator="1.1.1")
        schooling = await create_observation(conn, ds, indicator="4.5.1")
        await create_observation(conn, ds, indicator="5.5.1")
        # when
        ids = await found(client, {"indicators": ["1.1.1", "4.5.1"]})
        # then
        assert ids == [gid(poverty), gid(schooling)]

    async def test_unknown_codes_match_nothing(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        await create_observation(conn, await dataset(conn))
        # when
        ids = await found(client, {"indicators": ["99.9.9"]})
        # then
        assert ids == []


class TestAreaFilter:
    async def test_a_country_includes_its_subdivisions(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await dataset(conn)
        country = await create_observation(conn, ds, area_code="KE")
        county = await create_observation(conn, ds, area_code="KE-30")
        await create_observation(conn, ds, area_code="UG")
        # when
        ids = await found(client, {"areas": ["KE"]})
        # then
        assert ids == [gid(country), gid(county)]

    async def test_a_subdivision_excludes_its_country(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await dataset(conn)
        await create_observation(conn, ds, area_code="KE")
        county = await create_observation(conn, ds, area_code="KE-30")
        # when
        ids = await found(client, {"areas": ["ke-30"]})
        # then
        assert ids == [gid(county)]

    async def test_local_areas_count_as_descendants(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        await conn.execute(
            sa.insert(models.Area.__table__).values(
                code="KE-30-W001",
                name="Ward 1",
                level="LOCAL",
                country_code="KE",
                parent_code="KE-30",
                ancestors=["KE", "KE-30"],
                coalition_id=coalition["id"],
            )
        )
        ward = await create_observation(
            conn, await create_dataset(conn, coalition), area_code="KE-30-W001"
        )
        # when
        by_country = await found(client, {"areas": ["KE"]})
        by_county = await found(client, {"areas": ["KE-30"]})
        # then
        assert by_country == by_county == [gid(ward)]

    async def test_unknown_codes_match_nothing(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        await create_observation(conn, await dataset(conn))
        # when
        ids = await found(client, {"areas": ["ZZ-99"]})
        # then
        assert ids == []


class TestPeriodFilter:
    async def test_keeps_periods_inside_the_range(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await dataset(conn)
        rows = {
            period: await create_observation(
                conn, ds, period=period, period_start=start, period_end=end
            )
            for period, start, end in [
                ("2018", date(2018, 1, 1), date(2018, 12, 31)),
                ("2019-Q1", date(2019, 1, 1), date(2019, 3, 31)),
                ("2019-Q2", date(2019, 4, 1), date(2019, 6, 30)),
                ("2019", date(2019, 1, 1), date(2019, 12, 31)),
                ("2020-03", date(2020, 3, 1), date(2020, 3, 31)),
            ]
        }
        # when
        within_2019 = await found(client, {"periodFrom": "2019", "periodTo": "2019"})
        first_half = await found(client, {"periodFrom": "2019-Q1", "periodTo": "2019-S1"})
        from_2019 = await found(client, {"periodFrom": "2019-02"})
        to_2019 = await found(client, {"periodTo": "2019-06-30"})
        # then
        assert within_2019 == [gid(rows[p]) for p in ("2019-Q1", "2019-Q2", "2019")]
        assert first_half == [gid(rows[p]) for p in ("2019-Q1", "2019-Q2")]
        assert from_2019 == [gid(rows[p]) for p in ("2019-Q2", "2020-03")]
        assert to_2019 == [gid(rows[p]) for p in ("2018", "2019-Q1", "2019-Q2")]

    async def test_a_malformed_period_is_bad_input(self, client: httpx.AsyncClient) -> None:
        # when
        body = await gql(client, OBSERVATIONS, {"filter": {"periodFrom": "2019-13"}})
        # then
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "filter.periodFrom"
        assert body["data"] is None

    async def test_a_malformed_nested_period_is_bad_input(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await dataset(conn)
        query = """query($slug: String!) { dataset(slug: $slug) {
          observations(filter: {periodTo: "last year"}) { totalCount } } }"""
        # when
        body = await gql(client, query, {"slug": ds["slug"]})
        # then
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["field"] == "filter.periodTo"


class TestDatasetFilter:
    async def test_keeps_the_listed_datasets(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await create_coalition(conn)
        kept, dropped = await create_dataset(conn, coalition), await create_dataset(conn, coalition)
        row = await create_observation(conn, kept)
        await create_observation(conn, dropped)
        # when
        ids = await found(client, {"datasets": [to_global_id("Dataset", kept["id"])]})
        # then
        assert ids == [gid(row)]

    async def test_an_id_of_another_type_is_bad_input(self, client: httpx.AsyncClient) -> None:
        # when
        body = await gql(
            client, OBSERVATIONS, {"filter": {"datasets": [to_global_id("Project", 1)]}}
        )
        # then
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestDimensionFilters:
    async def test_each_dimension_keeps_its_codes(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await dataset(conn)
        total = await create_observation(conn, ds)
        women = await create_observation(conn, ds, sex="F")
        youth = await create_observation(conn, ds, age="Y15T24")
        disabled = await create_observation(conn, ds, disability_status="PD")
        rural = await create_observation(conn, ds, urbanisation="R")
        dalits = await create_observation(conn, ds, group_code="DALIT")
        # when
        by_sex = await found(client, {"sex": ["F", "M"]})
        by_age = await found(client, {"age": ["Y15T24"]})
        by_disability = await found(client, {"disabilityStatus": ["PD"]})
        by_urbanisation = await found(client, {"urbanisation": ["R"]})
        by_group = await found(client, {"group": ["DALIT"]})
        totals = await found(
            client,
            {
                "sex": ["_T"],
                "age": ["_T"],
                "disabilityStatus": ["_T"],
                "urbanisation": ["_T"],
                "group": ["_T"],
            },
        )
        # then
        assert by_sex == [gid(women)]
        assert by_age == [gid(youth)]
        assert by_disability == [gid(disabled)]
        assert by_urbanisation == [gid(rural)]
        assert by_group == [gid(dalits)]
        assert totals == [gid(total)]

    async def test_conditions_combine(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await dataset(conn)
        rural_women = await create_observation(conn, ds, sex="F", urbanisation="R")
        await create_observation(conn, ds, sex="F", urbanisation="U")
        await create_observation(conn, ds, sex="M", urbanisation="R")
        # when
        ids = await found(client, {"sex": ["F"], "urbanisation": ["R"], "areas": ["KE"]})
        # then
        assert ids == [gid(rural_women)]


class TestUpdatedSince:
    async def test_keeps_rows_changed_after_the_instant(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        ds = await dataset(conn)
        now = datetime.now(UTC)
        # the dataset's readership last changed long ago (see Dataset.access_changed_at)
        await conn.execute(
            sa.update(models.Dataset.__table__)
            .where(models.Dataset.id == ds["id"])
            .values(access_changed_at=now - timedelta(days=3))
        )
        await create_observation(conn, ds, period="2018", updated_at=now - timedelta(days=3))
        fresh = await create_observation(conn, ds, period="2019", updated_at=now)
        since = (now - timedelta(days=1)).isoformat()
        # when
        ids = await found(client, {"updatedSince": since})
        # then
        assert ids == [gid(fresh)]
