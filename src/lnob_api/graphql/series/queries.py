"""Root field: indicatorSeries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from lnob_api.declare.observation import DIMENSIONS
from lnob_api.export import service as export_service
from lnob_api.graphql.context import Info
from lnob_api.graphql.series.types import KEY, Series, SeriesDimensionsInput, SeriesPoint

# The series' key fields, in the order of the rows' keys (export.repository.SERIES_KEY).
_KEY = tuple(f.name for f in KEY.fields)
# The dimension filters' names (their condition's and SeriesDimensionsInput's field's).
_FILTERS = tuple(f.filter.name for f in DIMENSIONS.fields if f.filter is not None)


@strawberry.type
class SeriesQueries:
    @strawberry.field(
        description="Values of one indicator grouped as time series per area and combination "
        "of SEX, AGE, DISABILITY_STATUS, URBANISATION and GROUP, ordered by area then period. "
        f"Same visibility and suppression as observations; at most "
        f"{export_service.MAX_SERIES} series of {export_service.MAX_POINTS} points."
    )
    async def indicator_series(
        self,
        info: Info,
        indicator: str,
        areas: list[str] | None = None,
        period_from: str | None = None,
        period_to: str | None = None,
        dimensions: SeriesDimensionsInput | None = None,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(
                description="Read the values as they were published at this instant (the "
                "versions current then), under today's permissions and withdrawals."
            ),
        ] = None,
    ) -> list[Series]:
        dims = dimensions or SeriesDimensionsInput()
        found = await export_service.indicator_series(
            info.context.db,
            info.context.principal,
            indicator=indicator.strip(),
            areas=areas,
            period_from=period_from,
            period_to=period_to,
            dimensions={name: getattr(dims, name) for name in _FILTERS},
            as_of=as_of,
        )
        return [
            Series(
                **dict(zip(_KEY, s.key, strict=True)),
                points=[SeriesPoint.from_row(row) for row in s.points],
            )
            for s in found
        ]
