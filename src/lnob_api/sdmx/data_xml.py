"""SDMX-ML 2.1 structure-specific data, written as the rows arrive.

Rows come grouped by dataset and series key (``sdmx.repository.data_select``), so a data set
or a ``<Series>`` is opened when its key changes and closed at the next one: memory stays
constant in the number of observations. A withheld small cell is ``OBS_VALUE="NaN"`` with
``CONF_STATUS="C"``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lnob_api.sdmx import model
from lnob_api.sdmx.xml import DECLARATION, attrs, header, xmlns

# Elements gathered before a chunk is handed to the client.
CHUNK_ELEMENTS = 500
STRUCTURE_ID = f"{model.AGENCY}_{model.DSD_ID}_{model.VERSION.replace('.', '_')}"


def number(value: float | None) -> str:
    """An xs:double; NaN for a missing or withheld value."""
    return "NaN" if value is None else repr(float(value))


def _opening(dimension_at_observation: str) -> str:
    namespace = f"{model.dsd_urn()}:ObsLevelDim:{dimension_at_observation}"
    structure = (
        "<message:Structure"
        + attrs(
            structureID=STRUCTURE_ID,
            namespace=namespace,
            dimensionAtObservation=dimension_at_observation,
        )
        + "><common:Structure>"
        + f'<Ref agencyID="{model.AGENCY}" id="{model.DSD_ID}" version="{model.VERSION}"/>'
        + "</common:Structure></message:Structure>"
    )
    return (
        DECLARATION
        + "<message:StructureSpecificData"
        + xmlns("message", "common", "ss", "xsi")
        + f' xmlns:ns1="{namespace}">'
        + header(structure=structure)
    )


def _dataset(slug: str | None, action: str = "Information") -> str:
    """A data set's opening tag, with its DATASET attribute."""
    values = {
        "ss__structureRef": STRUCTURE_ID,
        "xsi__type": "ns1:DataSetType",
        "ss__dataScope": "DataStructure",
        # qualified, as the structure-specific base schema declares it
        "ss__action": action,
        model.DATASET.id: slug,
    }
    return f"<message:DataSet{attrs(**values)}>"


def _observation(row: Any, dims: tuple[model.Component, ...], attributes: bool) -> str:
    values = {d.id: row[d.column] for d in dims}
    values[model.MEASURE] = number(row["value"])
    if attributes:
        values.update({a.id: row[a.column] for a in model.OBS_ATTRIBUTES})
    return f"<Obs{attrs(**values)}/>"


def _deleted_observation(row: Any, dims: tuple[model.Component, ...]) -> str:
    """A deleted observation: its key only (no value, no attributes)."""
    return f"<Obs{attrs(**{d.id: row[d.column] for d in dims})}/>"


async def structure_specific(
    rows: AsyncIterator[Any],
    *,
    deleted: AsyncIterator[Any] | None = None,
    dimension_at_observation: str = model.TIME_DIMENSION,
    attributes: bool = True,
    observations: bool = True,
) -> AsyncIterator[bytes]:
    """The message, chunk by chunk: one ``<message:DataSet>`` per LNOB dataset. ``rows`` are
    mappings labelled as in ``model``, ordered by dataset, series key and period. ``deleted``
    (keys of removed observations, in the same order) come first, as data sets with
    ``action="Delete"`` whose observations carry their key only (always listed, whatever
    ``detail``: a Delete series without observations would delete the whole series)."""
    parts: list[str] = [_opening(dimension_at_observation)]
    written = False
    if deleted is not None:
        async for chunk in _datasets(
            deleted, parts, dimension_at_observation, attributes, True, "Delete"
        ):
            written = True
            yield chunk
    async for chunk in _datasets(
        rows, parts, dimension_at_observation, attributes, observations, "Information"
    ):
        written = True
        yield chunk
    if not written:
        parts.append(_dataset(None) + "</message:DataSet>")
    parts.append("</message:StructureSpecificData>")
    yield "".join(parts).encode()


async def _datasets(
    rows: AsyncIterator[Any],
    parts: list[str],
    dimension_at_observation: str,
    attributes: bool,
    observations: bool,
    action: str,
) -> AsyncIterator[bytes]:
    """Data sets of ``rows`` appended to ``parts``; a chunk is yielded (and ``parts`` emptied)
    whenever enough has gathered, and at the end when anything was written."""
    series_dims, obs_dims = model.layout(dimension_at_observation)
    series_columns = [d.column for d in series_dims]
    dataset: str | None = None
    current: tuple[Any, ...] | None = None
    delete = action == "Delete"
    async for row in rows:
        if row["dataset"] != dataset:
            if current is not None:
                parts.append("</Series>")
                current = None
            if dataset is not None:
                parts.append("</message:DataSet>")
            dataset = row["dataset"]
            parts.append(_dataset(dataset if attributes else None, action))
        if series_dims:
            key = tuple(row[c] for c in series_columns)
            if key != current:
                if current is not None:
                    parts.append("</Series>")
                series = {d.id: row[d.column] for d in series_dims}
                parts.append(f"<Series{attrs(**series)}>")
                current = key
        if delete:
            parts.append(_deleted_observation(row, obs_dims))
        elif observations:
            parts.append(_observation(row, obs_dims, attributes))
        if len(parts) >= CHUNK_ELEMENTS:
            yield "".join(parts).encode()
            parts.clear()
    if current is not None:
        parts.append("</Series>")
    if dataset is not None:
        parts.append("</message:DataSet>")
        yield "".join(parts).encode()
        parts.clear()
