"""GraphQL type: Project."""

from __future__ import annotations

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import PROJECT
from lnob_api.graphql import links
from lnob_api.graphql.connections import connection
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.lazy import Dataset as _Dataset
from lnob_api.graphql.lazy import MarginalisedGroup as _Group
from lnob_api.graphql.lazy import SdgTarget as _Target
from lnob_api.graphql.linked import to_many
from lnob_api.graphql.node import Node
from lnob_api.project import repository as project_repo
from lnob_api.sdg import repository as sdg_repo


@declared_node(project_repo.PROJECTS, PROJECT)
class Project(Node):
    coalition = links.coalition(required=True)
    targets = to_many(
        sdg_repo.TARGETS_BY_PROJECT, _Target, description="SDG targets the project addresses."
    )
    groups = to_many(
        coalition_repo.GROUPS_BY_PROJECT,
        _Group,
        description="Marginalised groups the project is concerned with.",
    )
    datasets = connection(
        dataset_repo.DATASETS_BY_PROJECT, _Dataset, description="Datasets produced by the project."
    )
