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


async def test_target_and_provenance_filters(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    # given a dataset reported at target level, collected by focus groups
    import sqlalchemy as sa

    from lnob_api import models

    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    await conn.execute(
        sa.update(models.Dataset.__table__)
        .where(models.Dataset.id == dataset["id"])
        .values(method="FOCUS_GROUP")
    )
    await f.create_observation(conn, dataset, area_code=coalition["code"], value=1.0)
    await f.create_observation(
        conn, dataset, area_code=coalition["code"], value=2.0, indicator_id=None, target_code="10.2"
    )
    base = {"dataset": dataset["slug"]}
    # when / then: the export takes the same target and provenance filters as GraphQL
    by_target = await client.get("/exports/observations.csv", params=base | {"target": "10.2"})
    by_method = await client.get(
        "/exports/observations.csv", params=base | {"method": "FOCUS_GROUP"}
    )
    other_method = await client.get(
        "/exports/observations.csv", params=base | {"method": "HOUSEHOLD_SURVEY"}
    )
    bad = await client.get(
        "/exports/observations.csv", params=base | {"washingtonGroup": "perhaps"}
    )

    def values(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return sorted(r["value"] for r in csv.DictReader(io.StringIO(response.text)))

    assert values(by_target) == ["2"]  # 1.1.1 belongs to target 1.1, not 10.2
    assert values(by_method) == ["1", "2"]  # the observations inherit their dataset's method
    assert values(other_method) == []
    assert bad.status_code == 400 and "washingtonGroup" in bad.text
