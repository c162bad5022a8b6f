"""The export filter: query parameters that mirror GraphQL's ObservationFilter, checked early.

The declared filters' parameters (``Filter.parameter`` of declare.observation and
declare.entities) come from the declarations: a new one needs no line here.

Parsing needs no database; ``export.service.resolve`` then checks codes against it. Each
problem is an ``InvalidInput`` whose ``field`` is the query parameter's name.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from lnob_api.declare import Entity
from lnob_api.declare.entities import DATASET
from lnob_api.declare.observation import OBSERVATION
from lnob_api.errors import InvalidInput
from lnob_api.models.provenance import ProducerType, ProvenanceMethod
from lnob_api.observation.periods import ACCEPTED_FORMS, period_bounds

PARAMETERS = (
    "indicator",
    "area",
    "periodFrom",
    "periodTo",
    "dataset",
    # The observations' declared filters (declare.observation): sex, age... group.
    *OBSERVATION.parameters,
    "updatedSince",
    "target",
    "producerType",
    "method",
    "washingtonGroup",
    "meetsCriteria",
    # Conditions on the observations' datasets, from the declaration (declare.entities).
    *DATASET.parameters,
    "labels",
    # Not a condition: read as of an instant (access.history; docs/point-in-time.md).
    "asOf",
)
# Parameters of several values: parameter -> ExportFilter field.
LISTS = {
    "indicator": "indicators",
    "area": "areas",
    "dataset": "datasets",
    "target": "targets",
    "producerType": "producer_types",
    "method": "methods",
    "meetsCriteria": "meets_criteria",
}
MAX_VALUES = 500
# Parameters whose values are enum members, spelled as in GraphQL (COMMUNITY_DRIVEN).
_ENUMS: dict[str, tuple[str, ...]] = {
    "producerType": tuple(ProducerType),
    "method": tuple(ProvenanceMethod),
}
# Dataset keys are PostgreSQL bigints.
_MAX_KEY = 2**63 - 1

Params = Mapping[str, Sequence[str]]
# The values of declared filters given: (query parameter, checked values), in declaration order.
Given = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Conditions on observations; every given one must hold (lists: any of the values)."""

    indicators: tuple[str, ...] | None = None
    areas: tuple[str, ...] | None = None
    period_from: str | None = None
    period_to: str | None = None
    datasets: tuple[str, ...] | None = None
    updated_since: datetime | None = None
    targets: tuple[str, ...] | None = None
    producer_types: tuple[str, ...] | None = None
    methods: tuple[str, ...] | None = None
    washington_group: bool | None = None
    meets_criteria: tuple[str, ...] | None = None
    # The declared observation filters given (parameter, checked values): conditions of the
    # observations' spec (``observation.repository.filters``) by parameter.
    observed: Given = ()
    # The declared dataset filters given (parameter, checked values): ``DATASET.where``.
    declared: Given = ()
    # Not a condition: the language of the label columns (export.csv.LANGUAGES), if any.
    labels: str | None = None
    # Not a condition: the instant the rows are read as of (``access.history``), if any.
    as_of: datetime | None = None

    def canonical(self) -> str:
        """A stable text form (for entity tags)."""
        return json.dumps(asdict(self), sort_keys=True, default=str)


def parse_filter(params: Params, *, extra: Sequence[str] = ()) -> ExportFilter:
    """Build a filter from query parameters (each value may hold comma-separated codes)."""
    for name in params:
        if name not in PARAMETERS and name not in extra:
            allowed = ", ".join((*PARAMETERS, *extra))
            raise InvalidInput(name, f"unknown parameter; use {allowed}", code="UNKNOWN_PARAMETER")
    lists = {field: codes(params, name) for name, field in LISTS.items()}
    for parameter, members in _ENUMS.items():
        for value in lists[LISTS[parameter]] or ():
            if value not in members:
                raise InvalidInput(
                    parameter, f"{value!r} is not one of {', '.join(members)}", code="INVALID"
                )
    if lists["areas"] is not None:
        lists["areas"] = tuple(c.upper() for c in lists["areas"])
    return ExportFilter(
        **lists,
        observed=declared_values(params, OBSERVATION),
        declared=declared_values(params, DATASET),
        period_from=period(params, "periodFrom"),
        period_to=period(params, "periodTo"),
        updated_since=instant(params, "updatedSince"),
        washington_group=boolean(params, "washingtonGroup"),
        labels=language(params, "labels"),
        as_of=instant(params, "asOf"),
    )


def declared_values(params: Params, entity: Entity) -> Given:
    """The values given to the entity's declared filters, by query parameter, each checked
    by its field (an ``InvalidInput`` naming the parameter)."""
    found = []
    for f in entity.filters:
        name = f.filter.parameter if f.filter else None
        values = codes(params, name) if name is not None else None
        if name is not None and values is not None:
            found.append((name, tuple(f.checked(v, name) for v in values)))
    return tuple(found)


# The languages of the seeded SDG translations (besides English).
LANGUAGES = ("en", "fr", "es", "ne", "sw")


def language(params: Params, name: str) -> str | None:
    value = single(params, name)
    if value is None:
        return None
    if value.lower() not in LANGUAGES:
        raise InvalidInput(name, f"{value!r} is not one of {', '.join(LANGUAGES)}", code="INVALID")
    return value.lower()


def boolean(params: Params, name: str) -> bool | None:
    value = single(params, name)
    if value is None:
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise InvalidInput(name, f"{value!r} is not true or false", code="INVALID")


def codes(params: Params, name: str) -> tuple[str, ...] | None:
    """Repeated and comma-separated values of ``name``, in order, without duplicates."""
    if name not in params:
        return None
    values: list[str] = []
    for raw in params[name]:
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    if not values:
        raise InvalidInput(name, "give at least one value", code="EMPTY")
    if len(values) > MAX_VALUES:
        raise InvalidInput(name, f"at most {MAX_VALUES} values", code="TOO_LARGE")
    return tuple(dict.fromkeys(values))


def single(params: Params, name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidInput(name, "give this parameter once", code="REPEATED")
    return values[0].strip()


def period(params: Params, name: str) -> str | None:
    """An SDMX period (2019, 2019-Q2, 2019-03...), checked."""
    value = single(params, name)
    if value is None:
        return None
    try:
        period_bounds(value)
    except InvalidInput:
        raise InvalidInput(
            name, f"{value!r} is not a valid period; use {ACCEPTED_FORMS}", code="INVALID_PERIOD"
        ) from None
    return value


def instant(params: Params, name: str) -> datetime | None:
    """An ISO 8601 date-time; without an offset it is taken as UTC."""
    value = single(params, name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        raise InvalidInput(
            name,
            f"{value!r} is not an ISO 8601 date-time such as 2024-05-01T00:00:00Z",
            code="INVALID_DATETIME",
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def dataset_key(value: str) -> int | str:
    """A dataset's primary key from its global id, or the value itself (a slug)."""
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value
    type_name, _, key = raw.partition(":")
    if type_name != "Dataset" or not (key.isascii() and key.isdigit()):
        return value
    if len(key) > 19 or int(key) > _MAX_KEY:
        raise InvalidInput("dataset", f"{value!r} is not a valid dataset id", code="INVALID_ID")
    return int(key)
