"""The declared observation (declare.observation): every tagged field is where its tags say
(the GraphQL type, the CSV export, SDMX), and a field added to a copy of the declaration
appears there without any other change."""

from __future__ import annotations

import csv
import dataclasses
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api import models
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.declare import Field
from lnob_api.declare.observation import OBSERVATION
from lnob_api.export import repository as export_repo
from lnob_api.graphql.declared import Declared, declared
from lnob_api.graphql.observation.types import Observation
from lnob_api.graphql.schema import schema
from lnob_api.sdmx import model

STR = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure}"
ADMIN = Principal(kind=PrincipalKind.USER, is_partnership_admin=True)
# A column of the table that the declaration leaves out: adding it needs no migration.
CREATED = Field(
    "created_at", "When it was first written.", csv="created_at", sdmx=("CREATED", "Created")
)
WITH_CREATED = dataclasses.replace(OBSERVATION, fields=(*OBSERVATION.fields, CREATED))


async def published_observation(conn: AsyncConnection) -> Any:
    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    return await f.create_observation(
        conn, dataset, area_code="KE", period="2020", sex="F", comment="as reported"
    )


def test_every_public_field_is_a_field_of_the_graphql_type() -> None:
    fields = {d.python_name: d for d in Observation.__strawberry_definition__.fields}
    served = schema._schema.type_map["Observation"].fields  # type: ignore[attr-defined]
    attributes = {a.name for a in dataclasses.fields(Observation)}  # Private ones included
    for d in OBSERVATION.fields:
        assert d.name in attributes, d.name
        assert (d.name in fields) == d.public, d.name
        if not d.public:
            continue
        name = fields[d.name].graphql_name or schema.config.name_converter.apply_naming_config(
            d.name
        )
        assert name in served, d.name
        if d.description is not None:
            assert served[name].description == d.description, d.name
    # shown under another name
    assert "group" in served and "groupCode" not in served


async def test_every_csv_field_is_a_column_of_the_export(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    row = await published_observation(conn)
    response = await client.get("/exports/observations.csv")
    assert response.status_code == 200, response.text
    header, *cells = list(csv.reader(io.StringIO(response.text)))
    assert tuple(header) == export_repo.CSV_COLUMNS
    declared_names = [d.csv for d in OBSERVATION.csv]
    assert [n for n in header if n in declared_names] == declared_names  # declaration order
    (line,) = [dict(zip(header, c, strict=True)) for c in cells]
    assert (line["area"], line["period"], line["sex"], line["group"]) == ("KE", "2020", "F", "_T")
    assert float(line["value"]) == row["value"]
    assert datetime.fromisoformat(line["updated_at"]) == row["updated_at"]


async def test_every_sdmx_field_is_an_attribute_of_the_dsd(client: httpx.AsyncClient) -> None:
    response = await client.get("/sdmx/datastructure/LNOB/DSD_LNOB/1.0")
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)  # noqa: S314 - the service's own output
    attributes = [e.attrib["id"] for e in root.iter(f"{STR}Attribute")]
    tagged = [d.sdmx[0] for d in OBSERVATION.sdmx if d.sdmx]
    assert set(tagged) <= set(attributes)
    assert [a.id for a in model.OBS_ATTRIBUTES] == [a for a in attributes if a != "DATASET"]
    # the coded observation columns stay written, with their code lists
    assert {"UNIT_MEASURE", "OBS_STATUS", "CONF_STATUS"} <= set(attributes)


def test_a_field_added_to_a_copy_is_a_csv_column_and_an_sdmx_attribute() -> None:
    columns = export_repo.csv_columns(WITH_CREATED)
    after = export_repo.CSV_COLUMNS.index("perturbed") + 1
    assert columns == (
        *export_repo.CSV_COLUMNS[:after],
        "created_at",
        *export_repo.CSV_COLUMNS[after:],
    )
    attributes = model.declared_attributes(WITH_CREATED)
    assert attributes[0] == model.Component("CREATED", "Created", None, "created_at")
    assert attributes[1:] == model.declared_attributes()


async def test_a_field_added_to_a_copy_is_exported_with_its_value(conn: AsyncConnection) -> None:
    row = await published_observation(conn)
    stmt = export_repo.csv_select(ADMIN, [models.Observation.id == row["id"]], WITH_CREATED)
    chunks = [c async for c in export_repo.copy_csv(conn, stmt)]
    header, line = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    found = dict(zip(header, line, strict=True))
    created = (
        await conn.execute(
            sa.select(models.Observation.created_at).where(models.Observation.id == row["id"])
        )
    ).scalar_one()
    assert found["created_at"].endswith("Z")  # a timestamp: ISO 8601 in UTC
    assert datetime.fromisoformat(found["created_at"]) == created.astimezone(UTC)
    assert found["area"] == "KE" and found["perturbed"] == "false"


@strawberry.type
@declared(WITH_CREATED)
class Probe:
    """A type of the copy's declared fields alone."""

    declared: ClassVar[Declared]


@strawberry.type
class ProbeQuery:
    probe: Probe | None = None


def test_a_field_added_to_a_copy_is_a_field_of_a_graphql_type() -> None:
    printed = str(strawberry.Schema(query=ProbeQuery))
    assert '  """When it was first written."""\n  createdAt: DateTime!' in printed
    assert "  areaCode: String!" in printed and "  group: String!" in printed
