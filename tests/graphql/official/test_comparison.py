"""comparison: community values beside official values, with the gap; small cells withheld
(value and gap null) for outsiders and shown to the coalition; hidden datasets contribute
nothing."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.graphql.scorecard.evidence_world import World

from lnob_api.auth.keys import KeyStore

UPLOAD = """
mutation($input: OfficialValuesUploadInput!) {
  officialValuesUpload(input: $input) { report { rowsInserted } userErrors { code message } }
}
"""
COMPARISON = """
query($indicator: String!, $areas: [String!], $from: String, $to: String) {
  comparison(indicator: $indicator, areas: $areas, periodFrom: $from, periodTo: $to) {
    areaCode period sex age group communityValue suppressed communityUnit
    officialValue officialUnit officialSource officialSourceUrl officialRetrievedOn gap
    observation { sampleSize dataset { title } }
    official { source }
  }
}
"""


class Compared(World):
    async def build(self) -> Self:
        await super().build()
        dataset = await f.create_dataset(self.conn, self.coalition, title="Poverty survey")
        for sex, value, size in (("_T", 30.0, 100), ("F", 42.0, 3), ("M", 20.0, 50)):
            await f.create_observation(
                self.conn, dataset, area_code=self.area, sex=sex, value=value, sample_size=size
            )
        await f.create_observation(
            self.conn, dataset, area_code=self.area, period="2022", value=9.0, unit="NUMBER"
        )
        content = (
            "indicator,area,period,value,unit,sex\n"
            f"1.1.1,{self.area},2020,25,PERCENT,\n"
            f"1.1.1,{self.area},2020,40,PERCENT,F\n"
            f"1.1.1,{self.area},2021,27,PERCENT,\n"
            f"1.1.1,{self.area},2022,8,PERCENT,\n"
            f"1.1.1,{self.other_area},2020,99,PERCENT,\n"
        ).encode()
        body = await self.upload(
            UPLOAD,
            {"input": {"source": "National SDG platform", "retrievedOn": "2024-01-15"}},
            content,
            as_="PARTNERSHIP_ADMIN",
        )
        assert body["data"]["officialValuesUpload"]["userErrors"] == [], body
        return self

    async def rows(self, as_: str | None, **variables: Any) -> dict[tuple[str, str], Any]:
        data = await self.ok(
            COMPARISON, {"indicator": "1.1.1", "areas": [self.country]} | variables, as_
        )
        return {(r["period"], r["sex"]): r for r in data["comparison"]}


@pytest.fixture
async def world(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> Compared:
    return await Compared(client, conn, signing_keys).build()


class TestComparison:
    async def test_side_by_side_with_gaps_for_an_outsider(self, world: Compared) -> None:
        # when: anonymous (the dataset is PUBLIC; its small F cell is withheld)
        rows = await world.rows(None)
        # then
        assert set(rows) == {
            ("2020", "_T"),
            ("2020", "F"),
            ("2020", "M"),
            ("2021", "_T"),
            ("2022", "_T"),
        }
        total = rows[("2020", "_T")]
        assert total == {
            "areaCode": world.area,
            "period": "2020",
            "sex": "_T",
            "age": "_T",
            "group": "_T",
            "communityValue": 30.0,
            "suppressed": False,
            "communityUnit": "PERCENT",
            "officialValue": 25.0,
            "officialUnit": "PERCENT",
            "officialSource": "National SDG platform",
            "officialSourceUrl": None,
            "officialRetrievedOn": "2024-01-15",
            "gap": 5.0,
            "observation": {"sampleSize": 100, "dataset": {"title": "Poverty survey"}},
            "official": {"source": "National SDG platform"},
        }
        small = rows[("2020", "F")]
        assert (small["communityValue"], small["suppressed"], small["gap"]) == (None, True, None)
        assert small["officialValue"] == 40.0
        assert small["observation"]["sampleSize"] is None
        only_community = rows[("2020", "M")]
        assert (only_community["communityValue"], only_community["officialValue"]) == (20.0, None)
        assert only_community["gap"] is None and only_community["official"] is None
        only_official = rows[("2021", "_T")]
        assert (only_official["communityValue"], only_official["suppressed"]) == (None, False)
        assert only_official["observation"] is None and only_official["gap"] is None
        units_differ = rows[("2022", "_T")]
        assert (units_differ["communityValue"], units_differ["officialValue"]) == (9.0, 8.0)
        assert units_differ["gap"] is None

    async def test_the_coalition_sees_its_small_cells(self, world: Compared) -> None:
        small = (await world.rows("VIEWER"))[("2020", "F")]
        assert (small["communityValue"], small["suppressed"], small["gap"]) == (42.0, False, 2.0)

    async def test_a_hidden_dataset_contributes_nothing(self, world: Compared) -> None:
        hidden = await f.create_dataset(world.conn, world.other, visibility="COALITION")
        await f.create_observation(world.conn, hidden, area_code=world.other_area, value=50.0)
        rows = await world.rows(None, areas=[world.other["code"]])
        assert list(rows) == [("2020", "_T")]
        assert rows[("2020", "_T")]["communityValue"] is None
        assert rows[("2020", "_T")]["observation"] is None
        inside = await world.rows("OUTSIDER", areas=[world.other["code"]])
        assert inside[("2020", "_T")]["gap"] == 50.0 - 99.0

    async def test_filters_and_unknown_codes(self, world: Compared) -> None:
        rows = await world.rows(None, **{"from": "2021", "to": "2021"})
        assert list(rows) == [("2021", "_T")]
        assert await world.rows(None, areas=["ZZ"]) == {}
        unknown = await world.call(COMPARISON, {"indicator": "99.9.9"}, None)
        assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        bad_period = await world.call(COMPARISON, {"indicator": "1.1.1", "from": "2021-Q9"}, None)
        assert bad_period["errors"][0]["extensions"]["field"] == "periodFrom"

    async def test_target_level_values(self, world: Compared) -> None:
        await world.upload(
            UPLOAD,
            {"input": {"source": "UN SDG Global Database"}},
            f"indicator,area,period,value\n10.2,{world.area},2020,12\n".encode(),
        )
        data = await world.ok(COMPARISON, {"indicator": "10.2"}, None)
        assert [(r["officialValue"], r["communityValue"]) for r in data["comparison"]] == [
            (12.0, None)
        ]
        assert data["comparison"][0]["officialRetrievedOn"] == date.today().isoformat()
