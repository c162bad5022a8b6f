"""GraphQL type: Publication."""

from __future__ import annotations

from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import PUBLICATION
from lnob_api.graphql import links
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.lazy import Coalition as _Coalition
from lnob_api.graphql.lazy import Dataset as _Dataset
from lnob_api.graphql.lazy import Recommendation as _Recommendation
from lnob_api.graphql.lazy import SdgTarget as _Target
from lnob_api.graphql.linked import to_many
from lnob_api.graphql.node import Node
from lnob_api.publication import repository as publication_repo
from lnob_api.recommendation import repository as recommendation_repo
from lnob_api.sdg import repository as sdg_repo


@declared_node(publication_repo.PUBLICATIONS, PUBLICATION)
class Publication(Node):
    owner = links.coalition(
        description="The coalition that owns it; null for the partnership's own."
    )
    coalitions = to_many(
        publication_repo.COALITIONS_BY_PUBLICATION,
        _Coalition,
        description="The coalitions the publication is about, by country code.",
    )
    targets = to_many(
        sdg_repo.TARGETS_BY_PUBLICATION,
        _Target,
        description="SDG targets the publication addresses.",
    )
    datasets = to_many(
        dataset_repo.DATASETS_BY_PUBLICATION,
        _Dataset,
        description="Datasets the publication draws on (those the caller may see).",
    )
    recommendations = to_many(
        recommendation_repo.RECOMMENDATIONS_BY_PUBLICATION,
        _Recommendation,
        description="Recommendations to authorities drawn from this publication (those the "
        "caller may see).",
    )
