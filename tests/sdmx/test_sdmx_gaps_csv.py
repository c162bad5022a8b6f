"""The SDMX-CSV 2.0 form of the disaggregation gap report: ``/exports/disaggregation-gaps.sdmx.csv``
or ``Accept: application/vnd.sdmx.data+csv;version=2.0.0`` on the ``.csv`` route. Same rows and
values as the plain CSV, SDMX-CSV 2.0's structure columns first, SDMX ids for the columns and
the indicator codes (the world of ``tests/gaps/test_gap_report``)."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.disclosure.disclosure_world import World
from tests.gaps.test_gap_report import world

__all__ = ["world"]  # the fixture

SDMX_CSV2 = "application/vnd.sdmx.data+csv;version=2.0.0"


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_sdmx_csv_holds_the_csv_rows(world: World) -> None:
    params = {"coalition": world.coalition["code"]}
    plain = await world.client.get("/exports/disaggregation-gaps.csv", params=params)
    by_route = await world.client.get("/exports/disaggregation-gaps.sdmx.csv", params=params)
    by_accept = await world.client.get(
        "/exports/disaggregation-gaps.csv", params=params, headers={"Accept": SDMX_CSV2}
    )
    assert plain.status_code == by_route.status_code == by_accept.status_code == 200
    assert by_route.content == by_accept.content
    assert by_route.headers["content-type"].startswith(
        "application/vnd.sdmx.data+csv; version=2.0.0"
    )
    assert plain.headers["content-type"].startswith("text/csv")
    assert "sdmx.csv" in by_route.headers["content-disposition"]
    header = by_route.text.splitlines()[0].split(",")
    assert header[:5] == ["STRUCTURE", "STRUCTURE_ID", "ACTION", "COALITION", "INDICATOR"]
    assert {"DISAGGREGATION", "STATUS", "COMMUNITY_CELLS", "OFFICIAL_CELLS"} <= set(header)
    expected = rows(plain.text)
    found = rows(by_route.text)
    assert len(found) == len(expected) == 8
    for sdmx_row, row in zip(found, expected, strict=True):
        assert (sdmx_row["STRUCTURE"], sdmx_row["STRUCTURE_ID"], sdmx_row["ACTION"]) == (
            "datastructure",
            "LNOB:DSD_LNOB_GAPS(1.0)",
            "I",
        )
        assert sdmx_row["INDICATOR"] == row["indicator"].replace(".", "_") == "1_1_1"
        others = {k.upper(): v for k, v in row.items() if k != "indicator"}
        assert {k: sdmx_row[k] for k in others} == others
    # each form has its own validators, and a cached plain copy is not an SDMX one
    assert by_route.headers["etag"] != plain.headers["etag"]
    assert "Accept" in by_accept.headers["vary"]
    again = await world.client.get(
        "/exports/disaggregation-gaps.csv",
        params=params,
        headers={"Accept": SDMX_CSV2, "If-None-Match": plain.headers["etag"]},
    )
    assert again.status_code == 200


async def test_sdmx_csv_follows_the_callers_view_and_errors(world: World) -> None:
    params: dict[str, Any] = {"coalition": world.coalition["code"], "indicator": "1.1.1"}
    outsider = rows(
        (await world.client.get("/exports/disaggregation-gaps.sdmx.csv", params=params)).text
    )
    insider = rows(
        (
            await world.client.get(
                "/exports/disaggregation-gaps.sdmx.csv",
                params=params,
                headers=world.headers["insider"],
            )
        ).text
    )
    age = {r["DISAGGREGATION"]: r for r in insider}["AGE"]
    assert age["STATUS"] == "FILLED_BY_COMMUNITY"
    assert age["COMMUNITY_CATEGORIES"] == "Y15T24;Y_GE65"
    assert {r["DISAGGREGATION"]: r for r in outsider}["AGE"]["STATUS"] != "FILLED_BY_COMMUNITY"
    wrong = await world.client.get(
        "/exports/disaggregation-gaps.sdmx.csv", params={"coalition": "ZZ"}
    )
    assert wrong.status_code == 400
    assert "unknown coalition ZZ" in wrong.text
