"""SDMX data queries over HTTP: every format carries the same values as the CSV export (and so
as GraphQL), small cells are masked for outsiders only, negotiation, validators and errors."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.export.export_world import build_world, csv_rows, number
from tests.sdmx.sdmx_errors import CODES, error_of

from lnob_api import models
from lnob_api.auth.keys import KeyStore

DIMS = ["INDICATOR", "REF_AREA", "SEX", "AGE", "DISABILITY_STATUS", "URBANISATION", "GROUP"]
ACCEPT = {
    "xml": "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
    "generic": "application/vnd.sdmx.genericdata+xml;version=2.1",
    "json": "application/vnd.sdmx.data+json;version=1.0.0",
    "csv": "application/vnd.sdmx.data+csv;version=1.0.0",
    "csv2": "application/vnd.sdmx.data+csv;version=2.0.0",
}
Obs = dict[tuple[str, ...], tuple[float | None, str]]


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    return await build_world(conn, signing_keys)


def flow_of(world: dict[str, Any]) -> str:
    return f"DF_LNOB_{world['a']['code']}"


def from_xml(body: bytes) -> Obs:
    found: Obs = {}
    root = ET.fromstring(body)  # noqa: S314 - the service's own output
    for dataset in root.iter("{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}DataSet"):
        for element in dataset.iter("Obs"):
            values = dict(element.attrib)
            parent = next((s for s in dataset.iter("Series") if element in list(s)), None)
            if parent is not None:
                values |= parent.attrib
            key = (*(values[d] for d in DIMS), values["TIME_PERIOD"], dataset.attrib["DATASET"])
            found[key] = (number(values["OBS_VALUE"]), values["CONF_STATUS"])
    return found


GENERIC = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"


def from_generic(body: bytes) -> Obs:
    found: Obs = {}
    root = ET.fromstring(body)  # noqa: S314 - the service's own output
    for dataset in root.iter("{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}DataSet"):
        shared = dataset.find(f"{GENERIC}Attributes")
        assert shared is not None
        slug = {v.attrib["id"]: v.attrib["value"] for v in shared}["DATASET"]
        groups = dataset.findall(f"{GENERIC}Series") or [dataset]
        for series in groups:
            series_key = series.find(f"{GENERIC}SeriesKey")
            base = {
                v.attrib["id"]: v.attrib["value"]
                for v in (list(series_key) if series_key is not None else [])
            }
            for obs in series.findall(f"{GENERIC}Obs"):
                values = dict(base)
                dim = obs.find(f"{GENERIC}ObsDimension")
                if dim is not None:
                    values["TIME_PERIOD"] = dim.attrib["value"]
                for part in ("ObsKey", "Attributes"):
                    element = obs.find(f"{GENERIC}{part}")
                    if element is not None:
                        values |= {v.attrib["id"]: v.attrib["value"] for v in element}
                value = obs.find(f"{GENERIC}ObsValue")
                assert value is not None
                key = (*(values[d] for d in DIMS), values["TIME_PERIOD"], slug)
                found[key] = (number(value.attrib["value"]), values["CONF_STATUS"])
    return found


def from_json(body: bytes) -> Obs:
    message = json.loads(body)
    structure = message["structure"]
    series_dims = structure["dimensions"]["series"]
    obs_dims = structure["dimensions"]["observation"]
    attributes = structure["attributes"]["observation"]
    datasets = structure["attributes"]["dataSet"][0]["values"]
    conf = next(i for i, a in enumerate(attributes) if a["id"] == "CONF_STATUS")
    found: Obs = {}

    def decode(key: str, dims: list[dict[str, Any]]) -> dict[str, str]:
        if not key:
            return {}
        return {
            d["id"]: d["values"][int(p)]["id"] for d, p in zip(dims, key.split(":"), strict=True)
        }

    for data in message["dataSets"]:
        slug = datasets[data["attributes"][0]]["id"]
        series = data.get("series") or {"": {"observations": data.get("observations", {})}}
        for series_key, entry in series.items():
            for obs_key, values in entry["observations"].items():
                codes = decode(series_key, series_dims) | decode(obs_key, obs_dims)
                key = (*(codes[d] for d in DIMS), codes["TIME_PERIOD"], slug)
                found[key] = (values[0], attributes[conf]["values"][values[1 + conf]]["id"])
    return found


def from_csv(body: bytes) -> Obs:
    found: Obs = {}
    for row in csv.DictReader(io.StringIO(body.decode())):
        key = (*(row[d] for d in DIMS), row["TIME_PERIOD"], row["DATASET"])
        found[key] = (number(row["OBS_VALUE"]), row["CONF_STATUS"])
    return found


DECODE = {
    "xml": from_xml,
    "generic": from_generic,
    "json": from_json,
    "csv": from_csv,
    "csv2": from_csv,
}


async def export_values(
    client: httpx.AsyncClient, world: dict[str, Any], headers: dict[str, str]
) -> Obs:
    """The CSV export's rows of coalition A, keyed as SDMX keys them."""
    response = await client.get(
        "/exports/observations.csv", params={"area": world["a"]["code"]}, headers=headers
    )
    found: Obs = {}
    for row in csv_rows(response.text):
        key = (
            row["indicator"].replace(".", "_"),
            row["area"],
            row["sex"],
            row["age"],
            row["disability_status"],
            row["urbanisation"],
            row["group"],
            row["period"],
            row["dataset"],
        )
        found[key] = (number(row["value"]), row["conf_status"])
    return found


