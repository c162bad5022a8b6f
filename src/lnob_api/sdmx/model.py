"""The SDMX view of the data commons: agency, data structure, dataflows and their identifiers.

One data structure definition, ``LNOB:DSD_LNOB(1.0)``, serves every dataflow; there is one
dataflow per coalition (``DF_LNOB_KE`` for Kenya), since a coalition is who owns and releases
the data. The series key is INDICATOR.REF_AREA.SEX.AGE.DISABILITY_STATUS.URBANISATION.GROUP and
TIME_PERIOD is the time dimension (last, as SDMX 2.1 expects). A data message holds one SDMX
data set per LNOB dataset (attribute DATASET on the data set): keys are unique within a
dataset, not across the datasets of a coalition.

SDMX identifiers may not contain dots, so indicator codes are written with underscores
(``1.1.1`` becomes ``1_1_1``; custom codes such as ``KE-C-0001`` are unchanged), and free-text
units become upper-case identifiers (``percent`` becomes ``PERCENT``; no unit is ``_Z``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lnob_api.declare import Entity, entities
from lnob_api.declare.observation import OBSERVATION

AGENCY = "LNOB"
AGENCY_NAME = "Leave No One Behind partnership"
VERSION = "1.0"
DSD_ID = "DSD_LNOB"
CONCEPT_SCHEME_ID = "CS_LNOB"
FLOW_PREFIX = "DF_LNOB_"
TIME_DIMENSION = "TIME_PERIOD"
MEASURE = "OBS_VALUE"
# SDMX-CSV 2.0 custom columns of includeHistory=true: each version's validity window (the
# validFromDate/validToDate of SDMX-ML 3.0 data sets, validFrom/validTo in SDMX-JSON 2.0).
VALID_FROM = "VALID_FROM"
VALID_TO = "VALID_TO"
ALL_DIMENSIONS = "AllDimensions"
NOT_APPLICABLE = "_Z"
TOTAL = "_T"


@dataclass(frozen=True, slots=True)
class Item:
    """An item of a scheme: a code of a code list (``parent``: the code it belongs to, if
    any) or a category (an SDG goal)."""

    id: str
    name: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Component:
    """A dimension or attribute of DSD_LNOB: its id, name, code list and data column label."""

    id: str
    name: str
    codelist: str | None
    column: str


def declared_attributes(observation: Entity = OBSERVATION) -> tuple[Component, ...]:
    """The uncoded attributes the declarations tag (``Field.sdmx``): the observation's fields
    (a column of its scoped row), then its dataset's; each read from the row column named as
    the field."""
    fields = (*observation.sdmx, *entities.DATASET.sdmx)
    return tuple(Component(*f.sdmx, None, f.name) for f in fields if f.sdmx)


def _declared_dimensions(observation: Entity = OBSERVATION) -> tuple[Component, ...]:
    """The observation's fields tagged as dimensions (``Field.dimension``), in the key's order
    from place 1 (INDICATOR, computed, holds place 0)."""
    found = tuple(f.dimension for f in observation.dimensions if f.dimension)
    assert [d.position for d in found] == list(range(1, len(found) + 1)), "gaps in the key"
    return tuple(Component(d.id, d.name, d.codelist, d.label) for d in found)


# The series key: the indicator (or SDG target), then the declared dimensions.
DIMENSIONS: tuple[Component, ...] = (
    Component("INDICATOR", "SDG or community-defined indicator", "CL_INDICATOR", "indicator"),
    *_declared_dimensions(),
)
# A declared dimension's observation column, by its id (REF_AREA: area_code).
KEY_COLUMNS: dict[str, str] = {
    f.dimension.id: f.name for f in OBSERVATION.dimensions if f.dimension is not None
}
# The place in the key of each declared dimension that filters by its codes, by the filter's
# name (``observation.repository.filters``; REF_AREA matches areas exactly instead).
KEY_FILTERS: dict[str, int] = {
    f.filter.name: f.dimension.position
    for f in OBSERVATION.dimensions
    if f.dimension is not None and f.filter is not None
}
TIME = Component(TIME_DIMENSION, "Time period", None, "period")
OBS_ATTRIBUTES: tuple[Component, ...] = (
    Component("UNIT_MEASURE", "Unit of measure", "CL_UNIT", "unit"),
    Component("OBS_STATUS", "Observation status", "CL_OBS_STATUS", "obs_status"),
    Component("CONF_STATUS", "Confidentiality status", "CL_CONF_STATUS", "conf_status"),
    # Provenance (the observation's own, else its dataset's; _U when not recorded).
    Component("PRODUCER_TYPE", "Type of data producer", "CL_PRODUCER_TYPE", "producer_type"),
    Component("COLLECTION_METHOD", "Data collection method", "CL_COLLECTION_METHOD", "method"),
    Component("SAMPLING", "Sampling approach", "CL_SAMPLING", "sampling"),
    # The observation's declared attributes (declare.observation), then its dataset's
    # (declare.entities), uncoded.
    *declared_attributes(),
)
# Attached to the data set (uncoded: the dataset's slug). A data message holds one SDMX data
# set per LNOB dataset, since two datasets of a coalition may report the same key and period.
DATASET = Component("DATASET", "Dataset", None, "dataset")
ATTRIBUTES: tuple[Component, ...] = (*OBS_ATTRIBUTES, DATASET)
KEY_LENGTH = len(DIMENSIONS)
# Each component is read from its own column of a data row (a declared attribute named as a
# computed one, or as the dataset's, would read the wrong value).
_READ = [c.column for c in (*DIMENSIONS, TIME, *ATTRIBUTES)]
assert len(set(_READ)) == len(_READ), "two SDMX components read the same row column"

# Code lists whose codes do not depend on the data.
OBS_STATUS_NAMES = {
    "A": "Normal value",
    "B": "Time series break",
    "E": "Estimated value",
    "F": "Forecast value",
    "I": "Imputed value",
    "M": "Missing value; data cannot exist",
    "O": "Missing value",
    "P": "Provisional value",
}
CONF_STATUS_NAMES = {
    "F": "Free (may be published)",
    "C": "Confidential statistical information (small cell withheld)",
    "D": "Secondary confidentiality (withheld so that a small cell cannot be derived)",
}
UNKNOWN = "_U"
PROVENANCE_NAMES: dict[str, dict[str, str]] = {
    "CL_PRODUCER_TYPE": {
        "COMMUNITY_DRIVEN": "Community-driven data",
        "CITIZEN_GENERATED": "Citizen-generated data",
        "OFFICIAL": "Official statistics",
        "OTHER": "Other producer",
        UNKNOWN: "Not recorded",
    },
    "CL_COLLECTION_METHOD": {
        "HOUSEHOLD_SURVEY": "Household survey",
        "COMMUNITY_SCORECARD": "Community scorecard",
        "FOCUS_GROUP": "Focus group discussion",
        "KEY_INFORMANT_INTERVIEW": "Key informant interviews",
        "COMMUNITY_DIALOGUE": "Community dialogue",
        "CITIZEN_REPORTING": "Citizen reporting",
        "ADMINISTRATIVE": "Administrative records",
        "OTHER": "Other method",
        UNKNOWN: "Not recorded",
    },
    "CL_SAMPLING": {
        "PURPOSIVE": "Purposive sampling",
        "CENSUS": "Census (everyone in the group)",
        "RANDOM": "Random sampling",
        "SNOWBALL": "Snowball sampling",
        "CONVENIENCE": "Convenience sampling",
        "OTHER": "Other sampling",
        UNKNOWN: "Not recorded",
    },
}
BASE_NAMES: dict[str, dict[str, str]] = {
    "CL_SEX": {"_T": "Total", "F": "Female", "M": "Male", "_O": "Other", "_U": "Unknown"},
    "CL_AGE": {"_T": "All ages"},
    "CL_DISABILITY_STATUS": {
        "_T": "Total",
        "PD": "Persons with disability",
        "PND": "Persons without disability",
    },
    "CL_URBANISATION": {"_T": "Total", "U": "Urban", "R": "Rural"},
    "CL_GROUP": {"_T": "Total (no particular group)"},
    "CL_UNIT": {NOT_APPLICABLE: "Not applicable"},
}

_ID = re.compile(r"^[A-Za-z0-9_@$\-]+$")
_GLOBAL_INDICATOR_ID = re.compile(r"^[0-9]{1,2}_[0-9a-z]{1,2}_[0-9]{1,2}$")
_AGE_RANGE = re.compile(r"^Y(\d+)T(\d+)$")
_AGE_BOUND = re.compile(r"^Y_(GE|LT|LE|GT)(\d+)$")


def is_id(value: str) -> bool:
    """True when ``value`` is a valid SDMX 2.1 identifier."""
    return bool(_ID.fullmatch(value))


def flow_id(coalition_code: str) -> str:
    return f"{FLOW_PREFIX}{coalition_code.upper()}"


def coalition_code(flow: str) -> str | None:
    """The coalition's country code of a dataflow id, or None when it is not one of ours."""
    if not flow.startswith(FLOW_PREFIX):
        return None
    code = flow[len(FLOW_PREFIX) :]
    return code if re.fullmatch(r"[A-Z]{2}", code) else None


