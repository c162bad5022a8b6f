"""GraphQL types of the SDG framework: SdgGoal, SdgTarget, Indicator (global or custom)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import INDICATOR, SDG_GOAL, SDG_TARGET
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.declared import declared, many, one
from lnob_api.graphql.node import Node, entity
from lnob_api.observation import repository as observation_repo
from lnob_api.project import repository as project_repo
from lnob_api.publication import repository as publication_repo
from lnob_api.sdg import repository as sdg_repo

if TYPE_CHECKING:
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.observation.types import Observation, ObservationFilter
    from lnob_api.graphql.project.types import Project

_SDG = "lnob_api.graphql.sdg.types"
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]
_Observation = Annotated["Observation", strawberry.lazy("lnob_api.graphql.observation.types")]
_ObservationFilter = Annotated[
    "ObservationFilter", strawberry.lazy("lnob_api.graphql.observation.types")
]
_Project = Annotated["Project", strawberry.lazy("lnob_api.graphql.project.types")]


def _observations(filter: _ObservationFilter | None = None) -> Slice:
    from lnob_api.graphql.observation.types import observation_slice

    return observation_slice(filter)


@entity(sdg_repo.GOALS, parse_key=int)
@strawberry.type(description="One of the 17 Sustainable Development Goals.")
@declared(SDG_GOAL)
class SdgGoal(Node):
    """The columns come from ``declare.entities.SDG_GOAL``; the rest is written here."""

    targets = many(
        sdg_repo.TARGETS_BY_GOAL,
        "SdgTarget",
        _SDG,
        key="code",
        description="The goal's targets, in code order.",
    )


@entity(sdg_repo.TARGETS, parse_key=str)
@strawberry.type(description="One of the 169 SDG targets, such as 10.2.")
@declared(SDG_TARGET)
class SdgTarget(Node):
    """The columns come from ``declare.entities.SDG_TARGET``; the rest is written here."""

    goal = one(sdg_repo.GOAL_BY_CODE, "goal_code", "SdgGoal", _SDG, required=True)
    indicators = many(
        sdg_repo.INDICATORS_BY_TARGET,
        "Indicator",
        _SDG,
        key="code",
        description="Indicators under this target, global and custom, in code order.",
    )

    projects = connection(
        project_repo.PROJECTS_BY_TARGET,
        _Project,
        parent_key="code",
        description="Projects addressing this target.",
    )

    publications = many(
        publication_repo.PUBLICATIONS_BY_TARGET,
        "Publication",
        "lnob_api.graphql.publication.types",
        key="code",
        description="Publications addressing this target (those the caller may see).",
    )


@entity(sdg_repo.INDICATORS)
@strawberry.type(
    description="A global SDG indicator (1.1.1) or a coalition's custom one (KE-C-0001)."
)
@declared(INDICATOR)
class Indicator(Node):
    """The columns come from ``declare.entities.INDICATOR``; the rest is written here."""

    pk: strawberry.Private[int]
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not a GraphQL field)
        coalition_id: int | None
        target_code: str

    @strawberry.field(description="True for a coalition's community-defined indicator.")
    def is_custom(self) -> bool:
        return self.coalition_id is not None

    target = one(sdg_repo.TARGET_BY_CODE, "target_code", "SdgTarget", _SDG, required=True)
    coalition = one(
        coalition_repo.COALITION_BY_ID,
        "coalition_id",
        "Coalition",
        "lnob_api.graphql.coalition.types",
        description="The coalition that defined a custom indicator; null for global ones.",
    )

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
