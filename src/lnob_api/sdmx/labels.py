"""SDMX-CSV with ``labels=both``: coded columns as ``CODE: Label`` (the header ``ID: Name``).

The rows are those of the SDMX-CSV statements (``sdmx.repository.csv_select`` and
``csv_deletions``), read through a server-side cursor and written here, since the labels come
from reference data (indicator titles, area and group names, the code lists of ``model``).
Memory holds the label tables, never more than a batch of rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.models.tables import areas
from lnob_api.sdmx import model, repository

ROWS_PER_CHUNK = 500
_NAMES = {c.id: c.name for c in (*model.DIMENSIONS, model.TIME, *model.ATTRIBUTES)}
_NAMES[model.MEASURE] = "Observation value"


async def label_tables(conn: AsyncConnection) -> dict[str, dict[str, str]]:
    """Labels of the codes of every coded component (areas: all of them, they are few)."""
    found: dict[str, dict[str, str]] = {
        "INDICATOR": {
            model.indicator_id(r.code): r.title for r in await repository.indicator_rows(conn)
        },
        "REF_AREA": {
            r.code: r.name for r in await conn.execute(sa.select(areas.c.code, areas.c.name))
        },
        "GROUP": dict(model.BASE_NAMES["CL_GROUP"])
        | {r.code: r.name for r in await repository.group_rows(conn)},
        "OBS_STATUS": model.OBS_STATUS_NAMES,
        "CONF_STATUS": model.CONF_STATUS_NAMES,
        "UNIT_MEASURE": model.BASE_NAMES["CL_UNIT"],
    }
    for component in (*model.DIMENSIONS, *model.OBS_ATTRIBUTES):
        if component.id in found or component.codelist is None:
            continue
        if component.codelist in model.PROVENANCE_NAMES:
            found[component.id] = model.PROVENANCE_NAMES[component.codelist]
        else:
            found[component.id] = model.BASE_NAMES.get(component.codelist, {})
    return found


async def labelled_csv(
    conn: AsyncConnection, statements: Sequence[sa.Select[Any]]
) -> AsyncIterator[bytes]:
    """The rows of ``statements`` (same columns) as one SDMX-CSV with labels."""
    tables = await label_tables(conn)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header_written = False
    for stmt in statements:
        rows = 0
        async for row in repository.stream_rows(conn, stmt):
            if not header_written:
                writer.writerow([f"{k}: {_NAMES[k]}" if k in tables else k for k in row])
                header_written = True
            writer.writerow([_cell(k, v, tables) for k, v in row.items()])
            rows += 1
            if rows % ROWS_PER_CHUNK == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    if not header_written:
        columns = [c.name for c in statements[0].selected_columns]
        writer.writerow([f"{k}: {_NAMES[k]}" if k in tables else k for k in columns])
    yield buffer.getvalue().encode()


def _cell(column: str, value: Any, tables: dict[str, dict[str, str]]) -> Any:
    if isinstance(value, float):  # as PostgreSQL writes a double (and COPY does): 42, not 42.0
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if value is None or column not in tables:
        return value
    code = str(value)
    label = tables[column].get(code) or (model.age_name(code) if column == "AGE" else code)
    # the cell starts with the code (escaped against formulas in SQL), so no label starts one
    return f"{code}: {label}"
