"""GraphQL types of the SDG framework: SdgGoal, SdgTarget, Indicator (global or custom)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import INDICATOR, SDG_GOAL, SDG_TARGET
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import declared
from lnob_api.graphql.loading import load_list, load_one
from lnob_api.graphql.node import Node, entity
from lnob_api.observation import repository as observation_repo
from lnob_api.project import repository as project_repo
from lnob_api.sdg import repository as sdg_repo

if TYPE_CHECKING:
    from lnob_api.graphql.coalition.types import Coalition
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.observation.types import Observation, ObservationFilter
    from lnob_api.graphql.project.types import Project
    from lnob_api.graphql.publication.types import Publication

_Coalition = Annotated["Coalition", strawberry.lazy("lnob_api.graphql.coalition.types")]
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]
_Observation = Annotated["Observation", strawberry.lazy("lnob_api.graphql.observation.types")]
_ObservationFilter = Annotated[
    "ObservationFilter", strawberry.lazy("lnob_api.graphql.observation.types")
]
_Project = Annotated["Project", strawberry.lazy("lnob_api.graphql.project.types")]
_Publication = Annotated["Publication", strawberry.lazy("lnob_api.graphql.publication.types")]


def _observations(filter: _ObservationFilter | None = None) -> Slice:
    from lnob_api.graphql.observation.types import observation_slice

    return observation_slice(filter)


@entity(sdg_repo.GOALS, parse_key=int)
@strawberry.type(description="One of the 17 Sustainable Development Goals.")
@declared(SDG_GOAL)
class SdgGoal(Node):
    """The columns come from ``declare.entities.SDG_GOAL``; the rest is written here."""

    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not a GraphQL field)
        code: int

    @strawberry.field(description="The goal's targets, in code order.")
    async def targets(self, info: Info) -> list[SdgTarget]:
        return await load_list(info, sdg_repo.TARGETS_BY_GOAL, self.code, SdgTarget)


@entity(sdg_repo.TARGETS, parse_key=str)
@strawberry.type(description="One of the 169 SDG targets, such as 10.2.")
@declared(SDG_TARGET)
class SdgTarget(Node):
    """The columns come from ``declare.entities.SDG_TARGET``; the rest is written here."""

    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not GraphQL fields)
        code: str
        goal_code: int

    @strawberry.field
    async def goal(self, info: Info) -> SdgGoal:
        found = await load_one(info, sdg_repo.GOAL_BY_CODE, self.goal_code, SdgGoal)
        assert found is not None
        return found

    @strawberry.field(description="Indicators under this target, global and custom, in code order.")
    async def indicators(self, info: Info) -> list[Indicator]:
        return await load_list(info, sdg_repo.INDICATORS_BY_TARGET, self.code, Indicator)

    projects = connection(
        project_repo.PROJECTS_BY_TARGET,
        _Project,
        parent_key="code",
        description="Projects addressing this target.",
    )

    @strawberry.field(description="Publications addressing this target (those the caller may see).")
    async def publications(self, info: Info) -> list[_Publication]:
        from lnob_api.graphql.publication.types import Publication
        from lnob_api.publication import repository as publication_repo

        return await load_list(
            info, publication_repo.PUBLICATIONS_BY_TARGET, self.code, Publication
        )


@entity(sdg_repo.INDICATORS)
@strawberry.type(
    description="A global SDG indicator (1.1.1) or a coalition's custom one (KE-C-0001)."
)
@declared(INDICATOR)
class Indicator(Node):
    """The columns come from ``declare.entities.INDICATOR``; the rest is written here."""

    pk: strawberry.Private[int]
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not GraphQL fields)
        target_code: str
        coalition_id: int | None

    @strawberry.field(description="True for a coalition's community-defined indicator.")
    def is_custom(self) -> bool:
        return self.coalition_id is not None

    @strawberry.field
    async def target(self, info: Info) -> SdgTarget:
        found = await load_one(info, sdg_repo.TARGET_BY_CODE, self.target_code, SdgTarget)
        assert found is not None
        return found

    @strawberry.field(
        description="The coalition that defined a custom indicator; null for global ones."
    )
    async def coalition(self, info: Info) -> _Coalition | None:
        from lnob_api.graphql.coalition.types import Coalition

        return await load_one(info, coalition_repo.COALITION_BY_ID, self.coalition_id, Coalition)

    datasets = connection(
        dataset_repo.DATASETS_BY_INDICATOR,
        _Dataset,
        description="Datasets covering this indicator.",
    )

    observations = connection(
        observation_repo.OBSERVATIONS_BY_INDICATOR,
        _Observation,
        select=_observations,
        description="Observations of this indicator the caller may read, by id.",
    )
