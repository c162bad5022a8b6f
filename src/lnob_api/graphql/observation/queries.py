"""Root field: observations."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import root_page
from lnob_api.graphql.observation.types import Observation, ObservationFilter, observation_where
from lnob_api.graphql.pagination import Connection
from lnob_api.observation import repository as observation_repo


@strawberry.type
class ObservationQueries:
    @strawberry.field(
        description="Observations the caller may read, in a stable order; values of small "
        "cells are withheld (suppressed: true) outside the owning coalition."
    )
    async def observations(
        self,
        info: Info,
        filter: ObservationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Observation]:
        where, _ = observation_where(filter)
        return await root_page(
            info,
            observation_repo.OBSERVATIONS,
            Observation,
            where=where,
            first=first,
            after=after,
            last=last,
            before=before,
        )
