"""SDMX-ML 2.1 generic data (``application/vnd.sdmx.genericdata+xml;version=2.1``), written
as the rows arrive, like the structure-specific messages (``sdmx.data_xml``): one
``<message:DataSet>`` per LNOB dataset (its slug in the data set's DATASET attribute), deleted
observations first in data sets with ``action="Delete"`` (key only), then the current rows.
Every component is a ``<generic:Value id=... value=...>``, so a client needs no DSD-specific
schema to read it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from lnob_api.sdmx import model
from lnob_api.sdmx.data_xml import (
    STRUCTURE_ID,
    Contents,
    Nesting,
    flush,
    number,
    write_data_sets,
)
from lnob_api.sdmx.xml import DECLARATION, attrs, header, xmlns


def _opening(dimension_at_observation: str) -> str:
    structure = (
        "<message:Structure"
        + attrs(structureID=STRUCTURE_ID, dimensionAtObservation=dimension_at_observation)
        + "><common:Structure>"
        + f'<Ref agencyID="{model.AGENCY}" id="{model.DSD_ID}" version="{model.VERSION}"/>'
        + "</common:Structure></message:Structure>"
    )
    return (
        DECLARATION
        + "<message:GenericData"
        + xmlns("message", "common", "generic", "xsi")
        + ">"
        + header(structure=structure)
    )


def _values(tag: str, values: dict[str, Any]) -> str:
    inner = "".join(
        f"<generic:Value{attrs(id=k, value=str(v))}/>" for k, v in values.items() if v is not None
    )
    return f"<generic:{tag}>{inner}</generic:{tag}>" if inner else ""


def _dataset(slug: str | None, action: str) -> str:
    opening = f"<message:DataSet{attrs(structureRef=STRUCTURE_ID, action=action)}>"
    return opening + (_values("Attributes", {model.DATASET.id: slug}) if slug else "")


def _observation(
    row: Any, dims: tuple[model.Component, ...], flat: bool, attributes: bool, delete: bool
) -> str:
    if flat:
        key = _values("ObsKey", {d.id: row[d.column] for d in dims})
    else:
        key = f"<generic:ObsDimension{attrs(value=str(row[dims[0].column]))}/>"
    if delete:
        return f"<generic:Obs>{key}</generic:Obs>"
    value = f"<generic:ObsValue{attrs(value=number(row['value']))}/>"
    shared = ""
    if attributes:
        shared = _values("Attributes", {a.id: row[a.column] for a in model.OBS_ATTRIBUTES})
    return f"<generic:Obs>{key}{value}{shared}</generic:Obs>"


async def generic(
    rows: AsyncIterator[Any], contents: Contents = Contents()
) -> AsyncIterator[bytes]:
    """The message, chunk by chunk (rows ordered as ``sdmx.repository.data_select`` orders)."""
    parts: list[str] = [_opening(contents.dimension_at_observation)]
    empty = _dataset(None, "Information") + "</message:DataSet>"
    nesting = partial(_nesting, contents)
    async for chunk in write_data_sets(rows, contents, parts, nesting, empty=empty):
        yield chunk
    parts.append("</message:GenericData>")
    yield flush(parts)


def _nesting(contents: Contents, action: str, observations: bool) -> Nesting:
    """One data set per LNOB dataset, whatever its versions (includeHistory)."""
    attributes = contents.attributes
    series_dims, obs_dims = model.layout(contents.dimension_at_observation)
    flat = not series_dims
    delete = action == "Delete"

    def open_set(row: Any) -> str:
        return _dataset(row["dataset"] if attributes else None, action)

    def open_series(row: Any) -> str:
        series = _values("SeriesKey", {d.id: row[d.column] for d in series_dims})
        return f"<generic:Series>{series}"

    def observation(row: Any, first: bool) -> str | None:
        if observations or delete:
            return _observation(row, obs_dims, flat, attributes, delete)
        return None

    return Nesting(
        series_dims,
        open_set,
        "</message:DataSet>",
        open_series,
        "</generic:Series>",
        observation,
        data_set=lambda row: row["dataset"],
    )
