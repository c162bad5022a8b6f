"""Root fields: datasets, dataset."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from lnob_api.access import history
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import DATASET
from lnob_api.graphql import passed
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.dataset.types import Dataset
from lnob_api.graphql.declared import filters
from lnob_api.graphql.enums import DatasetStatus
from lnob_api.graphql.ids_input import pks_of
from lnob_api.graphql.inputs import check_int
from lnob_api.graphql.lookups import by_id_or_slug
from lnob_api.graphql.provenance.types import ProducerType, ProvenanceMethod
from lnob_api.sdg import repository as sdg_repo


@strawberry.enum(description="Orders for the datasets list.")
class DatasetOrder(Enum):
    ID = "ID"
    TITLE = "TITLE"
    UPDATED_AT = "UPDATED_AT"
    RECENTLY_UPDATED = "RECENTLY_UPDATED"


@strawberry.input(description="Conditions on datasets; all given ones must hold.")
@filters(DATASET)  # then the declared ones (declare.entities)
class DatasetFilter:
    coalitions: list[str] | None = strawberry.field(
        default=None, description="Coalition country codes."
    )
    projects: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Project ids."
    )
    goals: list[int] | None = strawberry.field(default=None, description="SDG goal numbers.")
    targets: list[str] | None = strawberry.field(default=None, description="SDG target codes.")
    indicators: list[str] | None = strawberry.field(default=None, description="Indicator codes.")
    statuses: list[DatasetStatus] | None = None
    groups: list[str] | None = strawberry.field(
        default=None, description="Marginalised group codes."
    )
    search: str | None = strawberry.field(
        default=None, description="Words that title or description contain."
    )
    updated_since: datetime | None = None
    producer_types: list[ProducerType] | None = strawberry.field(
        default=None, description="Producer types (datasets that record one of them)."
    )
    methods: list[ProvenanceMethod] | None = strawberry.field(
        default=None, description="Collection methods (datasets that record one of them)."
    )
    washington_group: bool | None = strawberry.field(
        default=None,
        description="Whether the Washington Group Short Set was used; false keeps datasets "
        "that say it was not, not those that do not say.",
    )
    meets_criteria: list[str] | None = strawberry.field(
        default=None, description="Quality criterion codes the dataset meets, every one of them."
    )


_where = passed.where(dataset_repo.filters, DatasetFilter)


AS_OF = (
    "List the versions that were current at this instant (published, past any embargo, not "
    "yet superseded then), under today's permissions; retracted lineages are left out."
)


def _datasets(
    filter: DatasetFilter | None = None,
    order_by: DatasetOrder = DatasetOrder.ID,
    as_of: Annotated[datetime | None, strawberry.argument(description=AS_OF)] = None,
) -> Slice:
    f = filter or DatasetFilter()
    for i, goal in enumerate(f.goals or ()):
        check_int(goal, sdg_repo.goals.c.code, f"filter.goals.{i}")
    # one spec (dataset.repository.filters): its own, the provenance and the declared filters
    where = _where(f, project_ids=pks_of(f.projects, "Project", "filter.projects"))
    order = dataset_repo.ORDERS[order_by.value]
    if as_of is not None:
        at = history.check_as_of(as_of, "asOf")
        return Slice(where=where, order=order, source=dataset_repo.datasets_as_of(at))
    return Slice(where=where, order=order)


@strawberry.type
class DatasetQueries:
    datasets = connection(
        dataset_repo.DATASETS,
        Dataset,
        select=_datasets,
        description="Datasets the caller may see.",
    )

    dataset = by_id_or_slug(
        dataset_repo.DATASET_BY_ID,
        dataset_repo.DATASET_BY_SLUG,
        Dataset,
        description="One dataset by global id or slug.",
    )
