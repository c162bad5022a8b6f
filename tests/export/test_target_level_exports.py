"""Observations reported at SDG-target level travel through every export like indicator ones."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f


async def test_target_level_rows_in_csv_and_sdmx(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    # given a public dataset with one indicator-level and one target-level observation
    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    await f.create_observation(conn, dataset, area_code=coalition["code"], value=12.0)
    await f.create_observation(
        conn,
        dataset,
        area_code=coalition["code"],
        value=34.0,
        indicator_id=None,
        target_code="10.2",
    )
    # when exported as CSV and as SDMX-CSV
    exported = await client.get("/exports/observations.csv", params={"dataset": dataset["slug"]})
    sdmx = await client.get(f"/sdmx/data/DF_LNOB_{coalition['code']}", params={"format": "csvdata"})
    # then both rows are there, the target-level one under its target code
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    codes = {next(v for k, v in r.items() if "indicator" in k): float(r["value"]) for r in rows}
    assert codes == {"1.1.1": 12.0, "10.2": 34.0}
    assert sdmx.status_code == 200, sdmx.text
    assert "10_2" in sdmx.text and "1_1_1" in sdmx.text
