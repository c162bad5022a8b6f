"""Issue 13: the SDG disaggregation gap report, through GraphQL and the CSV download.

A coalition publishes indicator 1.1.1 ("... by sex, age, employment status and geographic
location (urban/rural)") through the public API: a public dataset broken down by sex,
disability, a marginalised group (refugees), a free INCOME dimension and subdivisions, and a
coalition-only dataset broken down by age. The country's official reference values report
1.1.1 by sex only.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.disclosure.disclosure_world import World
from tests.helpers import gql

from lnob_api.auth.keys import KeyStore
from lnob_api.gaps.model import Expectation, expected

GAPS = """
query($c: [String!], $i: [String!]) {
  disaggregationGaps(coalitions: $c, indicators: $i) {
    coalition indicator indicatorTitle cells shownCells datasets groups asked
    filledByCommunity missing source
    disaggregations {
      disaggregation expectation evidence status
      community { reported cells shownCells areas datasets latestPeriodEnd categories }
      official { reported cells areas categories }
    }
  }
}
"""


def public_file(world: World) -> str:
    a, b = world.area1, world.area2
    return "\n".join(
        [
            "indicator,area,period,unit,sex,disability_status,group,income,value,sample_size",
            f"1.1.1,{a},2023,PERCENT,_T,_T,_T,,31.5,400",
            f"1.1.1,{a},2023,PERCENT,F,_T,_T,,33.0,210",
            f"1.1.1,{a},2023,PERCENT,M,_T,_T,,29.8,190",
            f"1.1.1,{a},2023,PERCENT,_T,PD,_T,,44.0,60",
            f"1.1.1,{a},2023,PERCENT,_T,_T,REFUGEES,,52.0,3",
            f"1.1.1,{b},2023,PERCENT,_T,_T,_T,Q1,61.0,120",
            f"1.1.1,{b},2023,PERCENT,_T,_T,_T,Q5,12.0,110",
            "",
        ]
    )


def coalition_file(world: World) -> str:
    return "\n".join(
        [
            "indicator,area,period,unit,age,value,sample_size",
            f"1.1.1,{world.area1},2022,PERCENT,Y15T24,40.0,90",
            f"1.1.1,{world.area1},2022,PERCENT,Y_GE65,35.0,70",
            "",
        ]
    )


@pytest.fixture
async def world(conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore) -> Any:
    world = await World(conn, client, signing_keys).build()
    world.public = await world.draft()
    await world.upload(world.public, public_file(world), dimensions=["income"])
    await world.publish(world.public)
    world.private = await world.draft(visibility="COALITION")
    await world.upload(world.private, coalition_file(world))
    await world.publish(world.private)
    indicator = await conn.scalar(sa.text("SELECT id FROM indicators WHERE code = '1.1.1'"))
    for sex, value in (("_T", 20.1), ("F", 21.0), ("M", 19.2)):
        await conn.execute(
            sa.text(
                "INSERT INTO official_values (indicator_id, area_code, period, period_start,"
                " period_end, value, unit, sex, source_name) VALUES (:i, :a, '2022',"
                " :s, :e, :v, 'PERCENT', :sex, 'National household survey')"
            ),
            {
                "i": indicator,
                "a": world.coalition["code"],
                "s": date(2022, 1, 1),
                "e": date(2022, 12, 31),
                "v": value,
                "sex": sex,
            },
        )
    return world


async def report(world: World, who: str, **variables: Any) -> list[dict[str, Any]]:
    found = await world.call(GAPS, variables, who)
    rows: list[dict[str, Any]] = found["disaggregationGaps"]
    return rows


def by_name(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["disaggregation"]: d for d in row["disaggregations"]}


class TestExpectations:
    def test_the_title_names_the_breakdowns_it_asks_for(self) -> None:
        # given the official title of 1.1.1
        title = (
            "Proportion of the population living below the international poverty line by sex,"
            " age, employment status and geographic location (urban/rural)"
        )
        # when
        found = {e.disaggregation.value: e for e in expected(title)}
        # then
        named = {k for k, e in found.items() if e.expectation is Expectation.NAMED}
        assert named == {"SEX", "AGE", "URBANISATION", "SUBNATIONAL"}
        assert found["SEX"].evidence == "sex"
        assert found["DISABILITY_STATUS"].expectation is Expectation.WHERE_RELEVANT

    def test_a_population_is_not_a_breakdown(self) -> None:
        found = {e.disaggregation.value: e for e in expected("Under-5 mortality rate")}
        assert found["AGE"].expectation is Expectation.POPULATION
        assert found["AGE"].evidence == "Under-5"


class TestGapReport:
    async def test_community_data_fills_the_official_gaps_an_outsider_may_see(
        self, world: World
    ) -> None:
        # when an anonymous caller asks for the coalition's report
        [row] = await report(world, "anonymous", c=[world.coalition["code"]])
        gaps = by_name(row)
        # then the row is 1.1.1, counting only the public dataset
        assert (row["coalition"], row["indicator"]) == (world.coalition["code"], "1.1.1")
        assert (row["cells"], row["datasets"], row["groups"]) == (7, 1, ["REFUGEES"])
        # the refugee cell (n = 3) is withheld: it counts by its structure, not as shown
        assert row["shownCells"] == 6
        assert gaps["MIGRATORY_STATUS"]["community"]["cells"] == 1
        assert gaps["MIGRATORY_STATUS"]["community"]["shownCells"] == 0
        # sex: asked, reported by both; urban/rural: asked, reported by neither
        assert (gaps["SEX"]["expectation"], gaps["SEX"]["status"]) == ("NAMED", "BOTH")
        assert gaps["SEX"]["community"]["categories"] == ["F", "M"]
        assert gaps["SEX"]["official"]["categories"] == ["F", "M"]
        assert gaps["URBANISATION"]["status"] == "MISSING"
        # subnational areas: asked, only community data has them
        sub = gaps["SUBNATIONAL"]
        assert (sub["expectation"], sub["status"]) == ("NAMED", "FILLED_BY_COMMUNITY")
        assert (sub["community"]["areas"], sub["community"]["categories"]) == (2, ["SUBDIVISION"])
        # disability and income: not named, but community data brings them
        assert gaps["DISABILITY_STATUS"]["expectation"] == "WHERE_RELEVANT"
        assert gaps["DISABILITY_STATUS"]["status"] == "FILLED_BY_COMMUNITY"
        assert gaps["DISABILITY_STATUS"]["community"]["categories"] == ["PD"]
        assert gaps["INCOME"]["community"]["categories"] == ["INCOME:Q1", "INCOME:Q5"]
        assert gaps["MIGRATORY_STATUS"]["community"]["categories"] == ["GROUP:REFUGEES"]
        # age lives in the coalition-only dataset: an outsider sees no age breakdown at all
        assert gaps["AGE"]["status"] == "MISSING"
        assert gaps["AGE"]["community"] == {
            "reported": False,
            "cells": 0,
            "shownCells": 0,
            "areas": 0,
            "datasets": 0,
            "latestPeriodEnd": None,
            "categories": [],
        }
        # summary: 4 asked (sex, age, urban/rural, subnational), 1 filled, 2 missing
        assert (row["asked"], row["filledByCommunity"], row["missing"]) == (4, 1, 2)
        assert "A/RES/71/313" in row["source"]

    async def test_insiders_see_what_their_coalition_only_data_adds(self, world: World) -> None:
        # when
        [row] = await report(world, "insider", c=[world.coalition["code"]])
        gaps = by_name(row)
        # then the age breakdown of the coalition-only dataset fills the age gap
        assert (row["cells"], row["datasets"]) == (9, 2)
        age = gaps["AGE"]
        assert age["status"] == "FILLED_BY_COMMUNITY"
        assert age["community"]["categories"] == ["Y15T24", "Y_GE65"]
        assert age["community"]["latestPeriodEnd"] == "2022-12-31"
        assert (row["filledByCommunity"], row["missing"]) == (2, 1)

    async def test_named_indicators_without_data_show_the_whole_gap(self, world: World) -> None:
        # when the report is asked for an indicator the coalition has no data of
        rows = await report(world, "anonymous", c=[world.coalition["code"]], i=["1.1.1", "1.2.1"])
        # then both rows come, in framework order; 1.2.1 shows sex and age missing
        assert [r["indicator"] for r in rows] == ["1.1.1", "1.2.1"]
        second = by_name(rows[1])
        assert rows[1]["cells"] == 0
        assert {k for k, g in second.items() if g["expectation"] == "NAMED"} == {"SEX", "AGE"}
        assert all(g["status"] == "MISSING" for g in second.values())

    @pytest.mark.parametrize(
        ("variables", "message"),
        [
            ({"c": ["ZZ"]}, "coalition: unknown coalition ZZ"),
            ({"i": ["99.9.9"]}, "indicator: unknown indicator 99.9.9"),
        ],
    )
    async def test_unknown_codes_are_named(
        self, world: World, variables: dict[str, Any], message: str
    ) -> None:
        # when
        body = await gql(world.client, GAPS, variables)
        # then
        [error] = body["errors"]
        assert message in error["message"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


class TestCsvDownload:
    async def test_it_has_one_row_per_disaggregation_and_matches_graphql(
        self, world: World
    ) -> None:
        # given
        [row] = await report(world, "anonymous", c=[world.coalition["code"]])
        # when
        response = await world.client.get(
            "/exports/disaggregation-gaps.csv", params={"coalition": world.coalition["code"]}
        )
        # then
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == len(row["disaggregations"]) == 8
        for line, gap in zip(rows, row["disaggregations"], strict=True):
            assert line["indicator"] == "1.1.1"
            assert line["disaggregation"] == gap["disaggregation"]
            assert line["status"] == gap["status"]
            assert int(line["community_cells"]) == gap["community"]["cells"]
            assert line["community_categories"] == ";".join(gap["community"]["categories"])
        # and a conditional request with its ETag is answered 304
        again = await world.client.get(
            "/exports/disaggregation-gaps.csv",
            params={"coalition": world.coalition["code"]},
            headers={"If-None-Match": response.headers["etag"]},
        )
        assert again.status_code == 304

    async def test_insiders_get_their_own_view(self, world: World) -> None:
        response = await world.client.get(
            "/exports/disaggregation-gaps.csv",
            params={"coalition": world.coalition["code"], "indicator": "1.1.1"},
            headers=world.headers["insider"],
        )
        rows = {r["disaggregation"]: r for r in csv.DictReader(io.StringIO(response.text))}
        assert rows["AGE"]["status"] == "FILLED_BY_COMMUNITY"
        assert rows["AGE"]["community_categories"] == "Y15T24;Y_GE65"

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"coalition": "ZZ"}, "unknown coalition ZZ"),
            ({"indicator": "1.1.1,nope"}, "unknown indicator nope"),
            ({"area": "KE"}, "unknown parameter 'area'"),
            ({"indicator": ",".join(f"1.1.{i}" for i in range(400))}, "at most 300 codes"),
            ({"coalition": "K" * 5000}, "unknown coalition"),
            ({"indicator": "1.1.1\u00e9\u202e"}, "unknown indicator"),
        ],
    )
    async def test_bad_parameters_are_a_clear_400(
        self, world: World, params: dict[str, str], message: str
    ) -> None:
        response = await world.client.get("/exports/disaggregation-gaps.csv", params=params)
        assert response.status_code == 400
        assert message in response.text

    async def test_a_nul_byte_is_refused_not_a_500(self, world: World) -> None:
        response = await world.client.get("/exports/disaggregation-gaps.csv?coalition=K%00E")
        assert response.status_code == 400
