"""GraphQL type: Dataset."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import DATASET
from lnob_api.declare.stewardship import DATASET_VALIDATION
from lnob_api.graphql import links
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import declared, declared_node
from lnob_api.graphql.lazy import Indicator as _Indicator
from lnob_api.graphql.lazy import MarginalisedGroup as _Group
from lnob_api.graphql.lazy import Observation as _Observation
from lnob_api.graphql.lazy import ObservationFilter as _ObservationFilter
from lnob_api.graphql.lazy import Publication as _Publication
from lnob_api.graphql.lazy import Recommendation as _Recommendation
from lnob_api.graphql.linked import to_many
from lnob_api.graphql.loading import load_list
from lnob_api.graphql.node import Node, copied
from lnob_api.graphql.provenance.types import (
    ProducerType,
    Provenance,
    ProvenanceMethod,
    Sampling,
    provenance_of,
)
from lnob_api.observation import repository as observation_repo
from lnob_api.publication import repository as publication_repo
from lnob_api.sdg import repository as sdg_repo

if TYPE_CHECKING:
    from lnob_api.graphql.dataset.stewardship import Consent

_Consent = Annotated["Consent", strawberry.lazy("lnob_api.graphql.dataset.stewardship")]


async def _observations(
    root: Dataset,
    info: Info,
    filter: _ObservationFilter | None = None,
    version: Annotated[
        int | None,
        strawberry.argument(description="Read another version of this dataset (its number)."),
    ] = None,
) -> Slice:
    from lnob_api.graphql.observation.types import observation_slice

    chosen = observation_slice(filter)
    if version is None or version == root.version:
        return chosen
    versions = await _versions(info, root.lineage_id)
    owner = next((v.pk for v in versions if v.version == version), -1)
    return dataclasses.replace(chosen, key=owner)


@strawberry.type(description=DATASET_VALIDATION.description)
@declared(DATASET_VALIDATION)
class DatasetValidation:
    # Every field is declared (declare.stewardship.DATASET_VALIDATION).
    @classmethod
    def from_row(cls, row: Any) -> DatasetValidation:
        return copied(cls, row)


@declared_node(dataset_repo.DATASET_VERSIONS, DATASET)
class Dataset(Node):
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not GraphQL fields)
        pk: int
        coalition_id: int
        project_id: int | None
        lineage_id: int
        version: int
        area_code: str | None
        producer_type: ProducerType | None
        method: ProvenanceMethod | None
        sampling: Sampling | None
        sampling_note: str | None
        sample_size: int | None
        washington_group: bool | None
        sdg_framework_version: str
    data_readable: bool = strawberry.field(
        description="Whether you may read the observations, or only this description (then "
        "you can file an access request)."
    )

    consents = to_many(
        dataset_repo.CONSENTS_BY_LINEAGE,
        _Consent,
        key="lineage_id",
        description="What the community agreed to for this dataset.",
    )

    validations = to_many(
        dataset_repo.VALIDATIONS_BY_DATASET,
        DatasetValidation,
        description="The community's validations of this version.",
    )

    @strawberry.field(description="Where the data come from and how they were made.")
    def provenance(self) -> Provenance:
        return provenance_of(self)

    @strawberry.field(description="Every version of this dataset you may see, oldest first.")
    async def versions(self, info: Info) -> list[Dataset]:
        return await _versions(info, self.lineage_id)

    coalition = links.coalition(required=True)

    project = links.project(description="The project that produced the dataset, if visible.")

    indicators = to_many(
        sdg_repo.INDICATORS_BY_DATASET, _Indicator, description="Indicators the dataset covers."
    )

    groups = to_many(
        coalition_repo.GROUPS_BY_DATASET,
        _Group,
        description="Marginalised groups the dataset is about.",
    )

    observations = connection(
        observation_repo.OBSERVATIONS_BY_DATASET,
        _Observation,
        select=_observations,
        trailing=1,
        description="The dataset's observations the caller may read, by id.",
    )

    area = links.area(description="The area the dataset covers, when known.")

    publications = to_many(
        publication_repo.PUBLICATIONS_BY_DATASET,
        _Publication,
        description="Publications drawing on this dataset (those the caller may see).",
    )

    @strawberry.field(
        description="Recommendations to authorities drawn from this dataset, any version of it "
        "(those the caller may see), oldest first."
    )
    async def recommendations(self, info: Info) -> list[_Recommendation]:
        import asyncio

        from lnob_api.graphql.recommendation.types import Recommendation
        from lnob_api.recommendation import repository as recommendation_repo

        versions = await _versions(info, self.lineage_id)
        per_version = await asyncio.gather(
            *(
                load_list(
                    info, recommendation_repo.RECOMMENDATIONS_BY_DATASET, v.pk, Recommendation
                )
                for v in versions
            )
        )
        return sorted((r for found in per_version for r in found), key=lambda r: r.pk)


async def _versions(info: Info, lineage_id: int) -> list[Dataset]:
    return await load_list(info, dataset_repo.DATASET_VERSIONS_BY_LINEAGE, lineage_id, Dataset)
