"""GraphQL type: Project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import PROJECT
from lnob_api.graphql.connections import connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import declared
from lnob_api.graphql.loading import load_list, load_one
from lnob_api.graphql.node import Node, entity
from lnob_api.project import repository as project_repo

if TYPE_CHECKING:
    from lnob_api.graphql.coalition.types import Coalition, MarginalisedGroup
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.sdg.types import SdgTarget

_Coalition = Annotated["Coalition", strawberry.lazy("lnob_api.graphql.coalition.types")]
_Group = Annotated["MarginalisedGroup", strawberry.lazy("lnob_api.graphql.coalition.types")]
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]
_Target = Annotated["SdgTarget", strawberry.lazy("lnob_api.graphql.sdg.types")]


@entity(project_repo.PROJECTS)
@strawberry.type(
    description="A coalition's data project (e.g. the Making Voices Heard and Count pilot)."
)
@declared(PROJECT)
class Project(Node):
    """The columns come from ``declare.entities.PROJECT``; the rest is written here."""

    pk: strawberry.Private[int]
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not a GraphQL field)
        coalition_id: int

    @strawberry.field
    async def coalition(self, info: Info) -> _Coalition:
        from lnob_api.graphql.coalition.types import Coalition

        found = await load_one(info, coalition_repo.COALITION_BY_ID, self.coalition_id, Coalition)
        assert found is not None
        return found

    @strawberry.field(description="SDG targets the project addresses.")
    async def targets(self, info: Info) -> list[_Target]:
        from lnob_api.graphql.sdg.types import SdgTarget
        from lnob_api.sdg import repository as sdg_repo

        return await load_list(info, sdg_repo.TARGETS_BY_PROJECT, self.pk, SdgTarget)

    @strawberry.field(description="Marginalised groups the project is concerned with.")
    async def groups(self, info: Info) -> list[_Group]:
        from lnob_api.graphql.coalition.types import MarginalisedGroup

        return await load_list(info, coalition_repo.GROUPS_BY_PROJECT, self.pk, MarginalisedGroup)

    datasets = connection(
        dataset_repo.DATASETS_BY_PROJECT, _Dataset, description="Datasets produced by the project."
    )
