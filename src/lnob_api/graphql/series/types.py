"""GraphQL types of ``indicatorSeries``: time series of one indicator per area and
disaggregation."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import strawberry

from lnob_api.declare.observation import DIMENSIONS, OBSERVATION
from lnob_api.graphql.declared import Declared, declared, filters
from lnob_api.graphql.enums import ObsStatus
from lnob_api.graphql.ids import global_id
from lnob_api.graphql.node import copied

# A series' key: the area and the disaggregations, as the observation declares them.
KEY = dataclasses.replace(DIMENSIONS, fields=(OBSERVATION.field("area_code"), *DIMENSIONS.fields))


@strawberry.input(description="Disaggregations to keep; every given one must hold.")
@filters(DIMENSIONS)  # the observation's declared filters of them: sex ... group
class SeriesDimensionsInput:
    pass


@strawberry.type(description="One value of a series.")
class SeriesPoint:
    period: str = strawberry.field(description="SDMX time period: 2019, 2019-Q2, 2019-03...")
    value: float | None = strawberry.field(
        description="The value; null when missing or withheld by small-cell suppression."
    )
    suppressed: bool = strawberry.field(
        description="True when the value is withheld because the sample is too small."
    )
    perturbed: bool = strawberry.field(
        description="True when the value is perturbed (the owning coalition rounds or adds"
        " cell-key noise to the counts outsiders read), as Observation.perturbed."
    )
    obs_status: ObsStatus
    sample_size: int | None
    dataset_id: strawberry.ID = strawberry.field(description="Global id of the dataset.")

    @classmethod
    def from_row(cls, row: Any) -> SeriesPoint:
        return copied(
            cls,
            row,
            obs_status=ObsStatus(row["obs_status"]),
            dataset_id=global_id("Dataset", row["dataset_id"]),
        )


@strawberry.type(
    description="Values of one indicator for one area and one combination of disaggregations, "
    "in period order."
)
@declared(KEY)
class Series:
    # Its key's fields (``KEY``: areaCode, sex ... group).
    declared: ClassVar[Declared]
    points: list[SeriesPoint]
