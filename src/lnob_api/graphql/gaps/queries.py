"""Root field: disaggregationGaps."""

from __future__ import annotations

from typing import Annotated

import strawberry

from lnob_api.gaps import service
from lnob_api.graphql.context import Info
from lnob_api.graphql.gaps.types import IndicatorDisaggregationGaps


@strawberry.type
class GapQueries:
    @strawberry.field(
        description="The SDG disaggregation gap report: for each coalition and indicator, which"
        " disaggregations (sex, age, disability status, urban/rural, subnational areas, income,"
        " migratory status, race/ethnicity) the SDG framework expects, which the coalition's"
        " data reports and which the country's official reference values report, so that a"
        " statistics office sees where community data fills official gaps. Only data you may"
        " read counts. Rows: every coalition and indicator with data you read; with"
        " `indicators`, every coalition in scope for each of them. Also as CSV:"
        " /exports/disaggregation-gaps.csv."
    )
    async def disaggregation_gaps(
        self,
        info: Info,
        coalitions: Annotated[
            list[str] | None, strawberry.argument(description="Country codes (default: all).")
        ] = None,
        indicators: Annotated[
            list[str] | None, strawberry.argument(description="Indicator codes (default: all).")
        ] = None,
    ) -> list[IndicatorDisaggregationGaps]:
        principal = info.context.principal
        found = await info.context.db.isolated(
            lambda session: service.report(
                session, principal, coalitions=coalitions, indicators=indicators
            )
        )
        return [IndicatorDisaggregationGaps.of(r) for r in found]
