"""Root fields: recommendations, recommendation."""

from __future__ import annotations

import strawberry

from lnob_api.declare.statistics import RECOMMENDATION
from lnob_api.graphql.connections import connection, filtered
from lnob_api.graphql.declared import filters
from lnob_api.graphql.lookups import by_id
from lnob_api.graphql.recommendation.types import Recommendation
from lnob_api.models.evidence import RecommendationStatus
from lnob_api.recommendation import repository as recommendation_repo


@strawberry.input(description="Conditions on recommendations; all given ones must hold.")
@filters(RECOMMENDATION)  # then the declared ones (declare.statistics)
class RecommendationFilter:
    coalition: str | None = strawberry.field(
        default=None, description="Country code of the owning coalition."
    )
    status: RecommendationStatus | None = strawberry.field(
        default=None, description="The latest status."
    )
    target: str | None = strawberry.field(default=None, description="An SDG target it addresses.")
    authority: str | None = strawberry.field(
        default=None, description="Words the authority's name contains (any case)."
    )


_recommendations = filtered(recommendation_repo.filters, RecommendationFilter)


@strawberry.type
class RecommendationQueries:
    recommendations = connection(
        recommendation_repo.RECOMMENDATIONS,
        Recommendation,
        select=_recommendations,
        description="Recommendations to authorities that the caller may see.",
    )

    recommendation = by_id(
        recommendation_repo.RECOMMENDATION_BY_ID,
        Recommendation,
        description="One recommendation by id; null when missing or not visible.",
    )
