"""GraphQL type: Publication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import PUBLICATION
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import declared
from lnob_api.graphql.loading import load_list, load_one
from lnob_api.graphql.node import Node, entity
from lnob_api.publication import repository as publication_repo
from lnob_api.sdg import repository as sdg_repo

if TYPE_CHECKING:
    from lnob_api.graphql.coalition.types import Coalition
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.recommendation.types import Recommendation
    from lnob_api.graphql.sdg.types import SdgTarget

_Coalition = Annotated["Coalition", strawberry.lazy("lnob_api.graphql.coalition.types")]
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]
_Target = Annotated["SdgTarget", strawberry.lazy("lnob_api.graphql.sdg.types")]
_Recommendation = Annotated[
    "Recommendation", strawberry.lazy("lnob_api.graphql.recommendation.types")
]


@entity(publication_repo.PUBLICATIONS)
@strawberry.type(description="A flyer, country summary, recommendations, policy brief or report.")
@declared(PUBLICATION)
class Publication(Node):
    """The columns come from ``declare.entities.PUBLICATION``; the rest is written here."""

    pk: strawberry.Private[int]
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not a GraphQL field)
        coalition_id: int | None

    @strawberry.field(description="The coalition that owns it; null for the partnership's own.")
    async def owner(self, info: Info) -> _Coalition | None:
        from lnob_api.graphql.coalition.types import Coalition

        return await load_one(info, coalition_repo.COALITION_BY_ID, self.coalition_id, Coalition)

    @strawberry.field(description="The coalitions the publication is about, by country code.")
    async def coalitions(self, info: Info) -> list[_Coalition]:
        from lnob_api.graphql.coalition.types import Coalition

        return await load_list(info, publication_repo.COALITIONS_BY_PUBLICATION, self.pk, Coalition)

    @strawberry.field(description="SDG targets the publication addresses.")
    async def targets(self, info: Info) -> list[_Target]:
        from lnob_api.graphql.sdg.types import SdgTarget

        return await load_list(info, sdg_repo.TARGETS_BY_PUBLICATION, self.pk, SdgTarget)

    @strawberry.field(description="Datasets the publication draws on (those the caller may see).")
    async def datasets(self, info: Info) -> list[_Dataset]:
        from lnob_api.graphql.dataset.types import Dataset

        return await load_list(info, dataset_repo.DATASETS_BY_PUBLICATION, self.pk, Dataset)

    @strawberry.field(
        description="Recommendations to authorities drawn from this publication (those the "
        "caller may see)."
    )
    async def recommendations(self, info: Info) -> list[_Recommendation]:
        from lnob_api.graphql.recommendation.types import Recommendation
        from lnob_api.recommendation import repository as recommendation_repo

        return await load_list(
            info, recommendation_repo.RECOMMENDATIONS_BY_PUBLICATION, self.pk, Recommendation
        )
