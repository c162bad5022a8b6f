"""GraphQL types of the SDG framework: SdgGoal, SdgTarget, Indicator (global or custom)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import INDICATOR, SDG_GOAL, SDG_TARGET
from lnob_api.graphql import links
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.lazy import Dataset as _Dataset
from lnob_api.graphql.lazy import Observation as _Observation
from lnob_api.graphql.lazy import ObservationFilter as _ObservationFilter
from lnob_api.graphql.lazy import Project as _Project
from lnob_api.graphql.lazy import Publication as _Publication
from lnob_api.graphql.linked import to_many, to_one
from lnob_api.graphql.node import Node
from lnob_api.observation import repository as observation_repo
from lnob_api.project import repository as project_repo
from lnob_api.publication import repository as publication_repo
from lnob_api.sdg import repository as sdg_repo


def _observations(filter: _ObservationFilter | None = None) -> Slice:
    from lnob_api.graphql.observation.types import observation_slice

    return observation_slice(filter)


@declared_node(sdg_repo.GOALS, SDG_GOAL)
class SdgGoal(Node):
    targets = to_many(
        sdg_repo.TARGETS_BY_GOAL,
        "SdgTarget",
        key="code",
        description="The goal's targets, in code order.",
    )


@declared_node(sdg_repo.TARGETS, SDG_TARGET)
class SdgTarget(Node):
    goal = to_one(sdg_repo.GOAL_BY_CODE, "goal_code", SdgGoal, required=True)
    indicators = to_many(
        sdg_repo.INDICATORS_BY_TARGET,
        "Indicator",
        key="code",
        description="Indicators under this target, global and custom, in code order.",
    )

    projects = connection(
        project_repo.PROJECTS_BY_TARGET,
        _Project,
        parent_key="code",
        description="Projects addressing this target.",
    )

    publications = to_many(
        publication_repo.PUBLICATIONS_BY_TARGET,
        _Publication,
        key="code",
        description="Publications addressing this target (those the caller may see).",
    )


@declared_node(sdg_repo.INDICATORS, INDICATOR)
class Indicator(Node):
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not a GraphQL field)
        coalition_id: int | None
        target_code: str

    @strawberry.field(description="True for a coalition's community-defined indicator.")
    def is_custom(self) -> bool:
        return self.coalition_id is not None

    target = to_one(sdg_repo.TARGET_BY_CODE, "target_code", SdgTarget, required=True)
    coalition = links.coalition(
        description="The coalition that defined a custom indicator; null for global ones."
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
