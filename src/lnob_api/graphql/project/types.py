"""GraphQL type: Project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import PROJECT
from lnob_api.graphql.connections import connection
from lnob_api.graphql.declared import declared, many, one
from lnob_api.graphql.node import Node, entity
from lnob_api.project import repository as project_repo
from lnob_api.sdg import repository as sdg_repo

if TYPE_CHECKING:
    from lnob_api.graphql.dataset.types import Dataset

_COALITIONS = "lnob_api.graphql.coalition.types"
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]


@entity(project_repo.PROJECTS)
@strawberry.type(
    description="A coalition's data project (e.g. the Making Voices Heard and Count pilot)."
)
@declared(PROJECT)
class Project(Node):
    """The columns come from ``declare.entities.PROJECT``; the rest is written here."""

    pk: strawberry.Private[int]

    coalition = one(
        coalition_repo.COALITION_BY_ID, "coalition_id", "Coalition", _COALITIONS, required=True
    )
    targets = many(
        sdg_repo.TARGETS_BY_PROJECT,
        "SdgTarget",
        "lnob_api.graphql.sdg.types",
        description="SDG targets the project addresses.",
    )
    groups = many(
        coalition_repo.GROUPS_BY_PROJECT,
        "MarginalisedGroup",
        _COALITIONS,
        description="Marginalised groups the project is concerned with.",
    )
    datasets = connection(
        dataset_repo.DATASETS_BY_PROJECT, _Dataset, description="Datasets produced by the project."
    )
