"""GraphQL types: OfficialValue (public reference data) and ComparisonRow."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, ClassVar

import strawberry

from lnob_api.declare.official import OFFICIAL_VALUE
from lnob_api.graphql import links
from lnob_api.graphql.declared import Declared, declared, declared_node
from lnob_api.graphql.lazy import Observation as _Observation
from lnob_api.graphql.linked import to_one
from lnob_api.graphql.node import Node, copied
from lnob_api.models.observation import DIMENSION_COLUMNS
from lnob_api.observation import repository as observation_repo
from lnob_api.official import repository as official_repo

# An official value's disaggregations, which a comparison row shows too.
DIMENSIONS = dataclasses.replace(
    OFFICIAL_VALUE, fields=tuple(f for f in OFFICIAL_VALUE.fields if f.name in DIMENSION_COLUMNS)
)


@declared_node(official_repo.OFFICIAL_VALUES, OFFICIAL_VALUE)
class OfficialValue(Node):
    indicator_code: str = strawberry.field(description="The indicator's or target's code.")
    declared: ClassVar[Declared]

    area = links.area(required=True)


@strawberry.type(
    description="A community value and an official value for the same indicator, area, period "
    "and dimensions, side by side. Either side may be missing."
)
@declared(DIMENSIONS)
class ComparisonRow:
    area_code: str
    period: str
    # The dimensions, as OfficialValue declares them (declare.official): sex ... group.
    declared: ClassVar[Declared]
    community_value: float | None = strawberry.field(
        description="The community value; null when there is none you may read, or when it is "
        "withheld by small-cell suppression."
    )
    suppressed: bool = strawberry.field(
        description="True when the community value is withheld because its sample is too small."
    )
    community_unit: str | None
    official_value: float | None
    official_unit: str | None
    official_source: str | None = strawberry.field(description="The official value's source.")
    official_source_url: str | None
    official_retrieved_on: date | None
    gap: float | None = strawberry.field(
        description="Community value minus official value; null when either is missing or "
        "withheld, or when their units differ."
    )
    observation_id: strawberry.Private[int | None]
    official_value_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Any) -> ComparisonRow:
        return copied(cls, row)

    observation = to_one(
        observation_repo.OBSERVATION_BY_ID,
        "observation_id",
        _Observation,
        description="The community observation (its dataset, sample, status...).",
    )

    official_record = to_one(
        official_repo.OFFICIAL_VALUE_BY_ID,
        "official_value_id",
        OfficialValue,
        name="official",
        description="The official value's record.",
    )

    area = links.area(required=True)
