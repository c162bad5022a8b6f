"""Content negotiation for the SDMX endpoints: the ``format`` parameter, else ``Accept``.

Data: SDMX-ML 2.1 structure-specific (also for application/xml, text/xml and */*: it streams
and every client of this service has read it so far), SDMX-ML 2.1 generic data, SDMX-JSON 1.0
(also application/json), SDMX-CSV 1.0 (also text/csv) and SDMX-CSV 2.0. Structures: SDMX-ML
2.1 structure messages (the default) and SDMX-JSON 1.0 structure messages (also
application/json); under ``/sdmx/3.0/structure``, SDMX-ML 3.0 and SDMX-JSON 2.0 (``version``
``3.0``). Other SDMX formats are not offered on a route: asking only for them is 406.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lnob_api.errors import InvalidInput


class Format(StrEnum):
    STRUCTURE = "structure"
    STRUCTURE_JSON = "structurejson"
    # /sdmx/3.0/structure only
    STRUCTURE_30 = "structure30"
    STRUCTURE_JSON_20 = "structurejson20"
    STRUCTURE_SPECIFIC = "structurespecificdata"
    GENERIC = "genericdata"
    # SDMX-ML 3.0 structure-specific data: /sdmx/3.0 only (``sdmx.v3``)
    STRUCTURE_SPECIFIC_30 = "structurespecificdata30"
    JSON_20 = "jsondata20"
    JSON = "jsondata"
    CSV = "csvdata"
    CSV2 = "csv2"


MEDIA_TYPES = {
    Format.STRUCTURE: "application/vnd.sdmx.structure+xml; version=2.1",
    Format.STRUCTURE_JSON: "application/vnd.sdmx.structure+json; version=1.0.0; charset=utf-8",
    Format.STRUCTURE_30: "application/vnd.sdmx.structure+xml; version=3.0.0",
    Format.STRUCTURE_JSON_20: "application/vnd.sdmx.structure+json; version=2.0.0; charset=utf-8",
    Format.STRUCTURE_SPECIFIC: "application/vnd.sdmx.structurespecificdata+xml; version=2.1",
    Format.GENERIC: "application/vnd.sdmx.genericdata+xml; version=2.1",
    Format.STRUCTURE_SPECIFIC_30: "application/vnd.sdmx.structurespecificdata+xml; version=3.0.0",
    Format.JSON_20: "application/vnd.sdmx.data+json; version=2.0.0",
    Format.JSON: "application/vnd.sdmx.data+json; version=1.0.0",
    Format.CSV: "application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8",
    Format.CSV2: "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8",
}
DATA_FORMATS = (Format.STRUCTURE_SPECIFIC, Format.GENERIC, Format.JSON, Format.CSV, Format.CSV2)

# (media type, version or None for any) -> format, per kind of resource.
_DATA: dict[str, dict[str | None, Format]] = {
    "application/vnd.sdmx.structurespecificdata+xml": {
        None: Format.STRUCTURE_SPECIFIC,
        "2.1": Format.STRUCTURE_SPECIFIC,
    },
    "application/vnd.sdmx.genericdata+xml": {None: Format.GENERIC, "2.1": Format.GENERIC},
    "application/vnd.sdmx.data+json": {
        None: Format.JSON,
        "1.0.0": Format.JSON,
        "1.0": Format.JSON,
    },
    "application/vnd.sdmx.data+csv": {
        None: Format.CSV,
        "1.0.0": Format.CSV,
        "1.0": Format.CSV,
        "2.0.0": Format.CSV2,
        "2.0": Format.CSV2,
    },
    "application/xml": {None: Format.STRUCTURE_SPECIFIC},
    "text/xml": {None: Format.STRUCTURE_SPECIFIC},
    "application/json": {None: Format.JSON},
    "text/csv": {None: Format.CSV},
    "application/*": {None: Format.STRUCTURE_SPECIFIC},
    "text/*": {None: Format.CSV},
    "*/*": {None: Format.STRUCTURE_SPECIFIC},
}


def _structure_types(
    xml: Format, json: Format, xml_versions: tuple[str, ...], json_versions: tuple[str, ...]
) -> dict[str, dict[str | None, Format]]:
    """The media types of structure messages of one SDMX version, answered in its SDMX-ML
    (``xml``) or SDMX-JSON (``json``) format: with one of their ``versions``, or none."""
    return {
        "application/vnd.sdmx.structure+xml": dict.fromkeys((None, *xml_versions), xml),
        "application/vnd.sdmx.structure+json": dict.fromkeys((None, *json_versions), json),
        "application/json": {None: json},
        "application/xml": {None: xml},
        "text/xml": {None: xml},
        "application/*": {None: xml},
        "*/*": {None: xml},
    }


_STRUCTURE = _structure_types(Format.STRUCTURE, Format.STRUCTURE_JSON, ("2.1",), ("1.0.0", "1.0"))
_STRUCTURE_30 = _structure_types(
    Format.STRUCTURE_30, Format.STRUCTURE_JSON_20, ("3.0.0", "3.0"), ("2.0.0", "2.0")
)
STRUCTURE_FORMATS = {
    "2.1": (Format.STRUCTURE, Format.STRUCTURE_JSON),
    "3.0": (Format.STRUCTURE_30, Format.STRUCTURE_JSON_20),
}


class NotAcceptable(Exception):
    """Nothing the client accepts can be produced (HTTP 406)."""

    def __init__(self, offered: list[str]) -> None:
        super().__init__(
            "none of the accepted media types can be produced; offered: " + ", ".join(offered)
        )


@dataclass(frozen=True, slots=True)
class _Range:
    media: str
    version: str | None
    q: float
    order: int


def _ranges(accept: str) -> list[_Range]:
    found = []
    for order, item in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in item.split(";"))
        if not media:
            continue
        version, q = None, 1.0
        for param in params:
            key, _, value = param.partition("=")
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "version":
                version = value
            elif key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        found.append(_Range(media.lower(), version, q, order))
    return sorted(found, key=lambda r: (-r.q, r.order))


def negotiate(
    *, format: str | None, accept: str | None, structure: bool, version: str = "2.1"
) -> Format:
    """The format to write: ``format`` when given (400 when unknown or of the wrong kind),
    else the most preferred acceptable media type (``NotAcceptable`` when none). ``version``
    (``2.1`` or ``3.0``) chooses the structure formats of the route."""
    allowed = STRUCTURE_FORMATS[version] if structure else DATA_FORMATS
    if format is not None:
        try:
            chosen = Format(format.strip().lower())
        except ValueError:
            chosen = None
        if chosen not in allowed:
            names = ", ".join(allowed)
            raise InvalidInput("format", f"unsupported format {format!r}; use {names}")
        assert chosen is not None
        return chosen
    table = (_STRUCTURE_30 if version == "3.0" else _STRUCTURE) if structure else _DATA
    if not accept or not accept.strip():
        return allowed[0]
    for item in _ranges(accept):
        if item.q <= 0:
            continue
        versions = table.get(item.media)
        if versions is None:
            continue
        # A version matters only where a media type names several; elsewhere any will do.
        versioned = item.version is not None and len(versions) > 1
        found = versions.get(item.version) if versioned else versions.get(None)
        if found is not None:
            return found
    raise NotAcceptable([MEDIA_TYPES[f] for f in allowed])
