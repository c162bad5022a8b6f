"""CSV cells that a spreadsheet would evaluate (= + - @ tab CR first) leave every CSV route
with a leading single quote (OWASP, CSV injection); numbers and ordinary text are untouched."""

from __future__ import annotations

import csv
import gzip
import io
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

# (unit as stored, as the CSV export must give it). A unit starting with a tab or a carriage
# return can no longer be stored (ck_observations_unit_canonical); the export quotes one still.
UNITS = [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ('@HYPERLINK("http://example.org","x")', '\'@HYPERLINK("http://example.org","x")'),
    ("+1+1", "'+1+1"),
    ("-2-2", "'-2-2"),
    ("PERCENT", "PERCENT"),
    ("a=b", "a=b"),
    ("", ""),
]


@pytest.fixture
async def hostile_units(conn: AsyncConnection) -> dict[str, Any]:
    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    await f.link_indicator(conn, dataset, "1.1.1")
    for i, (unit, _) in enumerate(UNITS):
        await f.create_observation(
            conn,
            dataset,
            area_code=coalition["code"],
            period=str(2000 + i),
            unit=unit,
            value=-3,
            sex="=SUM(A1)" if i == 0 else "F",
        )
    return {"coalition": coalition, "dataset": dataset}


def rows_of(text: str) -> list[dict[str, str]]:
    # newline="" keeps a quoted carriage return inside its cell, as RFC 4180 says.
    return list(csv.DictReader(io.StringIO(text, newline="")))


def no_text_cell_starts_like_a_formula(rows: list[dict[str, str]], numeric: set[str]) -> bool:
    return all(
        not cell or cell[0] not in "=+-@\t\r"
        for row in rows
        for name, cell in row.items()
        if name not in numeric
    )


class TestCsvExport:
    @pytest.mark.parametrize("path", ["/exports/observations.csv", "/exports/observations.csv.gz"])
    async def test_formula_cells_are_quoted_and_numbers_are_not(
        self, client: httpx.AsyncClient, hostile_units: dict[str, Any], path: str
    ) -> None:
        # when
        response = await client.get(path, params={"dataset": hostile_units["dataset"]["slug"]})
        # then
        assert response.status_code == 200, response.text
        raw = gzip.decompress(response.content) if path.endswith(".gz") else response.content
        rows = sorted(rows_of(raw.decode()), key=lambda r: r["period"])
        assert [r["unit"] for r in rows] == [expected for _, expected in UNITS]
        assert {r["value"] for r in rows} == {"-3"}
        assert rows[0]["sex"] == "'=SUM(A1)"
        assert {r["sex"] for r in rows[1:]} == {"F"}
        assert rows[0]["dataset"] == hostile_units["dataset"]["slug"]
        assert no_text_cell_starts_like_a_formula(rows, numeric={"value"})


class TestSdmxCsv:
    @pytest.mark.parametrize("format", ["csvdata", "csv2"])
    async def test_formula_cells_are_quoted_and_numbers_are_not(
        self, client: httpx.AsyncClient, hostile_units: dict[str, Any], format: str
    ) -> None:
        # given
        flow = f"DF_LNOB_{hostile_units['coalition']['code']}"
        # when
        response = await client.get(f"/sdmx/data/{flow}", params={"format": format})
        # then
        assert response.status_code == 200, response.text
        rows = sorted(rows_of(response.text), key=lambda r: r["TIME_PERIOD"])
        units = [r["UNIT_MEASURE"] for r in rows]
        # SDMX codes keep only [A-Z0-9_@$-]: "@HYPERLINK(...)" becomes "@HYPERLINK_..." and
        # "-2-2" stays, so both still start like formulas and must be quoted.
        assert units[1].startswith("'@HYPERLINK_")
        assert units[3] == "'-2-2"
        assert units[4] == "PERCENT"
        assert no_text_cell_starts_like_a_formula(rows, numeric={"OBS_VALUE"})
        assert {r["OBS_VALUE"] for r in rows} == {"-3"}
        assert rows[0]["SEX"] == "'=SUM(A1)"
