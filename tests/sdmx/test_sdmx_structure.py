"""SDMX structure queries: dataflows per coalition, DSD_LNOB, code lists, references, errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.export.export_world import build_world
from tests.sdmx.sdmx_errors import CODES, error_of

from lnob_api import models
from lnob_api.auth.keys import KeyStore

STR = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure}"
COM = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common}"
STRUCTURE_TYPE = "application/vnd.sdmx.structure+xml"


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    found = await build_world(conn, signing_keys)
    # an area used only by coalition-only data
    hidden_area = await _second_subdivision(conn, found["a"]["code"])
    await f.create_observation(conn, found["datasets"]["coal"], area_code=hidden_area, value=1.0)
    found["hidden_area"] = hidden_area
    return found


async def _second_subdivision(conn: AsyncConnection, country: str) -> str:
    areas = models.Area.__table__
    stmt = (
        sa.select(areas.c.code)
        .where(areas.c.parent_code == country)
        .order_by(areas.c.code)
        .offset(1)
        .limit(1)
    )
    return str((await conn.execute(stmt)).scalar_one())


async def structure(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None, **params: str
) -> ET.Element:
    response = await client.get(path, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(STRUCTURE_TYPE)
    return ET.fromstring(response.content)  # noqa: S314 - the service's own output


def ids(root: ET.Element, tag: str) -> list[str]:
    return [e.attrib["id"] for e in root.iter(f"{STR}{tag}")]


def codes(root: ET.Element, codelist: str) -> dict[str, str]:
    for element in root.iter(f"{STR}Codelist"):
        if element.attrib["id"] == codelist:
            return {
                c.attrib["id"]: c.findtext(f"{COM}Name") or "" for c in element.iter(f"{STR}Code")
            }
    raise AssertionError(f"{codelist} missing")


class TestStructures:
    async def test_one_dataflow_per_coalition(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        root = await structure(client, "/sdmx/dataflow")
        flows = ids(root, "Dataflow")
        assert {"DF_LNOB_KE", "DF_LNOB_BD", f"DF_LNOB_{world['a']['code']}"} <= set(flows)
        assert ids(root, "DataStructure") == [] and ids(root, "Codelist") == []

    async def test_references_bring_the_dsd_and_code_lists(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        root = await structure(
            client, f"/sdmx/dataflow/LNOB/DF_LNOB_{world['a']['code']}/latest", references="all"
        )
        assert ids(root, "DataStructure") == ["DSD_LNOB"]
        assert ids(root, "Dimension") == [
            "INDICATOR",
            "REF_AREA",
            "SEX",
            "AGE",
            "DISABILITY_STATUS",
            "URBANISATION",
            "GROUP",
        ]
        assert ids(root, "TimeDimension") == ["TIME_PERIOD"]
        assert ids(root, "Attribute") == [
            "UNIT_MEASURE",
            "OBS_STATUS",
            "CONF_STATUS",
            "PRODUCER_TYPE",
            "COLLECTION_METHOD",
            "SAMPLING",
            "LANGUAGE",
            "DATASET",
        ]
        assert set(ids(root, "Codelist")) == {
            "CL_INDICATOR",
            "CL_AREA",
            "CL_SEX",
            "CL_AGE",
            "CL_DISABILITY_STATUS",
            "CL_URBANISATION",
            "CL_GROUP",
            "CL_OBS_STATUS",
            "CL_CONF_STATUS",
            "CL_UNIT",
            "CL_PRODUCER_TYPE",
            "CL_COLLECTION_METHOD",
            "CL_SAMPLING",
        }
        assert ids(root, "ConceptScheme") == ["CS_LNOB"]

    async def test_dsd_alone_and_with_parents(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        alone = await structure(client, "/sdmx/datastructure/LNOB/DSD_LNOB/1.0")
        assert ids(alone, "DataStructure") == ["DSD_LNOB"] and ids(alone, "Dataflow") == []
        parents = await structure(
            client, "/sdmx/datastructure/all/all/latest", references="parents"
        )
        assert "DF_LNOB_KE" in ids(parents, "Dataflow")

    async def test_code_lists(self, client: httpx.AsyncClient, world: dict[str, Any]) -> None:
        root = await structure(client, "/sdmx/codelist/LNOB/all/latest")
        assert codes(root, "CL_INDICATOR")["1_1_1"].startswith("1.1.1 ")
        assert {"F", "M", "_T"} <= set(codes(root, "CL_SEX"))
        assert codes(root, "CL_AGE")["Y15T24"] == "15 to 24 years"
        assert {"PERSONS_WITH_DISABILITIES", "_T"} <= set(codes(root, "CL_GROUP"))
        assert codes(root, "CL_UNIT")["PERCENT_OF_HOUSEHOLDS"] == "percent of households"
        assert codes(root, "CL_CONF_STATUS").keys() == {"F", "C", "D"}
        assert "A" in codes(root, "CL_OBS_STATUS")

    async def test_areas_are_those_of_readable_data_with_their_parents(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        path = "/sdmx/codelist/LNOB/CL_AREA"
        anonymous = await structure(client, path)
        insider = await structure(client, path, world["headers"]["insider"])
        assert {world["a"]["code"], world["sub"]} <= set(codes(anonymous, "CL_AREA"))
        assert world["hidden_area"] not in codes(anonymous, "CL_AREA")
        assert world["hidden_area"] in codes(insider, "CL_AREA")
        parent = next(
            c.find(f"{STR}Parent/Ref")
            for c in anonymous.iter(f"{STR}Code")
            if c.attrib["id"] == world["sub"]
        )
        assert parent is not None and parent.attrib["id"] == world["a"]["code"]


class TestStructureFailures:
    @pytest.mark.parametrize(
        ("path", "params", "headers", "status", "message"),
        [
            ("/sdmx/dataflow/ECB/all/latest", {}, {}, 404, "no dataflow ECB:all(latest)"),
            ("/sdmx/dataflow/LNOB/DF_LNOB_ZZ", {}, {}, 404, "no dataflow LNOB:DF_LNOB_ZZ"),
            ("/sdmx/codelist/LNOB/CL_COLOUR", {}, {}, 404, "no codelist LNOB:CL_COLOUR"),
            ("/sdmx/datastructure/LNOB/DSD_LNOB/2.0", {}, {}, 404, "no datastructure"),
            ("/sdmx/hierarchicalcodelist", {}, {}, 501, "hierarchicalcodelist is not offered"),
            ("/sdmx/nonsense", {}, {}, 404, "unknown SDMX resource nonsense"),
            ("/sdmx/dataflow", {"references": "cousins"}, {}, 400, "references: 'cousins'"),
            ("/sdmx/dataflow", {"detail": "partial"}, {}, 400, "detail: 'partial'"),
            ("/sdmx/dataflow", {"format": "jsondata"}, {}, 400, "format: unsupported format"),
            (
                "/sdmx/dataflow",
                {},
                {"Accept": "application/vnd.sdmx.structure+json;version=2.0.0"},
                406,
                "none of the accepted",
            ),
        ],
    )
    async def test_error_messages(
        self,
        client: httpx.AsyncClient,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        status: int,
        message: str,
    ) -> None:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == status, response.text
        code, text = error_of(response)
        assert code == CODES[status]
        assert text.startswith(message)


async def test_provenance_travels_as_attributes(client: httpx.AsyncClient, conn: Any) -> None:
    """Each observation carries its own provenance, else its dataset's, else _U."""
    import csv
    import io

    import sqlalchemy as sa
    from tests import factories as f

    from lnob_api import models

    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    await conn.execute(
        sa.update(models.Dataset.__table__)
        .where(models.Dataset.id == dataset["id"])
        .values(producer_type="COMMUNITY_DRIVEN", method="FOCUS_GROUP")
    )
    await f.create_observation(conn, dataset, area_code=coalition["code"], period="2020")
    await f.create_observation(
        conn, dataset, area_code=coalition["code"], period="2021", method="HOUSEHOLD_SURVEY"
    )
    response = await client.get(
        f"/sdmx/data/DF_LNOB_{coalition['code']}", params={"format": "csvdata"}
    )
    rows = {r["TIME_PERIOD"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert (
        rows["2020"]["PRODUCER_TYPE"],
        rows["2020"]["COLLECTION_METHOD"],
        rows["2020"]["SAMPLING"],
    ) == ("COMMUNITY_DRIVEN", "FOCUS_GROUP", "_U")
    assert rows["2021"]["COLLECTION_METHOD"] == "HOUSEHOLD_SURVEY"
