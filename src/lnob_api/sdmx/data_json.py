"""SDMX-JSON 1.0 data messages, written as the rows arrive.

SDMX-JSON refers to codes by their position in the ``structure`` block's value lists. The
positions are handed out as codes first appear, and the ``structure`` block is written after
``dataSets`` (JSON members have no order). So memory grows with the number of distinct codes
(indicators, areas, periods, units, datasets), never with the number of observations. What
cannot stream is the reading side: a client needs the trailing ``structure`` block to decode
the keys, so it must hold the whole document (as ``sdmx1`` and most JSON parsers do anyway).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from lnob_api.sdmx import model
from lnob_api.sdmx.data_xml import Contents, Nesting, flush, instant, write_data_sets

# Names of INDICATOR and REF_AREA codes, looked up once the data are written.
Labels = Callable[[dict[str, list[str]]], Awaitable[dict[str, dict[str, str]]]]


class _Index:
    """Positions of the codes of one component, in order of first appearance."""

    def __init__(self) -> None:
        self.positions: dict[str, int] = {}

    def __call__(self, code: str) -> int:
        found = self.positions.get(code)
        if found is None:
            found = self.positions[code] = len(self.positions)
        return found


def _header(v2: bool = False) -> str:
    prepared = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    found: dict[str, Any] = {
        "id": f"IREF{uuid.uuid4().hex[:16].upper()}",
        "test": False,
        "prepared": prepared,
        "sender": {"id": model.AGENCY, "name": model.AGENCY_NAME},
    }
    if v2:
        found = {
            "schema": "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json",
            "contentLanguages": ["en"],
        } | found
    return json.dumps(found)


def _value(value: float | None) -> float | None:
    return None if value is None else float(value)


async def json_data(
    rows: AsyncIterator[Any],
    contents: Contents = Contents(),
    *,
    labels: Labels,
    version: str = "1.0",
) -> AsyncIterator[bytes]:
    """The message (SDMX-JSON 1.0, or 2.0: ``meta`` and ``data`` with ``structures``; every
    data set refers to structure 0 and links the DSD), chunk by chunk: one entry of
    ``dataSets`` per LNOB dataset. ``rows`` are
    mappings labelled as in ``model``, ordered by dataset, series key and period. The deleted
    keys (same order) come first, as data sets with ``"action": "Delete"`` whose observations
    hold no value (``[null]``) and no attributes (``Contents.data_sets``)."""
    dimension_at_observation = contents.dimension_at_observation
    attributes = contents.attributes
    flat = dimension_at_observation == model.ALL_DIMENSIONS
    index = {c.id: _Index() for c in (*model.DIMENSIONS, model.TIME, *model.ATTRIBUTES)}
    container = "observations" if flat else "series"
    v2 = version == "2.0"
    opening = (
        f'{{"meta":{_header(v2)},"data":{{"dataSets":['
        if v2
        else f'{{"header":{_header()},"dataSets":['
    )
    parts = [opening]
    lead = f'"structure":0,"links":[{{"rel":"structure","urn":"{model.dsd_urn()}"}}],' if v2 else ""
    empty = f'{{{lead}"action":"Information","{container}":{{}}}}'
    nesting = partial(_nesting, index, contents, lead)
    async for chunk in write_data_sets(
        rows, contents, parts, nesting, empty=empty, flush_last=False
    ):
        if chunk:
            yield chunk
    structure = await _structure(
        index,
        labels,
        dimension_at_observation=dimension_at_observation,
        attributes=attributes,
        version=version,
    )
    if v2:
        parts.append(f'],"structures":[{json.dumps(structure)}]}}}}')
    else:
        parts.append(f'],"structure":{json.dumps(structure)}}}')
    yield flush(parts)


def _nesting(
    index: dict[str, _Index], contents: Contents, lead: str, action: str, observations: bool
) -> Nesting:
    """Entries of ``dataSets``, their series and observations as JSON members (``lead``:
    what each entry starts with)."""
    attributes = contents.attributes
    series_dims, obs_dims = model.layout(contents.dimension_at_observation)
    container = "series" if series_dims else "observations"
    delete = action == "Delete"

    def open_set(row: Any) -> str:
        shared = f'"attributes":[{index["DATASET"](row["dataset"])}],' if attributes else ""
        return f'{{{lead}"action":"{action}",{_validity(row)}{shared}"{container}":{{'

    def open_series(row: Any) -> str:
        position = ":".join(str(index[d.id](row[d.column])) for d in series_dims)
        return f'"{position}":{{"attributes":[],"observations":{{'

    def observation(row: Any, first: bool) -> str | None:
        if not observations:  # the structure still lists the values the series span
            for d in obs_dims:  # (SDMX-JSON 2.0 wants every dimension with at least one)
                index[d.id](row[d.column])
            return None
        position = ":".join(str(index[d.id](row[d.column])) for d in obs_dims)
        entry: list[Any] = [None if delete else _value(row["value"])]
        if attributes and not delete:
            entry.extend(index[a.id](row[a.column]) for a in model.OBS_ATTRIBUTES)
        return ("" if first else ",") + f'"{position}":{json.dumps(entry)}'

    return Nesting(series_dims, open_set, "}}", open_series, "}}", observation, separator=",")


def _validity(row: Any) -> str:
    """``"validFrom"`` and ``"validTo"`` members of a version's data set (includeHistory)."""
    if "valid_from" not in row:
        return ""
    found = {"validFrom": instant(row["valid_from"]), "validTo": instant(row["valid_to"])}
    return "".join(f'"{k}":{json.dumps(v)},' for k, v in found.items() if v is not None)


