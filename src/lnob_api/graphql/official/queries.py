"""Root fields: officialValues, comparison."""

from __future__ import annotations

import strawberry

from lnob_api.declare.official import OFFICIAL_VALUE
from lnob_api.errors import InvalidInput
from lnob_api.graphql.connections import connection, filtered
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import filters
from lnob_api.graphql.official.types import ComparisonRow, OfficialValue
from lnob_api.official import repository as official_repo


@strawberry.input(description="Conditions on official values; all given ones must hold.")
@filters(OFFICIAL_VALUE)  # then the declared ones (declare.official)
class OfficialValueFilter:
    indicator: str | None = strawberry.field(
        default=None, description="Indicator or SDG target code."
    )
    areas: list[str] | None = strawberry.field(
        default=None, description="Area codes, each with every area below it."
    )
    period_from: str | None = strawberry.field(
        default=None, description="Keep periods starting on or after this SDMX period's start."
    )
    period_to: str | None = strawberry.field(
        default=None, description="Keep periods ending on or before this SDMX period's end."
    )
    source: str | None = strawberry.field(default=None, description="The source's exact name.")


_official_values = filtered(official_repo.filters, OfficialValueFilter)


@strawberry.type
class OfficialQueries:
    official_values = connection(
        official_repo.OFFICIAL_VALUES,
        OfficialValue,
        select=_official_values,
        description="Official reference values (public reference data).",
    )

    @strawberry.field(
        description="Community values next to official values for the same indicator (or SDG "
        "target), area, period and dimensions, with the gap (community - official). Community "
        "values are those the caller may read, with small cells withheld as everywhere. Rows "
        "ordered by area, period and dimensions; at most 10,000."
    )
    async def comparison(
        self,
        info: Info,
        indicator: str,
        areas: list[str] | None = None,
        period_from: str | None = None,
        period_to: str | None = None,
    ) -> list[ComparisonRow]:
        ctx = info.context
        measure = await official_repo.measure_of(ctx.db, indicator)
        if measure is None:
            raise InvalidInput(
                "indicator", f"unknown indicator or target {indicator!r}", code="INVALID_CODE"
            )
        rows = await official_repo.comparison(
            ctx.db,
            ctx.principal,
            measure=measure,
            area_codes=areas,
            period_from=period_from,
            period_to=period_to,
        )
        if len(rows) > official_repo.MAX_COMPARISON_ROWS:
            raise InvalidInput(
                "areas",
                f"more than {official_repo.MAX_COMPARISON_ROWS} rows; narrow the areas or periods",
                code="TOO_LARGE",
            )
        return [ComparisonRow.from_row(row) for row in rows]
