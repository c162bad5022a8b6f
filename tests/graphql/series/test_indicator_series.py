"""indicatorSeries: series per area and disaggregation, same visibility and suppression."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.export.export_world import build_world
from tests.helpers import gql

from lnob_api.auth.keys import KeyStore
from lnob_api.export import service

SERIES = """
query($indicator: String!, $areas: [String!], $from: String, $to: String,
      $dims: SeriesDimensionsInput) {
  indicatorSeries(indicator: $indicator, areas: $areas, periodFrom: $from, periodTo: $to,
                  dimensions: $dims) {
    areaCode sex age disabilityStatus urbanisation group
    points { period value suppressed obsStatus sampleSize datasetId }
  }
}
"""


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    return await build_world(conn, signing_keys)


async def series(
    client: httpx.AsyncClient, headers: dict[str, str], **variables: Any
) -> list[dict[str, Any]]:
    body = await gql(client, SERIES, variables, headers=headers)
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["indicatorSeries"]
    return found


class TestIndicatorSeries:
    async def test_grouped_by_area_and_dimensions_in_period_order(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        code = world["a"]["code"]
        found = await series(client, {}, indicator="1.1.1", areas=[code])
        keys = [(s["areaCode"], s["sex"]) for s in found]
        assert keys == sorted(keys)
        assert keys == [(code, "F"), (code, "M"), (world["sub"], "_T")]
        female = found[0]["points"]
        assert [p["period"] for p in female] == ["2019", "2020"]
        assert [p["value"] for p in female] == [10.5, None]
        assert [p["suppressed"] for p in female] == [False, True]
        assert found[1]["points"][0]["obsStatus"] == "E"

    async def test_insiders_see_small_cells_and_coalition_data(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        code = world["a"]["code"]
        found = await series(
            client,
            world["headers"]["insider"],
            indicator="1.1.1",
            areas=[code],
            dims={"sex": ["F"]},
            **{"from": "2020", "to": "2020"},
        )
        assert len(found) == 1
        values = sorted((p["value"], p["sampleSize"]) for p in found[0]["points"])
        assert values == [(11.25, 3), (99.0, 2)]

    async def test_same_rows_as_the_csv_export(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        for who in ("anonymous", "insider"):
            headers = world["headers"][who]
            found = await series(client, headers, indicator="1.1.1")
            points = sorted(
                (s["areaCode"], s["sex"], p["period"], p["value"] if p["value"] is not None else "")
                for s in found
                for p in s["points"]
            )
            export = await client.get(
                "/exports/observations.csv", params={"indicator": "1.1.1"}, headers=headers
            )
            rows = [line.split(",") for line in export.text.splitlines()[1:]]
            exported = sorted((r[2], r[9], r[3], float(r[4]) if r[4] else "") for r in rows)
            assert points == exported

    async def test_unknown_indicator_is_empty(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        assert await series(client, {}, indicator="9.9.9") == []

    async def test_too_many_series_is_bad_user_input(
        self, client: httpx.AsyncClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(service, "MAX_SERIES", 1)
        body = await gql(client, SERIES, {"indicator": "1.1.1"})
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "series match" in body["errors"][0]["message"]

    async def test_bad_period_names_the_argument(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        body = await gql(client, SERIES, {"indicator": "1.1.1", "from": "2019-13"})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert body["errors"][0]["extensions"]["field"] == "periodFrom"
