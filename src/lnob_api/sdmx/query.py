"""SDMX 2.1 REST requests: flow references, data keys and query parameters, checked.

Malformed input is ``InvalidInput`` (HTTP 400) naming the parameter; well-formed references
to things that do not exist are ``NotFound`` (HTTP 404), raised by ``sdmx.service``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lnob_api.errors import InvalidInput
from lnob_api.export.filters import Params, instant, period, single
from lnob_api.sdmx import model

WILDCARDS = ("all", "*")
VERSIONS = ("latest", "all", "*", "+", "~", model.VERSION)
DETAILS = ("full", "dataonly", "serieskeysonly", "nodata")
REFERENCES = (
    "none",
    "parents",
    "parentsandsiblings",
    "children",
    "descendants",
    "all",
    "dataflow",
    "datastructure",
    "codelist",
    "conceptscheme",
    "categoryscheme",
    "categorisation",
)
DATA_PARAMETERS = (
    "startPeriod",
    "endPeriod",
    "updatedAfter",
    "dimensionAtObservation",
    "detail",
    "format",
    "dataset",
    "firstNObservations",
    "lastNObservations",
    "labels",
)
STRUCTURE_PARAMETERS = ("references", "detail", "format")
UNSUPPORTED = ("includeHistory",)
LABELS = ("id", "both")
KEY_FORM = ".".join(d.id for d in model.DIMENSIONS)


@dataclass(frozen=True, slots=True)
class FlowRef:
    agency: str
    id: str
    version: str

    def __str__(self) -> str:
        return f"{self.agency}:{self.id}({self.version})"


def flow_ref(raw: str) -> FlowRef:
    """``DF_LNOB_KE``, ``LNOB,DF_LNOB_KE`` or ``LNOB,DF_LNOB_KE,1.0``."""
    parts = [p.strip() for p in raw.split(",")]
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise InvalidInput("flowRef", f"{raw!r} is not agency,id,version", code="INVALID")
    if len(parts) == 1:
        return FlowRef("all", parts[0], "latest")
    if len(parts) == 2:
        return FlowRef(parts[0], parts[1], "latest")
    return FlowRef(parts[0], parts[1], parts[2])


def ours(agency: str, version: str) -> bool:
    """True when an agency and version in a request can name one of this service's artefacts."""
    return agency in (*WILDCARDS, model.AGENCY) and version in VERSIONS


def key(raw: str | None) -> list[tuple[str, ...] | None]:
    """Codes per dimension (None: any), from ``1_1_1.KE+UG.F....`` (``all`` or empty: any)."""
    if raw is None or raw.strip() in ("", "all", "ALL"):
        return [None] * model.KEY_LENGTH
    parts = raw.strip().split(".")
    if len(parts) != model.KEY_LENGTH:
        raise InvalidInput(
            "key",
            f"{len(parts)} dimensions given, the key has {model.KEY_LENGTH}: {KEY_FORM}",
            code="KEY_LENGTH",
        )
    found: list[tuple[str, ...] | None] = []
    for dimension, part in zip(model.DIMENSIONS, parts, strict=True):
        codes = tuple(c for c in part.split("+") if c)
        if part and not codes:
            raise InvalidInput("key", f"no code for {dimension.id} in {raw!r}", code="INVALID")
        found.append(codes or None)
    return found


@dataclass(frozen=True, slots=True)
class DataParams:
    start_period: str | None
    end_period: str | None
    updated_after: datetime | None
    dimension_at_observation: str
    detail: str
    dataset: str | None
    format: str | None
    first_n: int | None = None
    last_n: int | None = None
    labels: str = "id"

    @property
    def attributes(self) -> bool:
        return self.detail in ("full", "nodata")

    @property
    def observations(self) -> bool:
        return self.detail in ("full", "dataonly")


def _check_names(params: Params, allowed: tuple[str, ...]) -> None:
    for name in params:
        if name in UNSUPPORTED:
            raise InvalidInput(name, "not supported by this service", code="UNSUPPORTED")
        if name not in allowed:
            raise InvalidInput(
                name, f"unknown parameter; use {', '.join(allowed)}", code="UNKNOWN_PARAMETER"
            )


