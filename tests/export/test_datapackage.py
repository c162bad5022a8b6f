"""The CSV export with a schema: a Frictionless data package and CSVW metadata describing every
export variant, `frictionless validate` passing on each, and label columns by language."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import frictionless
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.export.export_world import build_world, csv_rows

from lnob_api import models
from lnob_api.auth.keys import KeyStore

BASE = "http://testserver"
PACKAGE = "/exports/datapackage.json"


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    world = await build_world(conn, signing_keys)
    # Periods of every form beside years (a years-only file is read as integers without a
    # schema), and a target-level row whose indicator column holds a target code.
    pub = world["datasets"]["pub"]
    for period in ("2020-Q2", "2021-03", "2021-S1", "2019-W07", "2021-03-15"):
        await f.create_observation(conn, pub, area_code=world["a"]["code"], period=period)
    return world


async def local_package(
    client: httpx.AsyncClient, headers: dict[str, str], folder: Path
) -> dict[str, Any]:
    """The data package with every resource downloaded next to it (frictionless then reads
    the bytes the API served, foreign keys included, without a network)."""
    descriptor: dict[str, Any] = (await client.get(PACKAGE, headers=headers)).json()
    for resource in descriptor["resources"]:
        response = await client.get(resource["path"].removeprefix(BASE), headers=headers)
        assert response.status_code == 200, (resource["path"], response.text)
        name = resource["name"] + (".csv.gz" if resource.get("compression") == "gz" else ".csv")
        (folder / name).write_bytes(response.content)
        resource["path"] = name
    return descriptor


def problems(descriptor: dict[str, Any], folder: Path) -> tuple[bool, list[Any]]:
    package = frictionless.Package(copy.deepcopy(descriptor), basepath=str(folder))
    report = package.validate()
    return report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])


class TestDataPackage:
    async def test_every_variant_validates(
        self, client: httpx.AsyncClient, world: dict[str, Any], tmp_path: Path
    ) -> None:
        # anonymous reads withheld cells too (empty value, conf_status C)
        descriptor = await local_package(client, {}, tmp_path)
        names = {r["name"] for r in descriptor["resources"]}
        assert {"observations", "observations-gz", "indicators", "areas", "groups"} <= names
        assert {f"observations-labels-{lang}" for lang in ("en", "fr", "es", "ne", "sw")} <= names
        valid, errors = problems(descriptor, tmp_path)
        assert valid, errors
        # the rows are really there (a valid empty file would prove nothing)
        plain = (tmp_path / "observations.csv").read_text()
        assert len(csv_rows(plain)) >= 10
        assert gzip.decompress((tmp_path / "observations-gz.csv.gz").read_bytes()).decode() == plain

    async def test_period_is_a_string_with_its_pattern(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        descriptor = (await client.get(PACKAGE)).json()
        fields = {x["name"]: x for x in descriptor["resources"][0]["schema"]["fields"]}
        assert fields["period"]["type"] == "string"
        assert "pattern" in fields["period"]["constraints"]
        assert fields["value"]["type"] == "number"
        assert fields["sample_size"]["type"] == "integer"
        assert "F" in fields["sex"]["constraints"]["enum"]
        keys = descriptor["resources"][0]["schema"]["foreignKeys"]
        assert {
            "fields": ["indicator"],
            "reference": {"resource": "indicators", "fields": ["code"]},
        } in keys

    async def test_the_schema_does_catch_bad_data(
        self, client: httpx.AsyncClient, world: dict[str, Any], tmp_path: Path
    ) -> None:
        # given the package with one used code taken out of an enum, and one code list emptied
        descriptor = await local_package(client, {}, tmp_path)
        plain = descriptor["resources"][0]
        sex = next(x for x in plain["schema"]["fields"] if x["name"] == "sex")
        sex["constraints"]["enum"].remove("F")
        (tmp_path / "groups.csv").write_text("code,name\n")
        descriptor["resources"] = [
            plain,
            *(r for r in descriptor["resources"] if r["name"] in ("indicators", "areas", "groups")),
        ]
        # then frictionless reports both
        valid, errors = problems(descriptor, tmp_path)
        assert not valid
        kinds = {e[3] for e in errors}
        assert {"constraint-error", "foreign-key"} <= kinds, errors

    async def test_conditional_and_unknown_codelist(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        first = await client.get(PACKAGE)
        again = await client.get(PACKAGE, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        missing = await client.get("/exports/codelists/secrets.csv")
        assert missing.status_code == 404
        assert "indicators, areas, groups" in missing.text


class TestCsvw:
    async def test_metadata_describes_the_files(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get("/exports/observations.csv-metadata.json")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/csvm+json")
        metadata = response.json()
        assert metadata["@context"] == "http://www.w3.org/ns/csvw"
        for table in metadata["tables"]:
            served = await client.get(table["url"].removeprefix(BASE))
            assert served.status_code == 200, table["url"]
            header = served.text.splitlines()[0].split(",")
            assert [c["name"] for c in table["tableSchema"]["columns"]] == header
        plain = metadata["tables"][0]
        period = next(c for c in plain["tableSchema"]["columns"] if c["name"] == "period")
        assert period["datatype"]["base"] == "string" and period["datatype"]["format"].startswith(
            "^"
        )


class TestLabels:
    async def test_french_labels_next_to_the_codes(
        self, conn: AsyncConnection, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        indicators = models.Indicator.__table__
        french = (
            await conn.execute(
                sa.select(
                    sa.func.coalesce(
                        indicators.c.title_translations["fr"].astext, indicators.c.title
                    )
                ).where(indicators.c.code == "1.1.1")
            )
        ).scalar_one()
        response = await client.get("/exports/observations.csv?labels=fr")
        assert response.status_code == 200
        header = response.text.splitlines()[0].split(",")
        assert header[header.index("indicator") + 1] == "indicator_label"
        assert header[header.index("area") + 1] == "area_label"
        rows = csv_rows(response.text)
        row = next(r for r in rows if r["indicator"] == "1.1.1" and r["sex"] == "F")
        assert row["indicator_label"] == french
        assert row["sex_label"] == "Female"
        assert row["age_label"] == "All ages"
        assert row["area_label"] and row["area_label"] != row["area"]
        youth = next(r for r in rows if r["age"] == "Y15T24")
        assert youth["age_label"] == "15 to 24 years"
        # same rows, same order as without labels
        plain = csv_rows((await client.get("/exports/observations.csv")).text)
        assert [r["period"] for r in plain] == [r["period"] for r in rows]

    async def test_an_unknown_language_is_refused(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get("/exports/observations.csv?labels=de")
        assert response.status_code == 400
        assert "en, fr, es, ne, sw" in response.text
