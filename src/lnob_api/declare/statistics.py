"""The declared statistics entities: scorecards (with their criteria, rounds and action plan)
and recommendations (with their responses), one line per column (see ``declare``).

Their GraphQL object fields come from here (``graphql.declared.declared``); the non-column
fields (suppression flags, renamed fields such as ``responder``, links) and the resolvers stay
written in the types. So do the create and update inputs of scorecards and recommendations
(``@create_input``/``@update_input``: links as ids, a recommendation's ``authority { name level
organisation }`` as a nested input, ``Edit.within``). Observations, official values and uploads
are read through sources that compute columns (suppression, codes of the indicator or
target), so they are not declared yet.
"""

from __future__ import annotations

from typing import Any

from lnob_api import models
from lnob_api.declare import Edit, Entity, Field, Filter
from lnob_api.models.evidence import ActionStatus

ROW_VERSION = "Changes on every edit; send it back with an update (optimistic locking)."
PERIOD = "SDMX period the scorecard covers (2019, 2019-Q2...)."


def _private(*names: str) -> tuple[Field, ...]:
    """Columns the resolvers read (ids of linked rows), not shown on the GraphQL object."""
    return tuple(Field(name, public=False) for name in names)


SCORECARD = Entity(
    "Scorecard",
    models.Scorecard,
    (
        *_private("coalition_id"),
        Field("project_id", public=False, editable=Edit(name="project", link="Project")),
        Field("dataset_id", public=False, editable=Edit(name="dataset", link="Dataset")),
        Field(
            "facilitator_organisation_id",
            public=False,
            editable=Edit(
                name="facilitator",
                link="Organisation",
                created="The facilitating organisation's id.",
            ),
        ),
        Field("title", editable=Edit(limit=300)),
        Field("description", editable=Edit(default="")),
        Field(
            "service",
            'The service assessed, e.g. "primary health centre".',
            editable=Edit(limit=200, created='The service assessed ("primary health centre").'),
        ),
        Field(
            "area_code",
            "The community: an area code, often a local area.",
            editable=Edit(name="area", created="The community: an area code in the country."),
        ),
        Field("period", PERIOD, editable=Edit(created="SDMX period it covers (2019, 2019-Q2...).")),
        # The period's bounds, from the period (scorecard.service).
        Field("period_start", editable=Edit(given=False)),
        Field("period_end", editable=Edit(given=False)),
        Field(
            "scale_min",
            "Lowest score of the scale (e.g. 1 or 0).",
            editable=Edit(default=1.0, created="Lowest score (default 1)."),
        ),
        Field(
            "scale_max",
            "Highest score of the scale (e.g. 5 or 100).",
            editable=Edit(default=5.0, created="Highest score (default 5)."),
        ),
        Field("visibility"),
        Field("row_version", ROW_VERSION),
        Field("created_at"),
        Field("updated_at"),
    ),
    inputs=(
        "title",
        "service",
        "area_code",
        "period",
        "description",
        "scale_min",
        "scale_max",
        "project_id",
        "dataset_id",
        "facilitator_organisation_id",
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
        Field("label", editable=Edit(limit=300)),
        Field("description", editable=Edit(default="")),
        Field(
            "target_code",
            "The SDG target it is linked to.",
            editable=Edit(name="target", created="SDG target code, e.g. 3.8."),
        ),
    ),
    # Set by ``scorecardCriterionAdd`` (its input: ``@create_input``).
    inputs=("label", "target_code", "description"),
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
        *_private("scorecard_id"),
        Field(
            "criterion_id",
            public=False,
            editable=Edit(
                name="criterion", link="ScorecardCriterion", created="The criterion it addresses."
            ),
        ),
        Field(
            "owner_organisation_id",
            public=False,
            editable=Edit(name="owner_organisation", link="Organisation"),
        ),
        Field("text", editable=Edit(limit=5000)),
        Field(
            "owner_name",
            "Who carries it out, in words ('' if none).",
            editable=Edit(limit=300, default=""),
        ),
        Field("due_on", editable=True),
        Field("status", editable=Edit(default=ActionStatus.OPEN)),
        Field("row_version", ROW_VERSION),
        Field("created_at"),
        Field("updated_at"),
    ),
    # Set by scorecardActionAdd and scorecardActionUpdate (@create_input, @update_input).
    inputs=("text", "owner_name", "owner_organisation_id", "due_on", "status", "criterion_id"),
    description="An action of a scorecard's joint action plan.",
)


def _authority(column: str, name: str, filter: Filter | None = None, **edit: Any) -> Field:
    """A field of the authority a recommendation is addressed to: ``authority { name level
    organisation }`` in the inputs, as a whole."""
    editable = Edit(within="authority", name=name, **edit)
    return Field(column, public=False, editable=editable, filter=filter)


RECOMMENDATION = Entity(
    "Recommendation",
    models.Recommendation,
    (
        *_private("coalition_id"),
        Field(
            "publication_id",
            public=False,
            editable=Edit(
                name="publication",
                link="Publication",
                created="The publication it comes from (give this or dataset).",
            ),
        ),
        Field(
            "dataset_id",
            public=False,
            editable=Edit(
                name="dataset",
                link="Dataset",
                created="The dataset it comes from (give this or publication).",
            ),
        ),
        _authority(
            "authority_name",
            "name",
            limit=300,
            created="e.g. Ministry of Health, Kisumu County Assembly.",
        ),
        # a plain column filter: ``authorityLevel`` of RecommendationFilter
        _authority("authority_level", "level", filter=Filter("authority_level", "equal", "")),
        _authority(
            "authority_organisation_id",
            "organisation",
            link="Organisation",
            created="The authority's organisation id, when it has one here.",
        ),
        Field("text", editable=Edit(limit=10_000)),
        Field(
            "issued_on",
            "When it was put to the authority.",
            editable=Edit(created="When it was put to the authority (also the OPEN date)."),
        ),
        Field("status", "The latest status."),
        Field("visibility"),
        Field(
            "row_version",
            "Changes on every edit and status change; send it back with an update.",
        ),
        Field("created_at"),
        Field("updated_at"),
    ),
    inputs=(
        "text",
        "authority_name",
        "authority_level",
        "authority_organisation_id",
        "publication_id",
        "dataset_id",
        "issued_on",
    ),
    description="A recommendation drawn from a publication and/or dataset, addressed to an "
    "authority, with the authority's responses and the history of its status.",
)

# The columns before ``recordedBy`` (written in the type, with what follows it); set by
# ``recommendationRespond`` (its input: ``@create_input``).
RECOMMENDATION_RESPONSE = Entity(
    "RecommendationResponse",
    models.RecommendationResponse,
    (
        *_private("recommendation_id"),
        Field(
            "responder_organisation_id",
            public=False,
            editable=Edit(name="responder_organisation", link="Organisation"),
        ),
        Field("responded_on", editable=True),
        Field("text", editable=Edit(limit=10_000)),
        Field(
            "commitment",
            "What the authority committed to ('' if none).",
            editable=Edit(default="", created="What they committed to."),
        ),
        Field(
            "responder_name",
            "Who responded, e.g. the county health department.",
            editable=Edit(limit=300, name="responder", created="Who responded, in words."),
            shown_as="responder",
        ),
    ),
    inputs=("responded_on", "text", "responder_name", "commitment", "responder_organisation_id"),
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