def _choice(params: Params, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = single(params, name) or default
    if value not in allowed:
        raise InvalidInput(name, f"{value!r} is not one of {', '.join(allowed)}", code="INVALID")
    return value


def data_params(params: Params) -> DataParams:
    _check_names(params, DATA_PARAMETERS)
    at_observation = single(params, "dimensionAtObservation") or model.TIME_DIMENSION
    if at_observation not in model.AT_OBSERVATION:
        raise InvalidInput(
            "dimensionAtObservation",
            f"{at_observation!r} is not a dimension of {model.DSD_ID}; use one of "
            + ", ".join(model.AT_OBSERVATION),
            code="UNSUPPORTED",
        )
    return DataParams(
        start_period=period(params, "startPeriod"),
        end_period=period(params, "endPeriod"),
        updated_after=instant(params, "updatedAfter"),
        dimension_at_observation=at_observation,
        detail=_choice(params, "detail", "full", DETAILS),
        dataset=single(params, "dataset"),
        format=single(params, "format"),
        first_n=_count(params, "firstNObservations"),
        last_n=_count(params, "lastNObservations"),
        labels=_choice(params, "labels", "id", LABELS),
    )


def _count(params: Params, name: str) -> int | None:
    """A positive number of observations per series."""
    value = single(params, name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= 1_000_000:
        raise InvalidInput(name, f"{value!r} is not a positive integer", code="INVALID")
    return int(value)


STRUCTURE_DETAILS = (
    "full",
    "allstubs",
    "referencestubs",
    "allcompletestubs",
    "referencecompletestubs",
    "referencepartial",
)
# SDMX-REST 2.x (``/sdmx/3.0``) adds ``raw``: the artefacts as they are maintained, which here
# is the same as ``full`` (no code list extends another).
STRUCTURE_DETAILS_30 = (*STRUCTURE_DETAILS, "raw")


@dataclass(frozen=True, slots=True)
class StructureParams:
    references: str
    format: str | None
    detail: str = "full"

    def stubs(self, queried: str) -> frozenset[str]:
        """Classes to write as stubs: all (``all...stubs``), or all but the queried one's."""
        every = frozenset(("Dataflow", "Codelist", "ConceptScheme", "DataStructure"))
        every |= {"CategoryScheme", "Categorisation", "ContentConstraint", "DataConstraint"}
        if self.detail in ("allstubs", "allcompletestubs"):
            return every
        if self.detail in ("referencestubs", "referencecompletestubs"):
            return every - {queried}
        return frozenset()


def structure_params(params: Params, version: str = "2.1") -> StructureParams:
    _check_names(params, STRUCTURE_PARAMETERS)
    details = STRUCTURE_DETAILS_30 if version == "3.0" else STRUCTURE_DETAILS
    return StructureParams(
        references=_choice(params, "references", "none", REFERENCES),
        format=single(params, "format"),
        detail=_choice(params, "detail", "full", details),
    )


AVAILABILITY_PARAMETERS = ("mode", "references", "startPeriod", "endPeriod", "updatedAfter")
MODES = ("exact", "available")
AVAILABILITY_REFERENCES = (
    "none",
    "all",
    "datastructure",
    "conceptscheme",
    "codelist",
    "dataproviderscheme",
    "dataflow",
)


@dataclass(frozen=True, slots=True)
class AvailabilityParams:
    mode: str
    references: str
    data: DataParams


def availability_params(params: Params) -> AvailabilityParams:
    """Parameters of ``availableconstraint``: ``mode``, ``references`` and the data filters."""
    _check_names(params, AVAILABILITY_PARAMETERS)
    data = DataParams(
        start_period=period(params, "startPeriod"),
        end_period=period(params, "endPeriod"),
        updated_after=instant(params, "updatedAfter"),
        dimension_at_observation=model.TIME_DIMENSION,
        detail="full",
        dataset=None,
        format=None,
    )
    return AvailabilityParams(
        mode=_choice(params, "mode", "exact", MODES),
        references=_choice(params, "references", "none", AVAILABILITY_REFERENCES),
        data=data,
    )
