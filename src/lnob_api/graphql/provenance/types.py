"""GraphQL types of provenance: Provenance, QualityCriterion, DimensionCode and their enums."""

from __future__ import annotations

from typing import Any, Protocol

import strawberry

from lnob_api.declare.entities import QUALITY_CRITERION
from lnob_api.graphql import links
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.linked import to_many
from lnob_api.graphql.node import Node
from lnob_api.models.provenance import ProducerType, ProvenanceMethod, Sampling, StandardDimension
from lnob_api.provenance import repository as provenance_repo

strawberry.enum(ProducerType, description="Who produced the data.")
strawberry.enum(ProvenanceMethod, description="How the data were collected.")
strawberry.enum(Sampling, description="How respondents were chosen; details in samplingNote.")
strawberry.enum(
    StandardDimension, description="A standard SDG disaggregation a group may be mapped to."
)

__all__ = [
    "DimensionCode",
    "ProducerType",
    "Provenance",
    "ProvenanceMethod",
    "QualityCriterion",
    "Sampling",
    "StandardDimension",
    "provenance_of",
]


@declared_node(provenance_repo.CRITERIA, QUALITY_CRITERION)
class QualityCriterion(Node):
    # coalitions are public reference rows
    coalition = links.coalition(required=True, description="The coalition whose checklist this is.")


@strawberry.type(
    description="Where data come from and how they were made. On an observation: its own "
    "values where it has them, else its dataset's. Null: not recorded."
)
class Provenance:
    producer_type: ProducerType | None
    method: ProvenanceMethod | None
    sampling: Sampling | None
    sampling_note: str | None = strawberry.field(description="How the sample was drawn.")
    sample_size: int | None = strawberry.field(
        description="The dataset's overall sample size (an observation's own is "
        "Observation.sampleSize)."
    )
    washington_group: bool | None = strawberry.field(
        description="Whether disability was asked with the Washington Group Short Set."
    )
    sdg_framework_version: str = strawberry.field(
        description="The SDG indicator framework the dataset reports against, such as 2025."
    )
    dataset_id: strawberry.Private[int]

    quality_criteria = to_many(
        provenance_repo.CRITERIA_BY_DATASET,
        QualityCriterion,
        key="dataset_id",
        description="The coalition's quality criteria the dataset meets.",
    )


class _Recorded(Protocol):
    """What a dataset or an observation type records of its provenance."""

    producer_type: ProducerType | None
    method: ProvenanceMethod | None
    sampling: Sampling | None
    sampling_note: str | None
    washington_group: bool | None


class _DatasetRecord(_Recorded, Protocol):
    pk: int
    sample_size: int | None
    sdg_framework_version: str


def _pick(own: Any, dataset: Any) -> Any:
    return dataset if own is None else own


def provenance_of(dataset: _DatasetRecord, own: _Recorded | None = None) -> Provenance:
    """A dataset's provenance, or an observation's (``own``) falling back to its dataset's."""
    mine: Any = own if own is not None else dataset
    # Sampling and its note go together: an observation that says either says both.
    sampled = mine if (mine.sampling, mine.sampling_note) != (None, None) else dataset
    return Provenance(
        producer_type=_pick(mine.producer_type, dataset.producer_type),
        method=_pick(mine.method, dataset.method),
        sampling=sampled.sampling,
        sampling_note=sampled.sampling_note,
        sample_size=dataset.sample_size,
        washington_group=_pick(mine.washington_group, dataset.washington_group),
        sdg_framework_version=dataset.sdg_framework_version,
        dataset_id=dataset.pk,
    )


@strawberry.type(description="A standard dimension code, such as SEX = F.")
class DimensionCode:
    dimension: StandardDimension
    code: str

    @classmethod
    def from_stored(cls, stored: list[dict[str, str]] | None) -> list[DimensionCode]:
        return [
            cls(dimension=StandardDimension(pair["dimension"]), code=pair["code"])
            for pair in stored or []
        ]
