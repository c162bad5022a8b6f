"""The second SDMX 3.0 client: ``pysdmx`` (the BIS/ECB library, from PyPI) reads the running
service under ``/sdmx/3.0``, anonymously and with an agency's token.

pysdmx speaks SDMX-REST 2.x only and asks for SDMX-JSON 2.0 structures and availability:

- ``RegistryClient`` (its metadata client): dataflows, the DSD, code lists, concept schemes,
  the SDG category scheme and categorisations (SDMX-JSON 2.0 structure messages);
- ``RestService.availability``: the DataConstraint of ``/sdmx/3.0/availability`` (SDMX-JSON
  2.0), with ``c[...]`` filters and ``mode``;
- ``RestService.data`` + ``pysdmx.io.read_sdmx``: data with keys, ``c[TIME_PERIOD]`` periods,
  ``lastNObservations`` and ``updatedAfter``, as SDMX-CSV 2.0 and SDMX-ML 3.0.

A uvicorn server runs in the test's event loop over the test's transaction (the fixture of
``test_sdmx_client``); pysdmx's blocking client runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from pysdmx.api.dc.query import Operator, TextFilter
from pysdmx.api.fmr import RegistryClient
from pysdmx.api.qb import (
    ApiVersion,
    AvailabilityQuery,
    DataContext,
    DataFormat,
    DataQuery,
    RestService,
)
from pysdmx.api.qb.availability import AvailabilityMode
from pysdmx.io import read_sdmx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.sdmx.test_sdmx_client import _database_values, base_url, world

from lnob_api import models
from lnob_api.sync import repository as sync_repo

__all__ = ["base_url", "world"]  # fixtures


def _registry(base_url: str, headers: dict[str, str]) -> RegistryClient:
    client = RegistryClient(f"{base_url}/sdmx/3.0", timeout=30)
    client._RegistryClient__service._headers.update(headers)  # type: ignore[attr-defined]
    return client


def _service(base_url: str, headers: dict[str, str], data_format: DataFormat) -> RestService:
    service = RestService(
        f"{base_url}/sdmx/3.0", ApiVersion.V2_0_0, data_format=data_format, timeout=30
    )
    service._headers.update(headers)
    return service


def _observations(message: Any) -> list[dict[str, Any]]:
    """Every row of every data set of a pysdmx data message (a pandas frame per data set)."""
    rows: list[dict[str, Any]] = []
    for data_set in message.data:
        rows.extend(data_set.data.to_dict("records"))
    return rows


@pytest.mark.parametrize("who", ["anonymous", "insider"])
async def test_pysdmx_reads_structures_availability_and_data(
    base_url: str, conn: AsyncConnection, world: dict[str, Any], who: str
) -> None:
    headers = world["headers"][who]
    flow = f"DF_LNOB_{world['a']['code']}"
    expected = await _database_values(conn, world["a"]["id"], insider=who == "insider")
    registry = _registry(base_url, headers)
    csv2 = _service(base_url, headers, DataFormat.SDMX_CSV_2_0_0)
    ml30 = _service(base_url, headers, DataFormat.SDMX_ML_3_0)

    def data(service: RestService, **query: Any) -> Any:
        q = DataQuery(context=DataContext.DATAFLOW, agency_id="LNOB", resource_id=flow, **query)
        return read_sdmx(io.BytesIO(service.data(q)), validate=False)

    def read() -> dict[str, Any]:
        availability = AvailabilityQuery(
            context=DataContext.DATAFLOW,
            agency_id="LNOB",
            resource_id=flow,
            mode=AvailabilityMode.AVAILABLE,
        )
        return {
            "flows": registry.get_dataflows("LNOB"),
            "dsd": registry.get_data_structures("LNOB", "DSD_LNOB"),
            "areas": registry.get_codes("LNOB", "CL_AREA"),
            "concepts": registry.get_concepts("LNOB", "CS_LNOB"),
            "goals": registry.get_categories("LNOB", "SDG_GOALS"),
            "availability": json.loads(csv2.availability(availability)),
            "csv": data(csv2),
            "ml": data(ml30),
            "key": data(csv2, key="1_1_1.*.*.*.*.*.*"),
            "period": data(
                csv2, components=TextFilter("TIME_PERIOD", Operator.GREATER_THAN_OR_EQUAL, "2021")
            ),
            "last": data(csv2, last_n_obs=1),
        }

    got = await asyncio.to_thread(read)
    assert {flow, f"DF_LNOB_{world['b']['code']}"} <= {d.id for d in got["flows"]}
    (dsd,) = got["dsd"]
    assert [c.id for c in dsd.components.dimensions] == [
        "INDICATOR",
        "REF_AREA",
        "SEX",
        "AGE",
        "DISABILITY_STATUS",
        "URBANISATION",
        "GROUP",
        "TIME_PERIOD",
    ]
    assert world["sub"] in {c.id for c in got["areas"]}
    assert "OBS_VALUE" in {c.id for c in got["concepts"]}
    assert [c.id for c in got["goals"]] == [str(n) for n in range(1, 18)]
    (constraint,) = got["availability"]["data"]["dataConstraints"]
    count = next(a for a in constraint["annotations"] if a["id"] == "obs_count")
    assert int(count["title"]) == sum(expected.values())
    # data: as many rows as the caller reads, in both formats
    assert len(_observations(got["csv"])) == sum(expected.values())
    assert len(_observations(got["ml"])) == sum(expected.values())
    keyed = _observations(got["key"])
    assert keyed and {r["INDICATOR"] for r in keyed} == {"1_1_1"}
    assert len(keyed) == sum(n for (k, _), n in expected.items() if k[0] == "1_1_1")
    periods = {str(r["TIME_PERIOD"]) for r in _observations(got["period"])}
    assert periods == {p for (k, _) in expected for p in [k[7]] if p >= "2021"}
    last = _observations(got["last"])
    series = {tuple(r[d] for d in ("INDICATOR", "REF_AREA", "SEX", "DATASET")) for r in last}
    assert last and len(series) == len(last)


async def test_pysdmx_reads_deletions_after_updated_after(
    base_url: str, conn: AsyncConnection, world: dict[str, Any]
) -> None:
    flow = f"DF_LNOB_{world['a']['code']}"
    # pysdmx sends updatedAfter to the second: the world's rows are a second older than it
    await asyncio.sleep(1.1)
    since = datetime.now(UTC).replace(microsecond=0)
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
    service = _service(base_url, world["headers"]["insider"], DataFormat.SDMX_CSV_2_0_0)

    def read() -> Any:
        q = DataQuery(
            context=DataContext.DATAFLOW,
            agency_id="LNOB",
            resource_id=flow,
            updated_after=since,
        )
        return read_sdmx(io.BytesIO(service.data(q)), validate=False)

    message = await asyncio.to_thread(read)
    rows = [(ds.action.value, r) for ds in message.data for r in ds.data.to_dict("records")]
    assert [(action.lower(), str(r["TIME_PERIOD"])) for action, r in rows] == [("delete", "2016")]