async def _structure(
    index: dict[str, _Index],
    labels: Labels,
    *,
    dimension_at_observation: str,
    attributes: bool,
    version: str = "1.0",
) -> dict[str, Any]:
    named = await labels({k: list(index[k].positions) for k in ("INDICATOR", "REF_AREA")})

    def values(component: model.Component) -> list[dict[str, str]]:
        names = named.get(component.id, {})
        base = model.BASE_NAMES.get(component.codelist or "", {})
        if component.id == "OBS_STATUS":
            base = model.OBS_STATUS_NAMES
        elif component.id == "CONF_STATUS":
            base = model.CONF_STATUS_NAMES
        elif component.id == "AGE":
            base = {code: model.age_name(code) for code in index["AGE"].positions}
        return [
            {"id": code, "name": names.get(code) or base.get(code) or code}
            for code in index[component.id].positions
        ]

    def dimension(component: model.Component, position: int) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": component.id,
            "name": component.name,
            "keyPosition": position,
            "values": values(component),
        }
        if component.id == model.TIME_DIMENSION:
            if version == "2.0":
                found["roles"] = [model.TIME_DIMENSION]
            else:
                found["role"] = "time"
        return found

    series_dims, _ = model.layout(dimension_at_observation)
    dims = [dimension(d, p) for p, d in enumerate((*model.DIMENSIONS, model.TIME))]
    series = [d for d in dims if any(s.id == d["id"] for s in series_dims)]
    observation = [d for d in dims if d not in series]

    def attribute(component: model.Component) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": component.id,
            "name": component.name,
            "values": values(component),
        }
        if version == "2.0":  # what an attribute's value varies with
            level = "dataflow" if component is model.DATASET else "observation"
            found["relationship"] = {level: {}}
            if not found["values"]:  # no observation carries it (measures=none): 2.0 wants
                del found["values"]  # a non-empty list or none
        return found

    extra: dict[str, Any] = {}
    if version == "2.0":
        extra["links"] = [{"rel": "self", "urn": model.dsd_urn()}]
        extra["measures"] = {"observation": [{"id": model.MEASURE, "name": "Observation value"}]}
    return extra | {
        "name": "LNOB community-driven data",
        "dimensions": {"dataSet": [], "series": series, "observation": observation},
        "attributes": {
            "dataSet": [attribute(model.DATASET)] if attributes else [],
            "series": [],
            "observation": [attribute(a) for a in model.OBS_ATTRIBUTES] if attributes else [],
        },
    }
