"""officialValuesUpload: a good file is imported (and re-imported as updates), a bad file is
refused whole with its problems by row, permissions, and the officialValues list."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.graphql.scorecard.evidence_world import World, errors_of

from lnob_api import models
from lnob_api.auth.keys import KeyStore

UPLOAD = """
mutation($input: OfficialValuesUploadInput!) {
  officialValuesUpload(input: $input) {
    report { rowsRead rowsInserted rowsUpdated problemCount ignoredColumns
             problems { row column code message } }
    userErrors { field code message }
  }
}
"""
LIST = """
query($filter: OfficialValueFilter) {
  officialValues(filter: $filter) {
    totalCount
    nodes { indicatorCode areaCode period value unit sex age group source sourceUrl retrievedOn note
            area { name } }
  }
}
"""
SOURCE = {"source": "UN SDG Global Database", "sourceUrl": "https://unstats.un.org/sdgs/dataportal"}


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


def _csv(*rows: str, header: str = "indicator,area,period,value,unit,sex,age,note") -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


async def _upload(world: World, content: bytes, as_: str | None = "EDITOR", **input: Any) -> Any:
    return await world.upload(UPLOAD, {"input": SOURCE | input}, content, as_)


class TestSuccess:
    async def test_import_then_reimport_updates(self, world: World) -> None:
        # given
        good = _csv(
            f"1.1.1,{world.area},2020,25.5,PERCENT,,,national survey",
            f"1.1.1,{world.area},2020,31,PERCENT,F,,",
            f"10.2,{world.country},2019-Q4,12,PERCENT,_T,Y15T24,",
            "",
        )
        # when
        body = await _upload(world, good, retrievedOn="2024-02-01")
        # then
        payload = body["data"]["officialValuesUpload"]
        assert payload["userErrors"] == []
        assert payload["report"] == {
            "rowsRead": 3,
            "rowsInserted": 3,
            "rowsUpdated": 0,
            "problemCount": 0,
            "ignoredColumns": [],
            "problems": [],
        }
        listed = (await world.ok(LIST, {"filter": {"areas": [world.country]}}, as_=None))[
            "officialValues"
        ]
        assert listed["totalCount"] == 3
        first = listed["nodes"][0]
        assert first == {
            "indicatorCode": "1.1.1",
            "areaCode": world.area,
            "period": "2020",
            "value": 25.5,
            "unit": "PERCENT",
            "sex": "_T",
            "age": "_T",
            "group": "_T",
            "source": "UN SDG Global Database",
            "sourceUrl": "https://unstats.un.org/sdgs/dataportal",
            "retrievedOn": "2024-02-01",
            "note": "national survey",
            "area": first["area"],
        }
        target = await world.ok(LIST, {"filter": {"indicator": "10.2"}}, as_=None)
        assert [n["age"] for n in target["officialValues"]["nodes"]] == ["Y15T24"]
        # when: the source's refreshed extract comes in
        again = await _upload(world, _csv(f"1.1.1,{world.area},2020,26,PERCENT,,,revised"))
        # then
        assert again["data"]["officialValuesUpload"]["report"]["rowsUpdated"] == 1
        revised = await world.ok(
            LIST, {"filter": {"indicator": "1.1.1", "periodFrom": "2020", "periodTo": "2020"}}
        )
        assert sorted(n["value"] for n in revised["officialValues"]["nodes"]) == [26, 31]
        assert await world.audit("OfficialValues") == [
            "official_values.upload",
            "official_values.upload",
        ]

    async def test_semicolons_aliases_and_ignored_columns(self, world: World) -> None:
        content = (
            "\ufeffSDG Indicator;Geo-Area-Code;TIME_PERIOD;OBS_VALUE;Comment;Extra\n"
            f"1.1.1;{world.area};2021;3,5;x;y\n"
        ).encode()
        body = await _upload(world, content)
        report = body["data"]["officialValuesUpload"]["report"]
        assert (report["rowsInserted"], report["ignoredColumns"]) == (1, ["Extra"])
        listed = await world.ok(LIST, {"filter": {"indicator": "1.1.1"}})
        assert listed["officialValues"]["nodes"][0]["value"] == 3.5

    async def test_partnership_admins_import_for_any_country(self, world: World) -> None:
        content = _csv(f"1.1.1,{world.area},2020,1,,,,", f"1.1.1,{world.other_area},2020,2,,,,")
        body = await _upload(world, content, as_="PARTNERSHIP_ADMIN")
        assert body["data"]["officialValuesUpload"]["report"]["rowsInserted"] == 2


class TestRejected:
    async def test_a_bad_file_writes_nothing_and_lists_its_problems(self, world: World) -> None:
        # given
        bad = _csv(
            f"1.1.1,{world.area},2020,25,PERCENT,,,",
            f"99.9.9,{world.area},2020,1,,,,",
            "1.1.1,ZZ-NOWHERE,2020,1,,,,",
            f"1.1.1,{world.other_area},2020,1,,,,",
            f"1.1.1,{world.area},2020-Q5,1,,,,",
            f"1.1.1,{world.area},2021,lots,,,,",
            f"1.1.1,{world.area},2020,26,PERCENT,_T,,",
            f"1.1.1,{world.area},2022,,,,,",
            f"1.1.1,{world.area},2023,1,,{'X' * 21},,",
        )
        # when
        body = await _upload(world, bad)
        # then
        payload = body["data"]["officialValuesUpload"]
        assert errors_of(payload) == {(("input", "file"), "INVALID_FILE")}
        report = payload["report"]
        assert (report["rowsRead"], report["rowsInserted"], report["problemCount"]) == (9, 0, 8)
        assert [(p["row"], p["column"], p["code"]) for p in report["problems"]] == [
            (3, "indicator", "UNKNOWN_INDICATOR"),
            (4, "area", "UNKNOWN_AREA"),
            (5, "area", "AREA_NOT_ALLOWED"),
            (6, "period", "INVALID_PERIOD"),
            (7, "value", "INVALID_VALUE"),
            (8, None, "DUPLICATE_IN_FILE"),
            (9, "value", "REQUIRED"),
            (10, "sex", "TOO_LONG"),
        ]
        assert "row 2" in report["problems"][5]["message"]
        assert await world.count(models.OfficialValue) == 0
        assert await world.audit("OfficialValues") == []

    async def test_missing_columns_and_empty_files(self, world: World) -> None:
        body = await _upload(world, _csv("1.1.1,KE,2020", header="indicator,area,period"))
        report = body["data"]["officialValuesUpload"]["report"]
        assert [(p["row"], p["code"], p["column"]) for p in report["problems"]] == [
            (1, "MISSING_COLUMN", "value")
        ]
        empty = await _upload(world, b"")
        assert empty["data"]["officialValuesUpload"]["report"]["problems"][0]["code"] == (
            "INVALID_FILE"
        )
        header_only = await _upload(world, _csv())
        assert header_only["data"]["officialValuesUpload"]["report"]["problems"][0]["code"] == (
            "INVALID_FILE"
        )
        latin1 = await _upload(
            world,
            _csv(f"1.1.1,{world.area},2020,1,,,,Gen\xe8ve").replace(b"Gen\xc3\xa8ve", b"Gen\xe8ve"),
        )
        assert latin1["data"]["officialValuesUpload"]["report"]["problems"][0]["code"] == (
            "INVALID_FILE"
        )
        assert await world.count(models.OfficialValue) == 0

    async def test_source_is_checked(self, world: World) -> None:
        body = await _upload(world, _csv(), source=" ", sourceUrl="ftp://example.org")
        payload = body["data"]["officialValuesUpload"]
        assert payload["report"] is None
        assert errors_of(payload) == {
            (("input", "source"), "REQUIRED"),
            (("input", "sourceUrl"), "INVALID"),
        }


class TestForbidden:
    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("VIEWER", "EDITOR role in a coalition"),
            ("EDITOR_READ_ONLY", "data:write or partnership:admin"),
            (None, "data:write or partnership:admin"),
        ],
    )
    async def test_who_may_not_import(self, world: World, who: str | None, message: str) -> None:
        # the viewer holds no EDITOR role anywhere
        body = await _upload(world, _csv(f"1.1.1,{world.area},2020,1,,,,"), as_=who)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert message in body["errors"][0]["message"]
        assert await world.count(models.OfficialValue) == 0
