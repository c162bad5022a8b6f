"""GraphQL types of ``indicatorSeries``: time series of one indicator per area and
disaggregation."""

from __future__ import annotations

from typing import Any

import strawberry

from lnob_api.graphql.enums import ObsStatus
from lnob_api.graphql.ids import global_id
from lnob_api.graphql.node import copied

_CODES = "Codes to keep; _T is the total (not disaggregated)."


@strawberry.input(description="Disaggregations to keep; every given one must hold.")
class SeriesDimensionsInput:
    sex: list[str] | None = strawberry.field(default=None, description=_CODES)
    age: list[str] | None = strawberry.field(default=None, description=_CODES)
    disability_status: list[str] | None = strawberry.field(default=None, description=_CODES)
    urbanisation: list[str] | None = strawberry.field(default=None, description=_CODES)
    group: list[str] | None = strawberry.field(default=None, description=_CODES)


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
class Series:
    area_code: str = strawberry.field(description="ISO 3166 code of the area, or a local area's.")
    sex: str = strawberry.field(description="SDMX SEX code; _T for the total.")
    age: str = strawberry.field(description="SDMX AGE code; _T for the total.")
    disability_status: str = strawberry.field(
        description="SDMX DISABILITY_STATUS code; _T for the total."
    )
    urbanisation: str = strawberry.field(description="SDMX URBANISATION code; _T for the total.")
    group: str = strawberry.field(description="Marginalised group code; _T for the total.")
    points: list[SeriesPoint]