def indicator_id(code: str) -> str:
    """The SDMX code of an indicator (dots are not allowed in SDMX identifiers)."""
    return code.replace(".", "_")


def indicator_code(sdmx_id: str) -> str:
    """The database code of an INDICATOR code: ``1_1_1`` -> ``1.1.1``; custom codes as they are."""
    if _GLOBAL_INDICATOR_ID.fullmatch(sdmx_id):
        return sdmx_id.replace("_", ".")
    return sdmx_id


def age_name(code: str) -> str:
    """A readable name for SDMX age codes (Y15T24, Y_GE65); the code itself otherwise."""
    if code == TOTAL:
        return "All ages"
    if match := _AGE_RANGE.fullmatch(code):
        return f"{int(match[1])} to {int(match[2])} years"
    if match := _AGE_BOUND.fullmatch(code):
        years = int(match[2])
        return {
            "GE": f"{years} years or over",
            "GT": f"over {years} years",
            "LT": f"under {years} years",
            "LE": f"{years} years or under",
        }[match[1]]
    return code


def flow_urn(flow: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{flow}({VERSION})"


def dsd_urn() -> str:
    return f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD_ID}({VERSION})"


def flow_ref(flow: str) -> str:
    """The SDMX-CSV form of a dataflow reference: ``LNOB:DF_LNOB_KE(1.0)``."""
    return f"{AGENCY}:{flow}({VERSION})"


AT_OBSERVATION = (*(d.id for d in DIMENSIONS), TIME_DIMENSION, ALL_DIMENSIONS)


def layout(dimension_at_observation: str) -> tuple[tuple[Component, ...], tuple[Component, ...]]:
    """(series dimensions, observation dimensions) for ``dimensionAtObservation``: the time
    dimension (the default), AllDimensions (flat, no series) or any other dimension (then
    TIME_PERIOD is part of the series key)."""
    every = (*DIMENSIONS, TIME)
    if dimension_at_observation == ALL_DIMENSIONS:
        return (), every
    at = next(c for c in every if c.id == dimension_at_observation)
    return tuple(c for c in every if c is not at), (at,)
