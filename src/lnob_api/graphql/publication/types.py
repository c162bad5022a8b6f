"""GraphQL type: Publication."""

from __future__ import annotations

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import PUBLICATION
from lnob_api.graphql.declared import declared, many, one
from lnob_api.graphql.node import Node, entity
from lnob_api.publication import repository as publication_repo
from lnob_api.recommendation import repository as recommendation_repo
from lnob_api.sdg import repository as sdg_repo

_COALITIONS = "lnob_api.graphql.coalition.types"


@entity(publication_repo.PUBLICATIONS)
@strawberry.type(description="A flyer, country summary, recommendations, policy brief or report.")
@declared(PUBLICATION)
class Publication(Node):
    """The columns come from ``declare.entities.PUBLICATION``; the rest is written here."""

    pk: strawberry.Private[int]

    owner = one(
        coalition_repo.COALITION_BY_ID,
        "coalition_id",
        "Coalition",
        _COALITIONS,
        description="The coalition that owns it; null for the partnership's own.",
    )
    coalitions = many(
        publication_repo.COALITIONS_BY_PUBLICATION,
        "Coalition",
        _COALITIONS,
        description="The coalitions the publication is about, by country code.",
    )
    targets = many(
        sdg_repo.TARGETS_BY_PUBLICATION,
        "SdgTarget",
        "lnob_api.graphql.sdg.types",
        description="SDG targets the publication addresses.",
    )
    datasets = many(
        dataset_repo.DATASETS_BY_PUBLICATION,
        "Dataset",
        "lnob_api.graphql.dataset.types",
        description="Datasets the publication draws on (those the caller may see).",
    )
    recommendations = many(
        recommendation_repo.RECOMMENDATIONS_BY_PUBLICATION,
        "Recommendation",
        "lnob_api.graphql.recommendation.types",
        description="Recommendations to authorities drawn from this publication (those the "
        "caller may see).",
    )
