"""Root fields: scorecards, scorecard."""

from __future__ import annotations

import strawberry

from lnob_api.declare.statistics import SCORECARD
from lnob_api.graphql.connections import connection, filtered
from lnob_api.graphql.declared import filters
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.lookups import by_id
from lnob_api.graphql.scorecard.types import Scorecard
from lnob_api.scorecard import repository as scorecard_repo


@strawberry.input(description="Conditions on scorecards; all given ones must hold.")
@filters(SCORECARD)  # then the declared ones (declare.statistics)
class ScorecardFilter:
    coalition: str | None = strawberry.field(
        default=None, description="Country code of the owning coalition."
    )
    area: str | None = strawberry.field(
        default=None, description="Area code; areas below it match too (KE includes KE-30)."
    )
    target: str | None = strawberry.field(
        default=None, description="SDG target code one of the criteria is linked to."
    )
    service: str | None = strawberry.field(
        default=None, description="Words the service assessed contains (any case)."
    )
    period_from: str | None = strawberry.field(
        default=None, description="Keep scorecards starting on or after this SDMX period's start."
    )
    period_to: str | None = strawberry.field(
        default=None, description="Keep scorecards ending on or before this SDMX period's end."
    )
    project: strawberry.ID | None = None
    dataset: strawberry.ID | None = None


_scorecards = filtered(
    scorecard_repo.filters,
    ScorecardFilter,
    lambda f: {
        "project_id": pk_of(f.project, "Project", "filter.project") if f.project else None,
        "dataset_id": pk_of(f.dataset, "Dataset", "filter.dataset") if f.dataset else None,
    },
)


@strawberry.type
class ScorecardQueries:
    scorecards = connection(
        scorecard_repo.SCORECARDS,
        Scorecard,
        select=_scorecards,
        description="Community scorecards the caller may see.",
    )

    scorecard = by_id(
        scorecard_repo.SCORECARD_BY_ID,
        Scorecard,
        description="One scorecard by id; null when missing or not visible.",
    )
