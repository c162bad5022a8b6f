"""Root field: observations (today, or as of an instant: ``access.history``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from lnob_api.access import history
from lnob_api.errors import InvalidInput
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.observation.types import Observation, ObservationFilter, observation_slice
from lnob_api.observation import repository as observation_repo

AS_OF = (
    "Read the observations as they were published at this instant: each lineage's version "
    "current then, under today's permissions, embargoes, retractions and consent withdrawals "
    "(docs/point-in-time.md)."
)


def _observations(
    filter: ObservationFilter | None = None,
    as_of: Annotated[datetime | None, strawberry.argument(description=AS_OF)] = None,
) -> Slice:
    chosen = observation_slice(filter)
    if as_of is None:
        return chosen
    at = history.check_as_of(as_of, "asOf")
    if filter is not None and filter.updated_since is not None:
        raise InvalidInput(
            "asOf",
            "asOf cannot be combined with filter.updatedSince: an incremental pull follows "
            "today's data; read the instant in full",
            code="INCOMPATIBLE",
        )
    return Slice(
        where=chosen.where,
        where_key=chosen.where_key,
        source=observation_repo.observations_as_of(at),
    )


@strawberry.type
class ObservationQueries:
    observations = connection(
        observation_repo.OBSERVATIONS,
        Observation,
        select=_observations,
        description="Observations the caller may read, in a stable order; values of small "
        "cells are withheld (suppressed: true) outside the owning coalition.",
    )
