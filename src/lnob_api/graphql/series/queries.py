"""Root field: indicatorSeries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from lnob_api.export import service as export_service
from lnob_api.graphql.context import Info
from lnob_api.graphql.series.types import Series, SeriesDimensionsInput, SeriesPoint


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
            dimensions={
                "sex": dims.sex,
                "age": dims.age,
                "disability_status": dims.disability_status,
                "urbanisation": dims.urbanisation,
                "group": dims.group,
            },
            as_of=as_of,
        )
        return [
            Series(
                area_code=s.key[0],
                sex=s.key[1],
                age=s.key[2],
                disability_status=s.key[3],
                urbanisation=s.key[4],
                group=s.key[5],
                points=[SeriesPoint.from_row(row) for row in s.points],
            )
            for s in found
        ]
