"""SDMX ``updatedAfter`` reports removals as SDMX 2.1 defines them: data sets with
``action="Delete"`` (SDMX-CSV 2.0: ACTION D) holding the keys of the observations a caller
could read and no longer can, never their values, and never keys of data hidden all along."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from lxml import etree
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for
from tests.sdmx.sdmx_errors import error_of

import sdmx
from lnob_api.auth.keys import KeyStore

MESSAGE = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"
GENERIC = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"
SS = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific}"
ACCEPT = {
    "xml": "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
    "generic": "application/vnd.sdmx.genericdata+xml;version=2.1",
    "json": "application/vnd.sdmx.data+json;version=1.0.0",
    "csv": "application/vnd.sdmx.data+csv;version=1.0.0",
    "csv2": "application/vnd.sdmx.data+csv;version=2.0.0",
}
RETRACT = """mutation($input: DatasetRetractInput!) {
  datasetRetract(input: $input) { userErrors { code } } }"""
VISIBILITY = """mutation($input: DatasetSetVisibilityInput!) {
  datasetSetVisibility(input: $input) { userErrors { code } } }"""
# (dataset slug, TIME_PERIOD) of a deleted observation; every row here has the same series key
Deleted = set[tuple[str, str]]


def _gid(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


@pytest.fixture
async def world(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> dict[str, Any]:
    """Four datasets of one coalition (two rows each), an agency with a grant; then, after
    ``since``: a retraction, a narrowed visibility and the grant revoked."""
    coalition = await f.create_coalition(conn)
    frontend = await f.create_client(conn, await f.create_organisation(conn))
    admin = await f.create_user(conn)
    await f.give_role(conn, admin, coalition, "ADMIN")
    agency = await f.create_client(
        conn, await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    )
    grant = await f.create_grant(conn, coalition, client_id=agency["id"])
    w: dict[str, Any] = {"coalition": coalition}
    for name, visibility in [
        ("retracted", "PUBLIC"),
        ("kept", "PUBLIC"),
        ("private", "COALITION"),
        ("narrowed", "PUBLIC"),
    ]:
        ds = await f.create_dataset(conn, coalition, visibility=visibility, title=f"SDMX {name}")
        for year in ("2019", "2020"):
            await f.create_observation(conn, ds, area_code=coalition["code"], period=year)
        w[name] = ds["slug"]
        w[f"{name}_id"] = ds["id"]
    admin_headers = bearer(
        token_for(
            signing_keys,
            client=frontend,
            user=admin,
            scopes=("data:read", "data:write", "coalition:admin"),
        )
    )
    w["headers"] = {"anonymous": {}, "agency": bearer(token_for(signing_keys, client=agency))}
    await asyncio.sleep(0.01)
    w["since"] = datetime.now(UTC)
    await asyncio.sleep(0.01)
    for mutation, variables in [
        (RETRACT, {"id": _gid("Dataset", w["retracted_id"]), "reason": "Tally errors"}),
        (VISIBILITY, {"id": _gid("Dataset", w["narrowed_id"]), "visibility": "COALITION"}),
    ]:
        response = await client.post(
            "/graphql",
            json={"query": mutation, "variables": {"input": variables | {"rowVersion": 1}}},
            headers=admin_headers,
        )
        body = response.json()
        assert "errors" not in body, body
        assert not next(iter(body["data"].values()))["userErrors"], body
    from lnob_api.grant.service import revoke_grant

    await revoke_grant(conn, grant["id"])
    return w


def _expected(w: dict[str, Any], names: Iterable[str]) -> Deleted:
    return {(w[name], year) for name in names for year in ("2019", "2020")}


WHO_LOSES = {
    # anonymous never saw the coalition-only dataset: it gets no deletion for it
    "anonymous": ("retracted", "narrowed"),
    "agency": ("retracted", "narrowed", "private"),
}


async def _get(
    client: httpx.AsyncClient, w: dict[str, Any], who: str, fmt: str, **params: str
) -> httpx.Response:
    flow = f"DF_LNOB_{w['coalition']['code']}"
    return await client.get(
        f"/sdmx/data/{flow}/all",
        params={"updatedAfter": w["since"].isoformat()} | params,
        headers=w["headers"][who] | {"Accept": ACCEPT[fmt]},
    )


async def _dsd(client: httpx.AsyncClient) -> Any:
    """DSD_LNOB as sdmx1 reads it (with its concepts and code lists)."""
    response = await client.get(
        "/sdmx/datastructure/LNOB/DSD_LNOB/1.0", params={"references": "all"}
    )
    return sdmx.read_sdmx(io.BytesIO(response.content)).structure["DSD_LNOB"]


async def _structure_specific_delete_data_sets(
    client: httpx.AsyncClient, world: dict[str, Any], who: str
) -> None:
    # only deletions happened since: the answer is a message of them, not 404
    response = await _get(client, world, who, "xml")
    assert response.status_code == 200, response.text
    expected = _expected(world, WHO_LOSES[who])
    assert response.headers["x-deleted-count"] == str(len(expected))
    root = etree.fromstring(response.content)
    data_sets = root.findall(f"{MESSAGE}DataSet")
    assert data_sets and {d.get(f"{SS}action") for d in data_sets} == {"Delete"}
    found: Deleted = set()
    for data_set in data_sets:
        for series in data_set.iter("Series"):
            assert series.get("INDICATOR") == "1_1_1"
            assert series.get("REF_AREA") == world["coalition"]["code"]
            for obs in series.iter("Obs"):
                # the key only: no value or attribute of a removed row leaves the database
                assert set(obs.attrib) == {"TIME_PERIOD"}
                found.add((data_set.get("DATASET"), obs.get("TIME_PERIOD")))
    assert found == expected
    # sdmx1 reads the message: the deleted keys arrive as observations of their data sets
    # (its SDMX-ML reader does not keep the data set's action; SDMX-JSON and CSV do)
    message = sdmx.read_sdmx(io.BytesIO(response.content), structure=await _dsd(client))
    read = {
        (str(ds.attrib["DATASET"].value), str(obs.dim["TIME_PERIOD"].value))
        for ds in message.data
        for obs in ds.obs
    }
    assert read == expected


async def _sdmx_json_delete_data_sets(
    client: httpx.AsyncClient, world: dict[str, Any], who: str
) -> None:
    response = await _get(client, world, who, "json")
    assert response.status_code == 200, response.text
    message = sdmx.read_sdmx(io.BytesIO(response.content), format="JSON")
    found: Deleted = set()
    slugs = response.json()["structure"]["attributes"]["dataSet"][0]["values"]
    for entry, data_set in zip(response.json()["dataSets"], message.data, strict=True):
        assert data_set.action == sdmx.model.common.ActionType.delete
        slug = slugs[entry["attributes"][0]]["id"]
        for obs in data_set.obs:
            assert obs.value is None
            found.add((slug, str(obs.key["TIME_PERIOD"].value)))
    assert found == _expected(world, WHO_LOSES[who])


async def _sdmx_csv2_delete_rows(
    client: httpx.AsyncClient, world: dict[str, Any], who: str
) -> None:
    response = await _get(client, world, who, "csv2")
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["ACTION"] for r in rows} == {"D"}
    assert all(r["OBS_VALUE"] == "" and r["CONF_STATUS"] == "" for r in rows)
    assert {(r["DATASET"], r["TIME_PERIOD"]) for r in rows} == _expected(world, WHO_LOSES[who])
    message = sdmx.read_sdmx(
        io.BytesIO(response.content), format="CSV", structure=await _dsd(client)
    )
    actions = {ds.action for ds in message.data}
    assert actions == {sdmx.model.common.ActionType.delete}
    assert sum(len(ds.obs) for ds in message.data) == len(rows)


async def test_current_rows_come_after_the_deletions(
    client: httpx.AsyncClient, conn: AsyncConnection, world: dict[str, Any]
) -> None:
    # a new row in the kept dataset: one Information data set after the Delete ones
    datasets = {"id": world["kept_id"]}
    await f.create_observation(
        conn,
        datasets,
        area_code=world["coalition"]["code"],
        period="2021",
        value=4.5,
        updated_at=datetime.now(UTC),
    )
    response = await _get(client, world, "anonymous", "xml")
    actions = [
        d.get(f"{SS}action") for d in etree.fromstring(response.content).iter(f"{MESSAGE}DataSet")
    ]
    assert actions[-1] == "Information" and set(actions[:-1]) == {"Delete"}
    assert response.headers["x-row-count"] == str(1 + len(_expected(world, WHO_LOSES["anonymous"])))
    rows = list(csv.DictReader(io.StringIO((await _get(client, world, "anonymous", "csv2")).text)))
    assert [r["ACTION"] for r in rows][-1] == "I"
    assert rows[-1]["OBS_VALUE"] == "4.5"


async def test_key_filters_apply_to_deletions(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    response = await _get(client, world, "agency", "csv2", startPeriod="2020")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["TIME_PERIOD"] for r in rows} == {"2020"}
    flow = f"DF_LNOB_{world['coalition']['code']}"
    other = await client.get(
        f"/sdmx/data/{flow}/4_1_1......",
        params={"updatedAfter": world["since"].isoformat()},
        headers=world["headers"]["agency"],
    )
    assert other.status_code == 404


async def test_nothing_owed_to_a_caller_who_never_could_read(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore, world: dict[str, Any]
) -> None:
    # an agency without a grant never read the coalition-only data: only public removals
    stranger = await f.create_client(
        conn, await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    )
    world["headers"]["stranger"] = bearer(token_for(signing_keys, client=stranger))
    rows = list(csv.DictReader(io.StringIO((await _get(client, world, "stranger", "csv2")).text)))
    assert {r["DATASET"] for r in rows} == {world["retracted"], world["narrowed"]}
    # and nothing before a removal: a later updatedAfter owes nothing (404 no results)
    later = await _get(client, world, "agency", "xml", updatedAfter=datetime.now(UTC).isoformat())
    assert later.status_code == 404


async def test_sdmx_csv1_refuses_to_drop_deletions(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    by_accept = await _get(client, world, "anonymous", "csv")
    assert by_accept.status_code == 406
    code, text = error_of(by_accept)
    assert code == 406 and "SDMX-CSV 2.0" in text
    by_format = await _get(client, world, "anonymous", "csv", format="csvdata")
    assert by_format.status_code == 400
    code, text = error_of(by_format)
    assert code == 150 and text.startswith("format:")


async def test_validators_move_with_deletions(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    first = await _get(client, world, "anonymous", "json")
    assert first.headers["last-modified"]
    again = await client.get(
        first.request.url,
        headers={"If-None-Match": first.headers["etag"]} | {"Accept": ACCEPT["json"]},
    )
    assert again.status_code == 304
    # the agency owes more deletions than anonymous: another tag
    agency = await _get(client, world, "agency", "json")
    assert agency.headers["etag"] != first.headers["etag"]


async def _generic_delete_data_sets(
    client: httpx.AsyncClient, world: dict[str, Any], who: str
) -> None:
    response = await _get(client, world, who, "generic")
    assert response.status_code == 200, response.text
    root = etree.fromstring(response.content)
    assert {d.get("action") for d in root.iter(f"{MESSAGE}DataSet")} == {"Delete"}
    assert b"ObsValue" not in response.content
    found: Deleted = set()
    for data_set in root.iter(f"{MESSAGE}DataSet"):
        slug = data_set.find(f"{GENERIC}Attributes/{GENERIC}Value[@id='DATASET']")
        assert slug is not None
        for obs in data_set.iter(f"{GENERIC}ObsDimension"):
            found.add((slug.get("value"), obs.get("value")))
    expected = _expected(world, WHO_LOSES[who])
    assert found == expected
    # sdmx1 reads the keys (its generic reader keeps neither the action nor data-set attributes)
    message = sdmx.read_sdmx(io.BytesIO(response.content))
    periods = sorted(
        str(obs.dim.values["TIME_PERIOD"].value) for ds in message.data for obs in ds.obs
    )
    assert periods == sorted(period for _, period in expected)


@pytest.mark.parametrize("who", ["anonymous", "agency"])
async def test_every_data_format_reports_the_deletions(
    client: httpx.AsyncClient, world: dict[str, Any], who: str
) -> None:
    """Structure-specific and generic SDMX-ML, SDMX-JSON and SDMX-CSV 2.0, one world."""
    await _structure_specific_delete_data_sets(client, world, who)
    await _generic_delete_data_sets(client, world, who)
    await _sdmx_json_delete_data_sets(client, world, who)
    await _sdmx_csv2_delete_rows(client, world, who)
