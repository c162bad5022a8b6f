"""GraphQL types: Recommendation, its responses and its status history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from lnob_api.declare.more import RECOMMENDATION_STATUS_CHANGE
from lnob_api.declare.statistics import RECOMMENDATION, RECOMMENDATION_RESPONSE
from lnob_api.graphql import links
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.lazy import SdgTarget as _Target
from lnob_api.graphql.linked import to_many, to_one
from lnob_api.graphql.node import Node
from lnob_api.models.evidence import AuthorityLevel, RecommendationStatus
from lnob_api.recommendation import repository as recommendation_repo

strawberry.enum(AuthorityLevel, description="The level of government an authority belongs to.")
strawberry.enum(
    RecommendationStatus, description="What has become of a recommendation to an authority."
)

_RECORDED_BY = (
    "Who recorded it (a user's or client's name); shown to members of the owning coalition "
    "only, null to others."
)


@strawberry.type(description="The authority a recommendation is addressed to.")
class Authority:
    name: str
    level: AuthorityLevel
    organisation_id: strawberry.Private[int | None]

    organisation = links.organisation(
        description="The authority as an organisation, when it is one."
    )


@declared_node(recommendation_repo.RECOMMENDATIONS, RECOMMENDATION)
class Recommendation(Node):
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not GraphQL fields)
        pk: int
        authority_name: str
        authority_level: AuthorityLevel
        authority_organisation_id: int | None

    @strawberry.field
    def authority(self) -> Authority:
        return Authority(
            name=self.authority_name,
            level=self.authority_level,
            organisation_id=self.authority_organisation_id,
        )

    coalition = links.coalition(required=True)

    publication = links.publication(description="The publication it comes from, if visible.")

    dataset = links.dataset(description="The dataset it comes from, if visible.")

    targets = to_many(
        recommendation_repo.TARGETS_BY_RECOMMENDATION,
        _Target,
        description="SDG targets it addresses.",
    )

    responses = to_many(
        recommendation_repo.RESPONSES_BY_RECOMMENDATION,
        "RecommendationResponse",
        description="The authority's responses, oldest first.",
    )

    status_history = to_many(
        recommendation_repo.STATUS_HISTORY_BY_RECOMMENDATION,
        "RecommendationStatusChange",
        description="Every status it has had, oldest first (the first is OPEN).",
    )


@declared_node(recommendation_repo.RESPONSES, RECOMMENDATION_RESPONSE)
class RecommendationResponse(Node):
    recorded_by: str | None = strawberry.field(description=_RECORDED_BY)
    created_at: datetime

    responder_organisation = links.organisation(
        "responder_organisation_id",
        description="The responder as an organisation, when one was named.",
    )


@declared_node(recommendation_repo.STATUS_CHANGES, RECOMMENDATION_STATUS_CHANGE)
class RecommendationStatusChange(Node):
    recorded_by: str | None = strawberry.field(description=_RECORDED_BY)
    recorded_at: datetime = strawberry.field(description="When the change was recorded.")

    response = to_one(
        recommendation_repo.RESPONSE_BY_ID,
        "response_id",
        RecommendationResponse,
        description="The response that brought this change, if any.",
    )
