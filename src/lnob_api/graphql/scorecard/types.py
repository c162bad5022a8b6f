"""GraphQL types: Scorecard, its criteria, rounds of scores (side by side) and action plan."""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry

from lnob_api.declare.statistics import (
    SCORECARD,
    SCORECARD_ACTION,
    SCORECARD_CRITERION,
    SCORECARD_ROUND,
    SCORECARD_SCORE,
)
from lnob_api.graphql import links
from lnob_api.graphql.declared import Declared, declared, declared_node
from lnob_api.graphql.linked import to_many, to_one
from lnob_api.graphql.node import Node, copied
from lnob_api.models.evidence import ActionStatus
from lnob_api.scorecard import repository as scorecard_repo

strawberry.enum(ActionStatus, description="Where an action of a joint action plan stands.")


@declared_node(scorecard_repo.SCORECARDS, SCORECARD)
class Scorecard(Node):
    coalition = links.coalition(required=True)

    project = links.project(description="The project it belongs to, if visible.")

    dataset = links.dataset(description="The dataset it feeds, if visible.")

    area = links.area(description="The community, as an area.")

    facilitator = links.organisation(
        "facilitator_organisation_id", description="The organisation that facilitated the exercise."
    )

    criteria = to_many(
        scorecard_repo.CRITERIA_BY_SCORECARD,
        "ScorecardCriterion",
        description="The criteria scored, in their order.",
    )

    rounds = to_many(
        scorecard_repo.ROUNDS_BY_SCORECARD,
        "ScorecardRound",
        description="Rounds of scoring over time, ordered by period.",
    )

    actions = to_many(
        scorecard_repo.ACTIONS_BY_SCORECARD,
        "ScorecardAction",
        description="The joint action plan, in the order actions were added.",
    )


@declared_node(scorecard_repo.CRITERIA, SCORECARD_CRITERION)
class ScorecardCriterion(Node):
    target = links.target(required=True)

    indicator = links.indicator(description="The indicator it speaks to, when one was named.")

    scores = to_many(
        scorecard_repo.SCORES_BY_CRITERION,
        "ScorecardScore",
        description="This criterion's scores over time, ordered by period.",
    )


@declared_node(scorecard_repo.ROUNDS, SCORECARD_ROUND)
class ScorecardRound(Node):
    scores = to_many(
        scorecard_repo.SCORES_BY_ROUND,
        "ScorecardScore",
        description="Every criterion's scores side by side, in criterion order.",
    )


@strawberry.type(description=SCORECARD_SCORE.description)
@declared(SCORECARD_SCORE)
class ScorecardScore:
    round_id: strawberry.Private[int]
    criterion_id: strawberry.Private[int]
    period: str = strawberry.field(description="The round's SDMX period.")
    # The declared score columns (declare.statistics.SCORECARD_SCORE): communityScore ... note.
    declared: ClassVar[Declared]

    @classmethod
    def from_row(cls, row: Any) -> ScorecardScore:
        return copied(cls, row)

    @strawberry.field(description="Community score minus provider score; null if one is missing.")
    def gap(self) -> float | None:
        community: float | None = getattr(self, "community_score")  # noqa: B009 - declared
        provider: float | None = getattr(self, "provider_score")  # noqa: B009 - declared
        if community is None or provider is None:
            return None
        return community - provider

    criterion = to_one(
        scorecard_repo.CRITERION_BY_ID, "criterion_id", ScorecardCriterion, required=True
    )

    scoring_round = to_one(
        scorecard_repo.ROUND_BY_ID, "round_id", ScorecardRound, required=True, name="round"
    )


@declared_node(scorecard_repo.ACTIONS, SCORECARD_ACTION)
class ScorecardAction(Node):
    owner_organisation = links.organisation(
        "owner_organisation_id",
        description="The organisation that carries it out, when one was named.",
    )

    criterion = to_one(
        scorecard_repo.CRITERION_BY_ID,
        "criterion_id",
        ScorecardCriterion,
        description="The criterion it addresses, if any.",
    )

    scorecard = to_one(scorecard_repo.SCORECARD_BY_ID, "scorecard_id", Scorecard, required=True)
