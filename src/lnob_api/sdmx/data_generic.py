"""SDMX-ML 2.1 generic data (``application/vnd.sdmx.genericdata+xml;version=2.1``), written
as the rows arrive, like the structure-specific messages (``sdmx.data_xml``): one
``<message:DataSet>`` per LNOB dataset (its slug in the data set's DATASET attribute), deleted
observations first in data sets with ``action="Delete"`` (key only), then the current rows.
Every component is a ``<generic:Value id=... value=...>``, so a client needs no DSD-specific
schema to read it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lnob_api.sdmx import model
from lnob_api.sdmx.data_xml import CHUNK_ELEMENTS, STRUCTURE_ID, Contents, flush, number
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
    at_observation = contents.dimension_at_observation
    parts: list[str] = [_opening(at_observation)]
    written = False
    for action, source, with_obs in contents.data_sets(rows):
        async for chunk in _datasets(
            source, parts, at_observation, contents.attributes, with_obs, action
        ):
            written = True
            yield chunk
    if not written:
        parts.append(_dataset(None, "Information") + "</message:DataSet>")
    parts.append("</message:GenericData>")
    yield flush(parts)


async def _datasets(
    rows: AsyncIterator[Any],
    parts: list[str],
    dimension_at_observation: str,
    attributes: bool,
    observations: bool,
    action: str,
) -> AsyncIterator[bytes]:
    series_dims, obs_dims = model.layout(dimension_at_observation)
    flat = not series_dims
    series_columns = [d.column for d in series_dims]
    delete = action == "Delete"
    dataset: str | None = None
    current: tuple[Any, ...] | None = None
    async for row in rows:
        if row["dataset"] != dataset:
            if current is not None:
                parts.append("</generic:Series>")
                current = None
            if dataset is not None:
                parts.append("</message:DataSet>")
            dataset = row["dataset"]
            parts.append(_dataset(dataset if attributes else None, action))
        if not flat:
            key = tuple(row[c] for c in series_columns)
            if key != current:
                if current is not None:
                    parts.append("</generic:Series>")
                series = _values("SeriesKey", {d.id: row[d.column] for d in series_dims})
                parts.append(f"<generic:Series>{series}")
                current = key
        if observations or delete:
            parts.append(_observation(row, obs_dims, flat, attributes, delete))
        if len(parts) >= CHUNK_ELEMENTS:
            yield flush(parts)
    if current is not None:
        parts.append("</generic:Series>")
    if dataset is not None:
        parts.append("</message:DataSet>")
        yield flush(parts)
