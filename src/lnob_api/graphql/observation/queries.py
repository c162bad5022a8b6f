"""Root field: observations."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.connections import connection
from lnob_api.graphql.observation.types import Observation, observation_slice
from lnob_api.observation import repository as observation_repo


@strawberry.type
class ObservationQueries:
    observations = connection(
        observation_repo.OBSERVATIONS,
        Observation,
        select=observation_slice,
        description="Observations the caller may read, in a stable order; values of small "
        "cells are withheld (suppressed: true) outside the owning coalition.",
    )
