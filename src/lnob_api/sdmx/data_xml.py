"""SDMX-ML 2.1 structure-specific data, written as the rows arrive.

Rows come grouped by dataset and series key (``sdmx.repository.data_select``), so a data set
or a ``<Series>`` is opened when its key changes and closed at the next one: memory stays
constant in the number of observations. A withheld small cell is ``OBS_VALUE="NaN"`` with
``CONF_STATUS="C"``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from datetime import UTC
from functools import partial
from typing import Any

from lnob_api.sdmx import model
from lnob_api.sdmx.xml import DECLARATION, attrs, header, xmlns

# Elements gathered before a chunk is handed to the client.
CHUNK_ELEMENTS = 500
STRUCTURE_ID = f"{model.AGENCY}_{model.DSD_ID}_{model.VERSION.replace('.', '_')}"
# No data set yet (a key no row has).
_NONE: Hashable = object()


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
    parts: list[str] = [_opening(contents.dimension_at_observation, version)]
    empty = _dataset(None, "Information", version) + "</message:DataSet>"
    nesting = partial(_nesting, contents, version)
    async for chunk in write_data_sets(rows, contents, parts, nesting, empty=empty):
        yield chunk
    parts.append("</message:StructureSpecificData>")
    yield flush(parts)


def _nesting(contents: Contents, version: str, action: str, observations: bool) -> Nesting:
    """SDMX-ML 3.0 has no data-set attributes: there, DATASET goes on each series (or flat
    observation)."""
    attributes = contents.attributes
    on_set = version != "3.0"
    series_dims, obs_dims = model.layout(contents.dimension_at_observation)
    delete = action == "Delete"

    def shared(row: Any) -> dict[str, Any]:
        return {} if on_set or not attributes else {model.DATASET.id: row["dataset"]}

    def open_set(row: Any) -> str:
        return _dataset(row["dataset"] if attributes and on_set else None, action, version, row)

    def open_series(row: Any) -> str:
        return f"<Series{attrs(**{d.id: row[d.column] for d in series_dims}, **shared(row))}>"

    def observation(row: Any, first: bool) -> str | None:
        on_obs = {} if series_dims else shared(row)
        if delete:
            return _deleted_observation(row, obs_dims, on_obs)
        return _observation(row, obs_dims, attributes, on_obs) if observations else None

    return Nesting(
        series_dims, open_set, "</message:DataSet>", open_series, "</Series>", observation
    )


def dataset_version(row: Any) -> Hashable:
    """What tells one data set's rows from the next: a version of a dataset (``data_set``,
    with includeHistory; None otherwise)."""
    return (row["dataset"], row.get("data_set"))


@dataclass(frozen=True, slots=True)
class Nesting:
    """How a data message (SDMX-ML or SDMX-JSON) nests its rows: data sets, each holding
    series (or, with no ``series`` dimensions, its observations directly), each holding
    observations. Rows arrive grouped by data set (``data_set`` tells one data set's rows from
    the next) and, within one, by series key. ``observation`` writes a row (``first``: the
    first of its data set or series) or nothing (None); ``separator`` goes between two data
    sets and between two series of one."""

    series: tuple[model.Component, ...]
    open_set: Callable[[Any], str]
    close_set: str
    open_series: Callable[[Any], str]
    close_series: str
    observation: Callable[[Any, bool], str | None]
    separator: str = ""
    data_set: Callable[[Any], Hashable] = dataset_version


async def write_data_sets(
    rows: AsyncIterator[Any],
    contents: Contents,
    parts: list[str],
    nesting: Callable[[str, bool], Nesting],
    *,
    empty: str,
    flush_last: bool = True,
) -> AsyncIterator[bytes]:
    """The data sets of a message appended to ``parts``: its parts in order
    (``Contents.data_sets``), each nested as ``nesting(action, observations written)`` says;
    ``empty`` when none has a row (a message holds at least one data set). Chunks as
    ``nest`` yields them."""
    written = False
    for action, source, observations in contents.data_sets(rows):
        nested = nest(
            source, parts, nesting(action, observations), first=not written, flush_last=flush_last
        )
        async for chunk in nested:
            written = True
            yield chunk
    if not written:
        parts.append(empty)


async def nest(
    rows: AsyncIterator[Any],
    parts: list[str],
    nesting: Nesting,
    *,
    first: bool = True,
    flush_last: bool = True,
) -> AsyncIterator[bytes]:
    """Data sets of ``rows`` appended to ``parts`` as ``nesting`` writes them, each opened when
    its key changes and closed at the next one (``first``: no data set precedes them in the
    message). A chunk is yielded (and ``parts`` emptied) whenever enough has gathered, and once
    at the end when anything was written: all that is gathered, or ``b""`` (``flush_last``
    false: the caller writes on into that chunk)."""
    data_set: Hashable = _NONE
    current: tuple[Any, ...] | None = None
    first_obs = True
    async for row in rows:
        key = nesting.data_set(row)
        if key != data_set:
            if current is not None:
                parts.append(nesting.close_series)
                current = None
            if data_set is not _NONE:
                parts.append(nesting.close_set + nesting.separator)
            elif not first and nesting.separator:
                parts.append(nesting.separator)
            data_set = key
            parts.append(nesting.open_set(row))
            first_obs = True
        if nesting.series:
            series = tuple(row[d.column] for d in nesting.series)
            if series != current:
                if current is not None:
                    parts.append(nesting.close_series + nesting.separator)
                parts.append(nesting.open_series(row))
                current, first_obs = series, True
        written = nesting.observation(row, first_obs)
        if written is not None:
            parts.append(written)
            first_obs = False
        if len(parts) >= CHUNK_ELEMENTS:
            yield flush(parts)
    if current is not None:
        parts.append(nesting.close_series)
    if data_set is not _NONE:
        parts.append(nesting.close_set)
        yield flush(parts) if flush_last else b""
