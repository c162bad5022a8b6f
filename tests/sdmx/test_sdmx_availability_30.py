"""SDMX 3.0 availability (``/sdmx/3.0/availability/dataflow/{agency}/{id}/{version}/{key}/
{componentId}``): the 2.1 ``availableconstraint`` over the caller's readable rows, with the 3.0
key and ``c[...]`` filters, ``mode=exact|available`` and ``references``, answered as a
DataConstraint of role Actual (SDMX-ML 3.0, or SDMX-JSON 2.0)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.export.export_world import build_world
from tests.sdmx.sdmx_errors import error_of

from lnob_api.auth.keys import KeyStore

JSON2 = {"Accept": "application/vnd.sdmx.structure+json;version=2.0.0"}
STRUCTURE_30 = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure"
STRUCTURE_21 = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    w = await build_world(conn, signing_keys)
    w["flow"] = f"DF_LNOB_{w['a']['code']}"
    w["url"] = f"/sdmx/3.0/availability/dataflow/LNOB/{w['flow']}/1.0"
    return w


def constraint(response: httpx.Response) -> dict[str, Any]:
    """Codes per dimension and the observation count of a JSON 2.0 DataConstraint."""
    assert response.status_code == 200, response.text
    (found,) = response.json()["data"]["dataConstraints"]
    assert found["role"] == "Actual"
    (region,) = found["cubeRegions"]
    codes = {k["id"]: k.get("values") or k.get("timeRange") for k in region.get("keyValues", [])}
    count = next(a["title"] for a in found["annotations"] if a["id"] == "obs_count")
    return {"codes": codes, "count": int(count)}


def constraint_21(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    codes = {
        k.get("id"): [v.text for v in k.iter(f"{{{STRUCTURE_21}}}Value")]
        for k in root.iter(f"{{{STRUCTURE_21}}}KeyValue")
        if k.get("id") != "TIME_PERIOD"
    }
    count = next(root.iter(f"{{{STRUCTURE_21}}}AnnotationTitle")).text
    return {"codes": codes, "count": int(count or 0)}


async def test_exact_and_available_modes_with_filters(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    url = world["url"]
    every = constraint(await client.get(url, headers=JSON2))
    assert set(every["codes"]["SEX"]) == {"F", "M", "_T"}
    exact = constraint(await client.get(url, params={"c[SEX]": "F"}, headers=JSON2))
    assert exact["codes"]["SEX"] == ["F"]
    assert 0 < exact["count"] < every["count"]
    # available: SEX's own filter is left out of its codes; the others follow it
    available = constraint(
        await client.get(url, params={"c[SEX]": "F", "mode": "available"}, headers=JSON2)
    )
    assert available["codes"]["SEX"] == every["codes"]["SEX"]
    assert available["codes"]["INDICATOR"] == exact["codes"]["INDICATOR"] == ["1_1_1"]
    assert available["count"] == exact["count"]
    # the 3.0 key and c[...] agree with each other and with 2.1's availableconstraint
    key = constraint(await client.get(f"{url}/*.*.F.*.*.*.*", headers=JSON2))
    legacy = constraint_21(await client.get(f"/sdmx/availableconstraint/{world['flow']}/..F...."))
    assert key["codes"] == exact["codes"] | {"TIME_PERIOD": key["codes"]["TIME_PERIOD"]}
    assert legacy["count"] == key["count"] == exact["count"]
    assert legacy["codes"] == {k: v for k, v in exact["codes"].items() if k != "TIME_PERIOD"}
    # operators and periods
    later = constraint(await client.get(url, params={"c[TIME_PERIOD]": "ge:2021"}, headers=JSON2))
    assert later["codes"]["TIME_PERIOD"]["startPeriod"]["period"] >= "2021"
    # one component
    sex = constraint(await client.get(f"{url}/*/SEX", headers=JSON2))
    assert set(sex["codes"]) == {"SEX"}


async def test_only_the_callers_rows_count(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    anonymous = constraint(await client.get(world["url"], headers=JSON2))
    insider = constraint(
        await client.get(world["url"], headers=JSON2 | world["headers"]["insider"])
    )
    # the coalition-only row (2020, F) reaches the insider only
    assert insider["count"] == anonymous["count"] + 1


async def test_xml_references_and_failures(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    xml = await client.get(world["url"], params={"references": "datastructure"})
    assert xml.headers["content-type"].startswith("application/vnd.sdmx.structure+xml; version=3.0")
    root = etree.fromstring(xml.content)
    assert [e.get("role") for e in root.iter(f"{{{STRUCTURE_30}}}DataConstraint")] == ["Actual"]
    assert [e.get("id") for e in root.iter(f"{{{STRUCTURE_30}}}DataStructure")] == ["DSD_LNOB"]
    # the version may be left out
    short = await client.get(world["url"].removesuffix("/1.0"), headers=JSON2)
    assert (
        constraint(short)["count"]
        == constraint(await client.get(world["url"], headers=JSON2))["count"]
    )
    for params, status, name in (
        ({"c[COLOUR]": "red"}, 400, "c[COLOUR]"),
        ({"startPeriod": "2020"}, 400, "startPeriod"),
        ({"mode": "some"}, 400, "mode"),
        ({"c[SEX]": "xx:F"}, 400, "c[SEX]"),
    ):
        response = await client.get(world["url"], params=params)
        assert response.status_code == status, response.text
        code, message = error_of(response)
        assert code == 140 and name in message
    missing = await client.get("/sdmx/3.0/availability/dataflow/LNOB/DF_LNOB_ZZ/1.0")
    assert missing.status_code == 404
    nothing = await client.get(world["url"], params={"c[SEX]": "_O"})
    assert nothing.status_code == 404
    assert (await client.get(world["url"], headers={"Accept": "text/csv"})).status_code == 406
