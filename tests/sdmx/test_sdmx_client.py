"""The proof with a real client: ``sdmx1`` reads the running service as an SDMX source.

A uvicorn server runs in the test's event loop on 127.0.0.1 over the test's transaction;
``sdmx.Client`` (blocking, on ``requests``) runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import math
import socket
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.export.export_world import build_world

import sdmx
from lnob_api import models
from lnob_api.auth.keys import KeyStore

ObsKey = tuple[str, str, str, str, str, str, str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def base_url(app: Any) -> AsyncIterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, 30)


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    return await build_world(conn, signing_keys)


def _client(base_url: str, headers: dict[str, str]) -> Any:
    sdmx.add_source(
        {
            "id": "LNOB",
            "url": f"{base_url}/sdmx",
            "name": "LNOB data commons (test)",
            "supports": {"availableconstraint": True},
        },
        override=True,
    )
    client = sdmx.Client("LNOB")
    client.session.headers.update(headers)
    return client


async def _database_values(
    conn: AsyncConnection, coalition_id: int, *, insider: bool
) -> Counter[tuple[ObsKey, float | None]]:
    """Published PUBLIC (and, for an insider, COALITION) rows, masked as the policy says."""
    o = models.Observation.__table__
    d = models.Dataset.__table__
    i = models.Indicator.__table__
    visible = ["PUBLIC", "COALITION"] if insider else ["PUBLIC"]
    stmt = (
        sa.select(i.c.code, o.c.area_code, o.c.sex, o.c.age, o.c.disability_status)
        .add_columns(o.c.urbanisation, o.c.group_code, o.c.period, o.c.value, o.c.sample_size)
        .select_from(o.join(d, d.c.id == o.c.dataset_id).join(i, i.c.id == o.c.indicator_id))
        .where(d.c.coalition_id == coalition_id, d.c.status == "PUBLISHED")
        .where(d.c.visibility.in_(visible))
    )
    found: Counter[tuple[ObsKey, float | None]] = Counter()
    for row in await conn.execute(stmt):
        small = row.sample_size is not None and row.sample_size < 5
        key: ObsKey = (row[0].replace(".", "_"), *row[1:8])
        found[(key, None if small and not insider else row.value)] += 1
    return found


def _values(message: Any) -> Counter[tuple[ObsKey, float | None]]:
    """Observations of an sdmx1 data message (all its data sets), counted like
    ``_database_values``: two datasets may report the same key and period."""
    found: Counter[tuple[ObsKey, float | None]] = Counter()
    order = ["INDICATOR", "REF_AREA", "SEX", "AGE", "DISABILITY_STATUS", "URBANISATION", "GROUP"]
    for obs in (obs for data_set in message.data for obs in data_set.obs):
        values = {k: str(v.value) for k, v in obs.key.values.items()}
        if obs.series_key is not None:
            values |= {k: str(v.value) for k, v in obs.series_key.values.items()}
        value = None if obs.value in (None, "", "NaN") else float(obs.value)
        if value is not None and math.isnan(value):
            value = None
        key: ObsKey = (*(values[k] for k in order), values["TIME_PERIOD"])  # type: ignore[assignment]
        found[(key, value)] += 1
    return found


class TestSdmxClient:
    @pytest.mark.parametrize("who", ["anonymous", "insider"])
    async def test_reads_flows_structure_and_data(
        self, base_url: str, conn: AsyncConnection, world: dict[str, Any], who: str
    ) -> None:
        flow = f"DF_LNOB_{world['a']['code']}"
        client = _client(base_url, world["headers"][who])
        expected = await _database_values(conn, world["a"]["id"], insider=who == "insider")
        assert any(value is None for _, value in expected) is (who == "anonymous")

        def read() -> dict[str, Any]:
            flows = client.dataflow()
            structure = client.dataflow(flow)  # references=all: the DSD and its code lists
            dsd = structure.structure["DSD_LNOB"]
            return {
                "flows": flows,
                "structure": structure,
                # sdmx1 hands ``dsd`` to its reader only along with a key given as a dict
                "ss": client.data(flow, key={}, dsd=dsd),
                "json": client.data(
                    flow, headers={"Accept": "application/vnd.sdmx.data+json;version=1.0.0"}
                ),
                "csv2": client.data(
                    flow,
                    key={},
                    dsd=dsd,
                    headers={"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"},
                ),
                "key": client.data(flow, key={"INDICATOR": "1_1_1"}, dsd=dsd),
            }

        got = await asyncio.to_thread(read)
        # dataflows: one per coalition, each over DSD_LNOB
        assert flow in got["flows"].dataflow
        assert f"DF_LNOB_{world['b']['code']}" in got["flows"].dataflow
        dsd = got["structure"].structure["DSD_LNOB"]
        assert [d.id for d in dsd.dimensions] == [
            "INDICATOR",
            "REF_AREA",
            "SEX",
            "AGE",
            "DISABILITY_STATUS",
            "URBANISATION",
            "GROUP",
            "TIME_PERIOD",
        ]
        assert {a.id for a in dsd.attributes} >= {"UNIT_MEASURE", "OBS_STATUS", "CONF_STATUS"}
        codelists = got["structure"].codelist
        assert "1_1_1" in codelists["CL_INDICATOR"]
        assert world["sub"] in codelists["CL_AREA"]
        assert codelists["CL_AREA"][world["sub"]].parent.id == world["a"]["code"]
        # data: every format carries the database's values, masked for outsiders only
        for name in ("ss", "json", "csv2"):
            assert _values(got[name]) == expected, name
        assert _values(got["key"]) == Counter(
            {k: n for k, n in expected.items() if k[0][0] == "1_1_1"}
        )


async def test_reads_categories_availability_last_observations_and_deletions(
    base_url: str, conn: AsyncConnection, world: dict[str, Any]
) -> None:
    """sdmx1's Client, against uvicorn, with the agency-style token of an insider."""
    from datetime import UTC, datetime

    from tests import factories as f

    from lnob_api.sync import repository as sync_repo

    flow = f"DF_LNOB_{world['a']['code']}"
    since = datetime.now(UTC)
    gone = await f.create_dataset(conn, world["a"], title="Withdrawn later")
    await f.create_observation(conn, gone, area_code=world["a"]["code"], period="2016")
    await sync_repo.record(
        conn,
        occurred_at=datetime.now(UTC),
        coalition_id=world["a"]["id"],
        dataset_id=gone["id"],
        reason="retracted",
        prior_status="PUBLISHED",
        prior_visibility="PUBLIC",
    )
    table = models.Dataset.__table__
    retracted = {"status": "RETRACTED", "retraction_reason": "test", "retracted_at": since}
    await conn.execute(sa.update(table).where(table.c.id == gone["id"]).values(retracted))
    client = _client(base_url, world["headers"]["insider"])

    def read() -> dict[str, Any]:
        return {
            "goals": client.categoryscheme(
                "SDG_GOALS", params={"references": "parentsandsiblings"}
            ),
            "available": client.availableconstraint(flow, params={"mode": "available"}),
            "last": client.data(flow, params={"lastNObservations": 1}, key={}, dsd=dsd),
            "deleted": client.data(
                flow,
                params={"updatedAfter": since.isoformat()},
                headers={"Accept": "application/vnd.sdmx.data+json;version=1.0.0"},
            ),
        }

    dsd = (await asyncio.to_thread(client.dataflow, flow)).structure["DSD_LNOB"]
    got = await asyncio.to_thread(read)
    assert f"CAT_{flow}_4" in got["goals"].categorisation
    (constraint,) = got["available"].constraint.values()
    assert any(a.id == "obs_count" for a in constraint.annotations)
    series = [s for ds in got["last"].data for s in ds.series.values()]
    assert series and all(len(obs) == 1 for obs in series)
    (deleted,) = got["deleted"].data
    assert deleted.action == sdmx.model.common.ActionType.delete
    assert [str(o.key["TIME_PERIOD"].value) for o in deleted.obs] == ["2016"]
