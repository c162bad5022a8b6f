"""observationsUpload over the GraphQL multipart request spec: success (CSV and XLSX, Kobo and
ODK headers), every rejection reason with proof that nothing was written, the problem cap,
re-upload, replace, state and role refusals, and the CSRF guard."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import httpx
import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

UPLOAD = """
mutation($input: ObservationsUploadInput!) {
  observationsUpload(input: $input) {
    dataset { id rowVersion indicators { code } }
    report {
      rowsRead rowsWritten duplicateOfPreviousUpload sha256 problemCount ignoredColumns
      observationsReplaced problems { row column code message }
    }
    userErrors { field code message }
  }
}
"""
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys
        self.tokens: dict[str, str] = {}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        frontend = await f.create_client(self.conn, org)
        for role in ("VIEWER", "EDITOR"):
            user = await f.create_user(self.conn)
            await f.give_role(self.conn, user, self.coalition, role)
            scopes = ("data:read", "data:write")
            self.tokens[role] = token_for(self.keys, client=frontend, user=user, scopes=scopes)
            if role == "EDITOR":
                self.tokens["EDITOR_READ_ONLY"] = token_for(
                    self.keys, client=frontend, user=user, scopes=("data:read",)
                )
        self.country = self.coalition["code"]
        areas = await self.conn.execute(
            sa.text(
                "SELECT code, name FROM areas WHERE country_code = :c AND level = 'SUBDIVISION'"
                " AND lower(name) IN (SELECT lower(name) FROM areas WHERE country_code = :c"
                " GROUP BY lower(name) HAVING count(*) = 1) ORDER BY code LIMIT 2"
            ),
            {"c": self.country},
        )
        (self.area1, self.name1), (self.area2, self.name2) = [tuple(r) for r in areas]
        self.dataset = await f.create_dataset(
            self.conn, self.coalition, status="DRAFT", visibility="COALITION"
        )
        self.dataset_gid = to_global_id("Dataset", self.dataset["id"])
        return self

    async def upload(
        self,
        content: bytes,
        *,
        name: str = "survey.csv",
        mime: str = CSV,
        mapping: dict[str, Any] | None = None,
        replace: bool = False,
        dataset: str | None = None,
        as_: str = "EDITOR",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        variables = {
            "input": {
                "datasetId": dataset or self.dataset_gid,
                "file": None,
                "mapping": mapping,
                "replace": replace,
            }
        }
        operations = json.dumps({"query": UPLOAD, "variables": variables})
        return await self.client.post(
            "/graphql",
            data={"operations": operations, "map": json.dumps({"0": ["variables.input.file"]})},
            files={"0": (name, content, mime)},
            headers=bearer(self.tokens[as_]) | (PREFLIGHT if headers is None else headers),
        )

    async def payload(self, content: bytes, **kwargs: Any) -> dict[str, Any]:
        response = await self.upload(content, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"]["observationsUpload"]
        return payload

    async def observations(self) -> list[dict[str, Any]]:
        obs = models.Observation.__table__
        rows = await self.conn.execute(
            sa.select(obs, models.Indicator.code.label("indicator"))
            .join(models.Indicator, models.Indicator.id == obs.c.indicator_id)
            .where(obs.c.dataset_id == self.dataset["id"])
            .order_by(obs.c.id)
        )
        return [dict(r) for r in rows.mappings()]

    async def count(self, model: Any, **where: Any) -> int:
        table = model.__table__
        stmt = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        return int(await self.conn.scalar(stmt) or 0)

    async def nothing_written(self) -> None:
        assert await self.observations() == []
        assert await self.count(models.DatasetUpload, dataset_id=self.dataset["id"]) == 0
        assert await self.count(models.AuditEvent, action="dataset.upload") == 0

    def csv(self, *rows: str, header: str = "indicator,area,period,value") -> bytes:
        return "\n".join([header, *rows]).encode()


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class TestSuccess:
    async def test_kobo_csv(self, world: World) -> None:
        # given a KoboToolbox export: BOM, ';' separated, group prefixes, metadata columns,
        # an area by name and an extra dimension
        content = (
            "\ufeffstart;end;survey/indicator;survey/area;survey/period;survey/value;"
            "survey/sample_size;survey/sex;survey/obs_status;survey/education_lev;_id;_uuid;"
            "_submission_time;meta/instanceID;enumerator_note\n"
            f"2024-01-01;2024-01-01;1.1.1;{world.area1};2023;12.5;120;F;;ISCED11_1;1;u1;"
            "2024-01-02T10:00:00;uuid:1;ok\n"
            f"2024-01-01;2024-01-01;1.1.1;{world.name2.upper()};2023-Q2;7;80;;a;;2;u2;"
            "2024-01-02T10:00:00;uuid:2;\n"
            "\n"
            f"2024-01-01;2024-01-01;10.2.1;{world.area1};2023-03;;;;M;;3;u3;"
            "2024-01-02T10:00:00;uuid:3;\n"
        ).encode()
        # when an editor uploads it
        payload = await world.payload(
            content, name="kobo.csv", mapping={"dimensions": ["education_lev"], "sheet": None}
        )
        # then every row is written, as an observation of the draft
        assert payload["userErrors"] == []
        report = payload["report"]
        assert report["rowsRead"] == 3 and report["rowsWritten"] == 3
        assert report["problems"] == [] and report["problemCount"] == 0
        assert report["duplicateOfPreviousUpload"] is False
        assert report["ignoredColumns"] == ["enumerator_note"]
        assert payload["dataset"]["rowVersion"] == world.dataset["row_version"] + 1
        assert [i["code"] for i in payload["dataset"]["indicators"]] == ["1.1.1", "10.2.1"]
        rows = await world.observations()
        assert [
            tuple(r[c] for c in ("indicator", "area_code", "period", "value", "sample_size"))
            + tuple(r[c] for c in ("sex", "obs_status"))
            for r in rows
        ] == [
            ("1.1.1", world.area1, "2023", 12.5, 120, "F", "A"),
            ("1.1.1", world.area2, "2023-Q2", 7.0, 80, "_T", "A"),
            ("10.2.1", world.area1, "2023-03", None, None, "_T", "M"),
        ]
        assert rows[0]["dimensions"] == {"EDUCATION_LEV": "ISCED11_1"}
        assert rows[1]["dimensions"] == {}
        assert str(rows[2]["period_start"]) == "2023-03-01"
        assert str(rows[2]["period_end"]) == "2023-03-31"
        # and the upload is recorded and audited with its hash and counts
        (upload,) = (
            await world.conn.execute(
                sa.select(models.DatasetUpload.__table__).where(
                    models.DatasetUpload.dataset_id == world.dataset["id"]
                )
            )
        ).mappings()
        assert (upload["sha256"], upload["rows"], upload["filename"]) == (
            report["sha256"],
            3,
            "kobo.csv",
        )
        (event,) = (
            await world.conn.execute(
                sa.select(models.AuditEvent.__table__).where(
                    models.AuditEvent.action == "dataset.upload"
                )
            )
        ).mappings()
        assert event["entity_id"] == str(world.dataset["id"])
        assert event["after"]["sha256"] == report["sha256"]
        assert event["after"]["rows_written"] == 3

    async def test_odk_xlsx(self, world: World) -> None:
        # given an ODK Central export saved as XLSX: '-' group prefixes, metadata, typed cells
        content = _xlsx(
            [
                [
                    "SubmissionDate",
                    "hh-indicator",
                    "hh-area",
                    "hh-period",
                    "hh-value",
                    "hh-sample_size",
                    "hh-age",
                    "meta-instanceID",
                    "KEY",
                    "Status",
                ],
                [
                    *(datetime(2024, 2, 1, 9, 30), "1.1.1", world.area1, 2022, 3.25, 40.0),
                    *("Y15T24", "uuid:a", "uuid:a", "approved"),
                ],
                [
                    *(datetime(2024, 2, 1, 9, 30), "1.1.1", world.area1, datetime(2022, 5, 17)),
                    *(4, None, None, "uuid:b", "uuid:b", None),
                ],
            ]
        )
        payload = await world.payload(content, name="odk.xlsx", mime=XLSX)
        assert payload["userErrors"] == [], payload
        assert payload["report"]["rowsWritten"] == 2
        assert payload["report"]["ignoredColumns"] == []
        rows = await world.observations()
        assert [(r["period"], r["value"], r["sample_size"], r["age"]) for r in rows] == [
            ("2022", 3.25, 40, "Y15T24"),
            ("2022-05-17", 4.0, None, "_T"),
        ]

    async def test_explicit_mapping_and_custom_indicator(self, world: World) -> None:
        await world.conn.execute(
            sa.insert(models.Indicator.__table__).values(
                code=f"{world.country}-C-0001",
                target_code="1.1",
                title="Community-defined indicator",
                coalition_id=world.coalition["id"],
                sort_key=f"~~{world.country}-C-0001",
            )
        )
        content = world.csv(
            f"{world.area1},2021,55,Score",
            f"{world.area2},2021,60,Score",
            header="Ward Code,Round,Result,Measure",
        )
        payload = await world.payload(
            content,
            mapping={
                "indicatorCode": f"{world.country.lower()}-c-0001",
                "area": "ward code",
                "period": "Round",
                "value": "RESULT",
                "unit": "Measure",
            },
        )
        assert payload["userErrors"] == [], payload
        rows = await world.observations()
        assert {(r["indicator"], r["unit"]) for r in rows} == {(f"{world.country}-C-0001", "Score")}

    async def test_empty_value_with_missing_status(self, world: World) -> None:
        content = world.csv(
            f"1.1.1,{world.area1},2020,,O", header="indicator,area,period,value,obs_status"
        )
        payload = await world.payload(content)
        assert payload["report"]["rowsWritten"] == 1
        (row,) = await world.observations()
        assert (row["value"], row["obs_status"]) == (None, "O")


GOOD_EXTRA = {"sample_size": "10", "obs_status": "A", "sex": "F", "group": "_T", "age": "_T"}
BAD_ROWS = [
    # (header, bad row, column, code)
    ("indicator,area,period,value", "99.9.9,{a},2020,1", "indicator", "UNKNOWN_INDICATOR"),
    ("indicator,area,period,value", "1.1.1,Atlantis,2020,1", "area", "UNKNOWN_AREA"),
    ("indicator,area,period,value", "1.1.1,{a},2020-13,1", "period", "INVALID_PERIOD"),
    ("indicator,area,period,value", "1.1.1,{a},2020-02-30,1", "period", "INVALID_PERIOD"),
    ("indicator,area,period,value", "1.1.1,{a},2020,twelve", "value", "INVALID_VALUE"),
    ("indicator,area,period,value", "1.1.1,{a},2020,nan", "value", "INVALID_VALUE"),
    ("indicator,area,period,value", "1.1.1,{a},2020,", "value", "MISSING_VALUE"),
    (
        "indicator,area,period,value,sample_size",
        "1.1.1,{a},2020,1,-3",
        "sample_size",
        "INVALID_SAMPLE_SIZE",
    ),
    (
        "indicator,area,period,value,sample_size",
        "1.1.1,{a},2020,1,2.5",
        "sample_size",
        "INVALID_SAMPLE_SIZE",
    ),
    (
        "indicator,area,period,value,obs_status",
        "1.1.1,{a},2020,1,Z",
        "obs_status",
        "INVALID_OBS_STATUS",
    ),
    # a disaggregation code holds nothing JSON escapes (ck_observations_*_plain)
    ("indicator,area,period,value,sex", '1.1.1,{a},2020,1,"F""M"', "sex", "INVALID_CODE"),
    ("indicator,area,period,value,group", "1.1.1,{a},2020,1,ROMA\\X", "group", "INVALID_CODE"),
    ("indicator,area,period,value,age", '1.1.1,{a},2020,1,"Y1\tY2"', "age", "INVALID_CODE"),
]


class TestRejections:
    @pytest.mark.parametrize(("header", "bad", "column", "code"), BAD_ROWS)
    async def test_one_bad_row_rejects_the_file(
        self, world: World, header: str, bad: str, column: str, code: str
    ) -> None:
        # given a file whose third data row is bad
        extra = [GOOD_EXTRA[c] for c in header.split(",")[4:]]
        good = [",".join(["1.1.1", world.area1, year, "1", *extra]) for year in ("2018", "2019")]
        content = world.csv(*good, bad.format(a=world.area1), header=header)
        # when it is uploaded
        payload = await world.payload(content)
        # then the report names the row, column and reason, and nothing is written
        assert payload["dataset"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_FILE"]
        assert payload["userErrors"][0]["field"] == ["input", "file"]
        report = payload["report"]
        assert (report["rowsRead"], report["rowsWritten"], report["problemCount"]) == (3, 0, 1)
        (problem,) = report["problems"]
        assert (problem["row"], problem["column"], problem["code"]) == (4, column, code)
        await world.nothing_written()

    async def test_ambiguous_area_name(self, world: World) -> None:
        for parent in (world.area1, world.area2):
            await world.conn.execute(
                sa.insert(models.Area.__table__).values(
                    code=f"{parent}-W1",
                    name="Central Ward",
                    level="LOCAL",
                    country_code=world.country,
                    parent_code=parent,
                    ancestors=[world.country, parent],
                    coalition_id=world.coalition["id"],
                )
            )
        payload = await world.payload(world.csv("1.1.1,central ward,2020,1"))
        (problem,) = payload["report"]["problems"]
        assert problem["code"] == "AMBIGUOUS_AREA"
        assert f"{world.area1}-W1" in problem["message"]
        await world.nothing_written()

    async def test_duplicate_key_within_the_file(self, world: World) -> None:
        content = world.csv(
            f"1.1.1,{world.area1},2020,1",
            f"1.1.1,{world.area2},2020,1",
            f"1.1.1,{world.name1},2020,2",  # the same area, by name
        )
        payload = await world.payload(content)
        (problem,) = payload["report"]["problems"]
        assert (problem["row"], problem["code"]) == (4, "DUPLICATE_IN_FILE")
        assert "row 2" in problem["message"]
        await world.nothing_written()

    async def test_duplicate_of_an_existing_observation(self, world: World) -> None:
        await f.create_observation(world.conn, world.dataset, area_code=world.area2, period="2020")
        content = world.csv(f"1.1.1,{world.area1},2020,1", f"1.1.1,{world.area2},2020,1")
        payload = await world.payload(content)
        (problem,) = payload["report"]["problems"]
        assert (problem["row"], problem["code"]) == (3, "DUPLICATE_OF_EXISTING")
        assert len(await world.observations()) == 1
        assert await world.count(models.DatasetUpload, dataset_id=world.dataset["id"]) == 0

    async def test_missing_column(self, world: World) -> None:
        payload = await world.payload(world.csv("1.1.1,KE,1", header="indicator,area,value"))
        (problem,) = payload["report"]["problems"]
        assert (problem["row"], problem["code"], problem["column"]) == (
            1,
            "MISSING_COLUMN",
            "period",
        )
        await world.nothing_written()

    async def test_header_only(self, world: World) -> None:
        payload = await world.payload(world.csv("", ""))
        (problem,) = payload["report"]["problems"]
        assert (problem["row"], problem["code"]) == (2, "INVALID_FILE")
        assert "no data rows" in problem["message"]
        await world.nothing_written()

    async def test_not_a_spreadsheet(self, world: World) -> None:
        payload = await world.payload(b"\xd0\xcf\x11\xe0 legacy", name="old.xls")
        assert payload["report"]["problems"][0]["code"] == "INVALID_FILE"
        await world.nothing_written()

    async def test_first_thousand_problems_and_the_count(self, world: World) -> None:
        content = world.csv(*(f"1.1.1,{world.area1},{2000 + i % 20},x{i}" for i in range(1500)))
        payload = await world.payload(content)
        report = payload["report"]
        assert report["problemCount"] == 1500
        assert len(report["problems"]) == 1000
        assert [p["row"] for p in report["problems"]] == list(range(2, 1002))
        await world.nothing_written()


class TestRepeatAndReplace:
    async def test_same_file_twice_changes_nothing(self, world: World) -> None:
        content = world.csv(f"1.1.1,{world.area1},2020,1", f"1.1.1,{world.area2},2020,2")
        first = await world.payload(content)
        assert first["report"]["rowsWritten"] == 2
        again = await world.payload(content, name="renamed.csv")
        assert again["userErrors"] == []
        assert again["report"]["duplicateOfPreviousUpload"] is True
        assert again["report"]["rowsWritten"] == 0
        assert again["report"]["sha256"] == first["report"]["sha256"]
        assert again["dataset"]["rowVersion"] == first["dataset"]["rowVersion"]
        assert len(await world.observations()) == 2
        assert await world.count(models.AuditEvent, action="dataset.upload") == 1

    async def test_replace_starts_over(self, world: World) -> None:
        await world.payload(world.csv(f"1.1.1,{world.area1},2020,1", f"1.1.1,{world.area2},2020,2"))
        payload = await world.payload(world.csv(f"1.1.1,{world.area1},2020,9"), replace=True)
        assert payload["userErrors"] == []
        assert payload["report"]["observationsReplaced"] == 2
        rows = await world.observations()
        assert [(r["area_code"], r["value"]) for r in rows] == [(world.area1, 9.0)]
        assert await world.count(models.DatasetUpload, dataset_id=world.dataset["id"]) == 1


class TestRefusals:
    async def test_published_dataset(self, world: World) -> None:
        published = await f.create_dataset(world.conn, world.coalition, visibility="COALITION")
        payload = await world.payload(
            world.csv(f"1.1.1,{world.area1},2020,1"),
            dataset=to_global_id("Dataset", published["id"]),
        )
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_STATE"]
        assert payload["userErrors"][0]["field"] == ["input", "datasetId"]
        assert payload["report"] is None
        assert await world.count(models.Observation, dataset_id=published["id"]) == 0

    async def test_viewer_does_not_see_the_draft(self, world: World) -> None:
        # a draft is hidden from viewers: not found, exactly like a missing dataset
        response = await world.upload(world.csv(f"1.1.1,{world.area1},2020,1"), as_="VIEWER")
        payload = response.json()["data"]["observationsUpload"]
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "datasetId"], "NOT_FOUND")
        ]
        await world.nothing_written()

    @pytest.mark.parametrize(("who", "message"), [("EDITOR_READ_ONLY", "data:write")])
    async def test_forbidden(self, world: World, who: str, message: str) -> None:
        response = await world.upload(world.csv(f"1.1.1,{world.area1},2020,1"), as_=who)
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert message in body["errors"][0]["message"]
        await world.nothing_written()

    async def test_unknown_default_indicator(self, world: World) -> None:
        payload = await world.payload(
            world.csv(f"{world.area1},2020,1", header="area,period,value"),
            mapping={"indicatorCode": "99.9.9"},
        )
        (error,) = payload["userErrors"]
        assert (error["code"], error["field"]) == (
            "INVALID_CODE",
            ["input", "mapping", "indicatorCode"],
        )
        await world.nothing_written()

    async def test_unknown_dataset(self, world: World) -> None:
        payload = await world.payload(
            world.csv(f"1.1.1,{world.area1},2020,1"), dataset=to_global_id("Dataset", 0)
        )
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]

    @pytest.mark.parametrize("headers", [{}, {"Apollo-Require-Preflight": ""}])
    async def test_multipart_without_preflight_header(
        self, world: World, headers: dict[str, str]
    ) -> None:
        response = await world.upload(world.csv(f"1.1.1,{world.area1},2020,1"), headers=headers)
        assert response.status_code == 400
        assert "cross-site request forgery" in response.text
        await world.nothing_written()

    async def test_failure_after_copy_leaves_nothing(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from lnob_api.upload import repository

        async def broken(*_: Any) -> int:
            raise RuntimeError("connection lost")

        monkeypatch.setattr(repository, "insert_observations", broken)
        response = await world.upload(world.csv(f"1.1.1,{world.area1},2020,1"))
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        await world.nothing_written()
        staging = await world.conn.scalar(sa.text("SELECT to_regclass('pg_temp.upload_rows')"))
        assert staging is None