class TestEveryFormatAgrees:
    @pytest.mark.parametrize("who", ["anonymous", "insider", "outsider"])
    @pytest.mark.parametrize("fmt", ["xml", "generic", "json", "csv", "csv2"])
    async def test_same_values_as_the_csv_export(
        self, client: httpx.AsyncClient, world: dict[str, Any], who: str, fmt: str
    ) -> None:
        headers = world["headers"][who]
        expected = await export_values(client, world, headers)
        response = await client.get(
            f"/sdmx/data/{flow_of(world)}/all", headers=headers | {"Accept": ACCEPT[fmt]}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(ACCEPT[fmt].split(";")[0])
        assert DECODE[fmt](response.content) == expected
        withheld = [v for v in expected.values() if v[1] == "C"]
        assert (withheld == [(None, "C")]) is (who != "insider")

    @pytest.mark.parametrize("fmt", ["xml", "json"])
    @pytest.mark.parametrize("at", ["AllDimensions", "REF_AREA"])
    async def test_any_dimension_at_observation(
        self, client: httpx.AsyncClient, world: dict[str, Any], fmt: str, at: str
    ) -> None:
        url = f"/sdmx/data/{flow_of(world)}"
        other = await client.get(
            url, params={"dimensionAtObservation": at}, headers={"Accept": ACCEPT[fmt]}
        )
        series = await client.get(url, headers={"Accept": ACCEPT[fmt]})
        assert DECODE[fmt](other.content) == DECODE[fmt](series.content)
        if fmt == "json":
            assert all(("series" in d) is (at != "AllDimensions") for d in other.json()["dataSets"])
        else:
            assert (b"<Series" in other.content) is (at != "AllDimensions")
        if fmt == "xml" and at != "AllDimensions":
            assert f'dimensionAtObservation="{at}"'.encode() in other.content
            assert b"<Obs " + at.encode() + b"=" in other.content

    async def test_format_parameter_overrides_accept(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get(
            f"/sdmx/data/{flow_of(world)}",
            params={"format": "csvdata"},
            headers={"Accept": ACCEPT["json"]},
        )
        assert response.text.startswith("DATAFLOW,INDICATOR,REF_AREA,SEX,AGE,")
        assert f"LNOB:{flow_of(world)}(1.0)" in response.text
        csv2 = await client.get(f"/sdmx/data/{flow_of(world)}", params={"format": "csv2"})
        assert csv2.text.startswith("STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,")

    @pytest.mark.parametrize(
        ("accept", "expected"),
        [
            ("application/xml", "application/vnd.sdmx.structurespecificdata+xml"),
            ("text/csv", "application/vnd.sdmx.data+csv"),
            ("application/json", "application/vnd.sdmx.data+json"),
            ("*/*", "application/vnd.sdmx.structurespecificdata+xml"),
            ("text/html, application/json;q=0.5, text/csv;q=0.9", "application/vnd.sdmx.data+csv"),
        ],
    )
    async def test_shorthand_media_types(
        self, client: httpx.AsyncClient, world: dict[str, Any], accept: str, expected: str
    ) -> None:
        response = await client.get(f"/sdmx/data/{flow_of(world)}", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(expected)


class TestQueries:
    async def test_key_selects_codes(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        code = world["a"]["code"]
        response = await client.get(
            f"/sdmx/data/{flow_of(world)}/1_1_1.{code}.F+M....", params={"format": "csvdata"}
        )
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert {(r["INDICATOR"], r["REF_AREA"]) for r in rows} == {("1_1_1", code)}
        assert {r["SEX"] for r in rows} == {"F", "M"}

    async def test_periods_and_updated_after(
        self, client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        url = f"/sdmx/data/{flow_of(world)}/all"
        rows = csv_rows(
            (
                await client.get(
                    url, params={"startPeriod": "2020", "endPeriod": "2020", "format": "csvdata"}
                )
            ).text
        )
        assert {r["TIME_PERIOD"] for r in rows} == {"2020"}
        later = datetime.now(UTC) + timedelta(days=1)
        table = models.Observation.__table__
        await conn.execute(
            sa.update(table)
            .where(table.c.id == world["observations"][0]["id"])
            .values(updated_at=later)
        )
        since = (later - timedelta(hours=1)).isoformat()
        rows = csv_rows(
            (await client.get(url, params={"updatedAfter": since, "format": "csvdata"})).text
        )
        assert [r["TIME_PERIOD"] for r in rows] == ["2019"]

    async def test_dataset_parameter(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        slug = world["datasets"]["pub"]["slug"]
        rows = csv_rows(
            (
                await client.get(
                    f"/sdmx/data/{flow_of(world)}", params={"dataset": slug, "format": "csvdata"}
                )
            ).text
        )
        assert rows and {r["DATASET"] for r in rows} == {slug}

    async def test_detail(self, client: httpx.AsyncClient, world: dict[str, Any]) -> None:
        url = f"/sdmx/data/{flow_of(world)}"
        keys_only = await client.get(url, params={"detail": "serieskeysonly"})
        assert b"<Series" in keys_only.content and b"<Obs" not in keys_only.content
        data_only = await client.get(url, params={"detail": "dataonly", "format": "csvdata"})
        assert "CONF_STATUS" not in data_only.text.splitlines()[0]
        assert "OBS_VALUE" in data_only.text.splitlines()[0]

    async def test_unchanged_pull_is_304(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        url = f"/sdmx/data/{flow_of(world)}"
        first = await client.get(url, headers=world["headers"]["insider"])
        again = await client.get(
            url, headers=world["headers"]["insider"] | {"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304
        other_format = await client.get(
            url,
            headers=world["headers"]["insider"]
            | {"If-None-Match": first.headers["etag"], "Accept": ACCEPT["json"]},
        )
        assert other_format.status_code == 200


class TestFailures:
    @pytest.mark.parametrize(
        ("path", "params", "headers", "status", "message"),
        [
            ("/1_1_1.KE", {}, {}, 400, "key: 2 dimensions given, the key has 7"),
            (
                "",
                {"startPeriod": "2019-Q5"},
                {},
                400,
                "startPeriod: '2019-Q5' is not a valid period",
            ),
            ("", {"endPeriod": "soon"}, {}, 400, "endPeriod: 'soon' is not a valid period"),
            ("", {"updatedAfter": "x"}, {}, 400, "updatedAfter: 'x' is not an ISO 8601"),
            ("", {"format": "xlsx"}, {}, 400, "format: unsupported format 'xlsx'"),
            ("", {"format": "structure"}, {}, 400, "format: unsupported format 'structure'"),
            (
                "",
                {"dimensionAtObservation": "COLOUR"},
                {},
                400,
                "dimensionAtObservation: 'COLOUR' is not a dimension of DSD_LNOB",
            ),
            ("", {"detail": "everything"}, {}, 400, "detail: 'everything' is not one of"),
            ("", {"lastNObservations": "0"}, {}, 400, "lastNObservations: '0' is not a positive"),
            ("", {"firstNObservations": "x"}, {}, 400, "firstNObservations: 'x' is not a positive"),
            ("", {"includeHistory": "true"}, {}, 400, "includeHistory: not supported"),
            ("", {"colour": "red"}, {}, 400, "colour: unknown parameter"),
            (
                "",
                {"detail": "serieskeysonly", "format": "csvdata"},
                {},
                400,
                "detail: serieskeysonly is available",
            ),
            (
                "",
                {},
                {"Accept": "application/vnd.sdmx.data+json;version=2.0.0"},
                406,
                "none of the accepted",
            ),
            ("/9_9_9......", {}, {}, 404, "unknown code 9_9_9 for INDICATOR"),
            ("/.ZZ-99.....", {}, {}, 404, "unknown code ZZ-99 for REF_AREA"),
            ("/1_1_1..X....", {}, {}, 404, "No results found"),
            ("", {"dataset": "nope"}, {}, 404, "unknown dataset nope"),
        ],
    )
    async def test_error_messages(
        self,
        client: httpx.AsyncClient,
        world: dict[str, Any],
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        status: int,
        message: str,
    ) -> None:
        response = await client.get(
            f"/sdmx/data/{flow_of(world)}{path}", params=params, headers=headers
        )
        assert response.status_code == status, response.text
        code, text = error_of(response)
        assert code == CODES[status]
        assert text.startswith(message)

    async def test_unknown_flow_is_404(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get("/sdmx/data/DF_LNOB_ZZ/all")
        assert response.status_code == 404
        assert error_of(response) == (100, "unknown dataflow all:DF_LNOB_ZZ(latest)")
        other_agency = await client.get(f"/sdmx/data/ECB,{flow_of(world)},1.0/all")
        assert other_agency.status_code == 404

    async def test_hidden_data_is_no_result(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        slug = world["datasets"]["coal"]["slug"]
        response = await client.get(f"/sdmx/data/{flow_of(world)}", params={"dataset": slug})
        assert response.status_code == 404
        inside = await client.get(
            f"/sdmx/data/{flow_of(world)}",
            params={"dataset": slug},
            headers=world["headers"]["insider"],
        )
        assert inside.status_code == 200
