"""The declared statistics entities: scorecards (with their criteria, rounds and action plan)
and recommendations (with their responses), one line per column (see ``declare``).

Their GraphQL object fields come from here (``graphql.declared.declared``); the non-column
fields (suppression flags, renamed fields such as ``responder``, links) and the resolvers stay
written in the types. Observations, official values and uploads are read through sources that
compute columns (suppression, codes of the indicator or target), so they are not declared yet.
"""

from __future__ import annotations

from lnob_api import models
from lnob_api.declare import Edit, Entity, Field

ROW_VERSION = "Changes on every edit; send it back with an update (optimistic locking)."
PERIOD = "SDMX period the scorecard covers (2019, 2019-Q2...)."


def _private(*names: str, editable: bool = False) -> tuple[Field, ...]:
    """Columns the resolvers read (ids of linked rows), not shown on the GraphQL object
    (``editable``: set by the create and update mutations, as links)."""
    return tuple(Field(name, public=False, editable=editable) for name in names)


SCORECARD = Entity(
    "Scorecard",
    models.Scorecard,
    (
        *_private("coalition_id"),
        # Links, set by the mutations by the names of their inputs (hand-written, as links).
        Field("project_id", public=False, editable=Edit(name="project")),
        Field("dataset_id", public=False, editable=Edit(name="dataset")),
        Field("facilitator_organisation_id", public=False, editable=Edit(name="facilitator")),
        Field("title", editable=Edit(limit=300)),
        Field("description", editable=True),
        Field(
            "service",
            'The service assessed, e.g. "primary health centre".',
            editable=Edit(limit=200),
        ),
        Field(
            "area_code",
            "The community: an area code, often a local area.",
            editable=Edit(name="area"),
        ),
        Field("period", PERIOD, editable=True),
        Field("period_start", editable=True),
        Field("period_end", editable=True),
        Field("scale_min", "Lowest score of the scale (e.g. 1 or 0).", editable=True),
        Field("scale_max", "Highest score of the scale (e.g. 5 or 100).", editable=True),
        Field("visibility"),
        Field("row_version", ROW_VERSION),
        Field("created_at"),
        Field("updated_at"),
    ),
    description="A community scorecard: how the community (right-holders) and the providers or "
    "officials of a service (duty-bearers) score coalition-defined criteria, round after round, "
    "the score they agree in their joint meeting, and their joint action plan. Scores are group "
    "judgements, so no small-cell suppression applies; the scorecard's visibility does.",
)

SCORECARD_CRITERION = Entity(
    "ScorecardCriterion",
    models.ScorecardCriterion,
    (
        *_private("scorecard_id", "indicator_id"),
        Field("position", "Its place in the scorecard, from 1."),
        Field("label"),
        Field("description"),
        Field("target_code", "The SDG target it is linked to."),
    ),
    description="A coalition-defined criterion of a scorecard, linked to an SDG target.",
)

SCORECARD_ROUND = Entity(
    "ScorecardRound",
    models.ScorecardRound,
    (
        *_private("scorecard_id"),
        Field("period", "SDMX period of the round."),
        Field("period_start"),
        Field("period_end"),
        Field("held_on", "When the joint meeting took place."),
        Field("note"),
    ),
    description="One round of scoring of a scorecard, for a period.",
)

SCORECARD_ACTION = Entity(
    "ScorecardAction",
    models.ScorecardAction,
    (
        *_private("scorecard_id", "criterion_id", "owner_organisation_id"),
        Field("text"),
        Field("owner_name", "Who carries it out, in words ('' if none)."),
        Field("due_on"),
        Field("status"),
        Field("row_version", ROW_VERSION),
        Field("created_at"),
        Field("updated_at"),
    ),
    description="An action of a scorecard's joint action plan.",
)

RECOMMENDATION = Entity(
    "Recommendation",
    models.Recommendation,
    (
        *_private("coalition_id"),
        # Links and the authority (``authority { name level organisation }`` in the inputs,
        # written by hand).
        *_private("publication_id", "dataset_id", editable=True),
        Field("authority_name", public=False, editable=Edit(limit=300)),
        *_private("authority_level", "authority_organisation_id", editable=True),
        Field("text", editable=Edit(limit=10_000)),
        Field("issued_on", "When it was put to the authority.", editable=True),
        Field("status", "The latest status."),
        Field("visibility"),
        Field(
            "row_version",
            "Changes on every edit and status change; send it back with an update.",
        ),
        Field("created_at"),
        Field("updated_at"),
    ),
    description="A recommendation drawn from a publication and/or dataset, addressed to an "
    "authority, with the authority's responses and the history of its status.",
)

# The columns before the renamed ``responder`` (written in the type, with what follows it).
RECOMMENDATION_RESPONSE = Entity(
    "RecommendationResponse",
    models.RecommendationResponse,
    (
        *_private("recommendation_id", "responder_organisation_id"),
        Field("responded_on"),
        Field("text"),
        Field("commitment", "What the authority committed to ('' if none)."),
    ),
    description="An authority's response to a recommendation.",
)

# The score columns: the type writes the ids the links read and ``period`` (the round's, a
# join, before them), then these at its ``Declared`` marker, then ``gap`` and the links.
SCORECARD_SCORE = Entity(
    "ScorecardScore",
    models.ScorecardScore,
    (
        Field("community_score", "The community's (right-holders') score."),
        Field("provider_score", "The service providers' or officials' (duty-bearers') score."),
        Field("agreed_score", "The score agreed in their joint meeting."),
        Field("note"),
    ),
    description="One criterion's three scores in one round, side by side.",
)

ENTITIES = (
    SCORECARD,
    SCORECARD_CRITERION,
    SCORECARD_ROUND,
    SCORECARD_ACTION,
    RECOMMENDATION,
    RECOMMENDATION_RESPONSE,
    SCORECARD_SCORE,
)
