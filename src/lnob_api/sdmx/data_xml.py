"""SDMX-ML 2.1 structure-specific data, written as the rows arrive.

Rows come grouped by dataset and series key (``sdmx.repository.data_select``), so a data set
or a ``<Series>`` is opened when its key changes and closed at the next one: memory stays
constant in the number of observations. A withheld small cell is ``OBS_VALUE="NaN"`` with
``CONF_STATUS="C"``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from lnob_api.sdmx import model
from lnob_api.sdmx.xml import DECLARATION, attrs, header, xmlns

# Elements gathered before a chunk is handed to the client.
CHUNK_ELEMENTS = 500
STRUCTURE_ID = f"{model.AGENCY}_{model.DSD_ID}_{model.VERSION.replace('.', '_')}"


@dataclass(frozen=True, slots=True)
class Contents:
    """What a data message (SDMX-ML or SDMX-JSON) holds of the rows it is given: the keys of
    the observations ``deleted`` since the query's ``updatedAfter`` (None: no deletions part),
    the dimension at the observation level, and whether attributes and observations are
    written (``detail``)."""

    deleted: AsyncIterator[Any] | None = None
    dimension_at_observation: str = model.TIME_DIMENSION
    attributes: bool = True
    observations: bool = True

    def data_sets(self, rows: AsyncIterator[Any]) -> list[tuple[str, AsyncIterator[Any], bool]]:
        """The message's parts in order, each an action, its rows and whether its observations
        are written: the deleted keys first (``Delete``: always listed, whatever ``detail``,
        since a Delete series without observations would delete the whole series), then
        ``rows`` (``Information``)."""
        parts = [("Information", rows, self.observations)]
        if self.deleted is not None:
            parts.insert(0, ("Delete", self.deleted, True))
        return parts


def flush(parts: list[str]) -> bytes:
    """The chunk ``parts`` make, ``parts`` emptied for the next one."""
    chunk = "".join(parts).encode()
    parts.clear()
    return chunk


def number(value: float | None) -> str:
    """An xs:double; NaN for a missing or withheld value."""
    return "NaN" if value is None else repr(float(value))


def _opening(dimension_at_observation: str, version: str = "2.1") -> str:
    namespace = f"{model.dsd_urn()}:ObsLevelDim:{dimension_at_observation}"
    if version == "3.0":  # SDMX-ML 3.0 refers to the structure by its URN
        reference = f"<common:Structure>{model.dsd_urn()}</common:Structure>"
    else:
        reference = (
            "<common:Structure>"
            f'<Ref agencyID="{model.AGENCY}" id="{model.DSD_ID}" version="{model.VERSION}"/>'
            "</common:Structure>"
        )
    structure = (
        "<message:Structure"
        + attrs(
            structureID=STRUCTURE_ID,
            namespace=namespace,
            dimensionAtObservation=dimension_at_observation,
        )
        + f">{reference}</message:Structure>"
    )
    return (
        DECLARATION
        + "<message:StructureSpecificData"
        + xmlns("message", "common", "ss", "xsi", version=version)
        + f' xmlns:ns1="{namespace}">'
        + header(structure=structure)
    )


def instant(value: Any) -> str | None:
    """An xs:dateTime in UTC (``2025-03-01T00:00:00.123456Z``); None stays None."""
    if value is None:
        return None
    return str(value.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def _dataset(
    slug: str | None, action: str = "Information", version: str = "2.1", row: Any = None
) -> str:
    """A data set's opening tag, with its DATASET attribute (SDMX-ML 2.1), and the validity
    window of its version when ``row`` carries one (``includeHistory``)."""
    valid = row is not None and "valid_from" in row
    values = {
        "ss__structureRef": STRUCTURE_ID,
        "xsi__type": "ns1:DataSetType",
        "ss__dataScope": "DataStructure" if version == "2.1" else None,
        # qualified, as the structure-specific base schema declares it
        "ss__action": action,
        "ss__validFromDate": instant(row["valid_from"]) if valid else None,
        "ss__validToDate": instant(row["valid_to"]) if valid else None,
        model.DATASET.id: slug,
    }
    return f"<message:DataSet{attrs(**values)}>"


def _observation(
    row: Any, dims: tuple[model.Component, ...], attributes: bool, shared: dict[str, Any]
) -> str:
    values = {d.id: row[d.column] for d in dims} | shared
    values[model.MEASURE] = number(row["value"])
    if attributes:
        values.update({a.id: row[a.column] for a in model.OBS_ATTRIBUTES})
    return f"<Obs{attrs(**values)}/>"


def _deleted_observation(
    row: Any, dims: tuple[model.Component, ...], shared: dict[str, Any]
) -> str:
    """A deleted observation: its key only (no value, no attributes but ``shared``)."""
    return f"<Obs{attrs(**{d.id: row[d.column] for d in dims}, **shared)}/>"


async def structure_specific(
    rows: AsyncIterator[Any], contents: Contents = Contents(), *, version: str = "2.1"
) -> AsyncIterator[bytes]:
    """The message (SDMX-ML 2.1, or 3.0), chunk by chunk: one ``<message:DataSet>`` per LNOB
    dataset. ``rows`` are mappings labelled as in ``model``, ordered by dataset, series key and
    period; the deleted keys (in the same order) come first, as data sets with
    ``action="Delete"`` whose observations carry their key only (``Contents.data_sets``)."""
    at_observation = contents.dimension_at_observation
    parts: list[str] = [_opening(at_observation, version)]
    written = False
    for action, source, with_obs in contents.data_sets(rows):
        async for chunk in _datasets(
            source, parts, at_observation, contents.attributes, with_obs, action, version
        ):
            written = True
            yield chunk
    if not written:
        parts.append(_dataset(None, "Information", version) + "</message:DataSet>")
    parts.append("</message:StructureSpecificData>")
    yield flush(parts)


async def _datasets(
    rows: AsyncIterator[Any],
    parts: list[str],
    dimension_at_observation: str,
    attributes: bool,
    observations: bool,
    action: str,
    version: str = "2.1",
) -> AsyncIterator[bytes]:
    """Data sets of ``rows`` appended to ``parts``; a chunk is yielded (and ``parts`` emptied)
    whenever enough has gathered, and at the end when anything was written. SDMX-ML 3.0 has
    no data-set attributes: there, DATASET goes on each series (or flat observation)."""
    on_set = version != "3.0"
    series_dims, obs_dims = model.layout(dimension_at_observation)
    series_columns = [d.column for d in series_dims]
    dataset: str | None = None
    data_set: tuple[Any, Any] | None = None  # a version of a dataset (includeHistory)
    current: tuple[Any, ...] | None = None
    delete = action == "Delete"
    async for row in rows:
        if (row["dataset"], row.get("data_set")) != data_set:
            if current is not None:
                parts.append("</Series>")
                current = None
            if data_set is not None:
                parts.append("</message:DataSet>")
            dataset = row["dataset"]
            data_set = (dataset, row.get("data_set"))
            slug = dataset if attributes and on_set else None
            parts.append(_dataset(slug, action, version, row))
        shared = {} if on_set or not attributes else {model.DATASET.id: dataset}
        if series_dims:
            key = tuple(row[c] for c in series_columns)
            if key != current:
                if current is not None:
                    parts.append("</Series>")
                series = {d.id: row[d.column] for d in series_dims}
                parts.append(f"<Series{attrs(**series, **shared)}>")
                current = key
            shared = {}
        if delete:
            parts.append(_deleted_observation(row, obs_dims, shared))
        elif observations:
            parts.append(_observation(row, obs_dims, attributes, shared))
        if len(parts) >= CHUNK_ELEMENTS:
            yield flush(parts)
    if current is not None:
        parts.append("</Series>")
    if data_set is not None:
        parts.append("</message:DataSet>")
        yield flush(parts)
