"""Issue 13, point-in-time queries: for a history of corrections, embargoes, a retraction and a
consent withdrawal (``history_world``), every past instant read with ``asOf`` returns exactly
the rows the test's log says were readable then, minus what is withdrawn now, on every channel:
GraphQL ``observations``, ``datasets`` and ``indicatorSeries``, the CSV export and SDMX 3.0
data; for an anonymous caller and for an agency holding a grant."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.history.history_world import WHO, Cell, History, build_history
from tests.sync.mirror_world import World

from lnob_api.auth.keys import KeyStore

OBSERVATIONS = """query($asOf: DateTime, $areas: [String!], $after: String) {
  observations(asOf: $asOf, filter: {areas: $areas}, first: 100, after: $after) {
    totalCount
    nodes { period areaCode sex value suppressed }
    pageInfo { hasNextPage endCursor } } }"""
# The three GraphQL root fields at one instant, in one request.
AT_INSTANT = """query($asOf: DateTime, $areas: [String!], $c: [String!]) {
  observations(asOf: $asOf, filter: {areas: $areas}, first: 100) {
    totalCount nodes { period areaCode sex value suppressed } pageInfo { hasNextPage } }
  datasets(asOf: $asOf, filter: {coalitions: $c}, first: 100) {
    nodes { slug version dataReadable } }
  indicatorSeries(indicator: "1.1.1", areas: $areas, asOf: $asOf) {
    areaCode sex points { period value } } }"""
CSV2 = {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}


async def _graphql(h: History, query: str, variables: dict[str, Any], who: str) -> Any:
    return await h.world.call(query, variables, who)


async def graphql_cells(h: History, at: str, who: str) -> set[Cell]:
    """``observations(asOf:)``, every page."""
    found: set[Cell] = set()
    after = None
    while True:
        variables = {"asOf": at, "areas": [h.world.coalition["code"]], "after": after}
        page = (await _graphql(h, OBSERVATIONS, variables, who))["observations"]
        for n in page["nodes"]:
            assert not n["suppressed"]
            found.add((n["period"], n["areaCode"], n["sex"], float(n["value"])))
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(found)
            return found
        after = page["pageInfo"]["endCursor"]


async def graphql_at(h: History, at: str, who: str) -> dict[str, Any]:
    """The three root fields as of ``at``: observation cells, series cells, listed versions."""
    code = h.world.coalition["code"]
    data = await _graphql(h, AT_INSTANT, {"asOf": at, "areas": [code], "c": [code]}, who)
    page = data["observations"]
    assert not page["pageInfo"]["hasNextPage"]
    assert page["totalCount"] == len(page["nodes"])
    assert not any(n["suppressed"] for n in page["nodes"])
    return {
        "graphql observations": {
            (n["period"], n["areaCode"], n["sex"], float(n["value"])) for n in page["nodes"]
        },
        "graphql indicatorSeries": {
            (p["period"], s["areaCode"], s["sex"], float(p["value"]))
            for s in data["indicatorSeries"]
            for p in s["points"]
        },
        "datasets": {
            (n["slug"], n["version"]): n["dataReadable"] for n in data["datasets"]["nodes"]
        },
    }


async def csv_cells(h: History, at: str, who: str) -> set[Cell]:
    response = await h.world.client.get(
        "/exports/observations.csv",
        params={"asOf": at, "area": h.world.coalition["code"]},
        headers=h.world.headers[who],
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert response.headers["x-row-count"] == str(len(rows))
    return {(r["period"], r["area"], r["sex"], float(r["value"])) for r in rows}


def sdmx_url(h: History) -> str:
    return f"/sdmx/3.0/data/dataflow/LNOB/DF_LNOB_{h.world.coalition['code']}/1.0"


async def sdmx_cells(h: History, at: str, who: str) -> set[Cell]:
    response = await h.world.client.get(
        sdmx_url(h), params={"asOf": at}, headers=h.world.headers[who] | CSV2
    )
    if response.status_code == 404:  # SDMX's "No results found"
        return set()
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["ACTION"] for r in rows} <= {"I"}
    return {(r["TIME_PERIOD"], r["REF_AREA"], r["SEX"], float(r["OBS_VALUE"])) for r in rows}


CHANNELS = {"csv export": csv_cells, "sdmx 3.0": sdmx_cells}


async def test_every_past_instant_reads_as_logged_on_every_channel(
    conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore
) -> None:
    # given: the history, and its log (one build: it publishes through the API, and waits for
    # an embargo to end)
    h = await build_history(World(conn, client, signing_keys))
    assert len(h.log) == 9
    # the log itself is not trivial: corrections, the embargo's end, the withdrawals show in it
    seen = [len(e.cells["anonymous"]) for e in h.log]
    assert seen[0] == 0 and max(seen) == 18 and seen[-1] == 6
    # when / then: every instant, every caller, every channel
    for step, entry in enumerate(h.log):
        at = entry.at.isoformat()
        for who in WHO:
            expected = h.expected_cells(entry, who)
            found = await graphql_at(h, at, who)
            for channel in ("graphql observations", "graphql indicatorSeries"):
                assert found[channel] == expected, (step, who, channel)
            for channel, read in CHANNELS.items():
                assert await read(h, at, who) == expected, (step, who, channel)
            listed = found["datasets"]
            assert set(listed) == h.expected_versions(entry, who), (step, who, "datasets")
            consented = h.last["Consented"].slug
            for (slug, _), readable in listed.items():
                assert readable is (slug != consented), (step, who, slug)
    # and: today (no asOf) is what asOf now() reads, and what the log's last entry says
    now = (await conn.execute(sa.text("SELECT now()"))).scalar_one()
    for who in WHO:
        variables = {"asOf": None, "areas": [h.world.coalition["code"]], "after": None}
        today = (await _graphql(h, OBSERVATIONS, variables, who))["observations"]["nodes"]
        cells = {(n["period"], n["areaCode"], n["sex"], float(n["value"])) for n in today}
        assert cells == await graphql_cells(h, now.isoformat(), who)
        assert cells == h.expected_cells(h.log[-1], who)
    # what the log shows withdrawn now was readable once; the agency read the granted
    # lineage's first version, never its second one (under embargo to this day)
    withdrawn = h.cells_of(h.last["Retracted"]) | h.cells_of(h.last["Consented"])
    assert any(withdrawn <= e.cells["anonymous"] for e in h.log)
    assert all(not h.expected_cells(e, who) & withdrawn for e in h.log for who in WHO)
    assert h.cells_of(h.current["Granted"]) <= h.expected_cells(h.log[-1], "agency")
    assert not any(h.cells_of(h.last["Granted"]) & e.cells["agency"] for e in h.log)
    assert not any(h.cells_of(h.current["Granted"]) & e.cells["anonymous"] for e in h.log)
