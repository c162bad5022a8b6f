"""GraphQL types: Observation (one data point) and its filter input."""

from __future__ import annotations

import json
from collections.abc import Hashable
from datetime import datetime
from typing import Any, ClassVar

import strawberry
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.observation import OBSERVATION
from lnob_api.graphql import links, passed
from lnob_api.graphql.connections import Slice
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import Declared, declared, filters
from lnob_api.graphql.enums import ObsStatus
from lnob_api.graphql.ids_input import pks_of
from lnob_api.graphql.lazy import SdgTarget as _SdgTarget
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.node import Node, copied, entity
from lnob_api.graphql.provenance.types import (
    ProducerType,
    Provenance,
    ProvenanceMethod,
    Sampling,
    provenance_of,
)
from lnob_api.observation import repository as observation_repo
from lnob_api.observation import service as observation_service
from lnob_api.sdg import repository as sdg_repo


@strawberry.type(
    description="A free extra disaggregation of an observation, such as EDUCATION_LEV."
)
class Dimension:
    name: str
    value: str


@strawberry.type(
    description="Something about the data that the coalition should know before outsiders "
    "read it (the data is written all the same)."
)
class DisclosureWarning:
    code: str = strawberry.field(
        description="UNPROTECTABLE: rates or means with no known n, withheld outside the coalition."
    )
    message: str
    observations: int = strawberry.field(description="How many observations it concerns.")

    @classmethod
    def of(cls, found: observation_service.DisclosureWarning) -> DisclosureWarning:
        return copied(cls, found)


@entity(observation_repo.OBSERVATIONS)
@strawberry.type(description=OBSERVATION.description)
@declared(OBSERVATION)
class Observation(Node):
    pk: strawberry.Private[int]
    dataset_id: strawberry.Private[int]
    indicator_id: strawberry.Private[int | None]
    target_code: strawberry.Private[str | None]
    coalition_id: strawberry.Private[int]
    value: float | None = strawberry.field(
        description="The value; null when missing or withheld (see suppressed)."
    )
    suppressed: bool = strawberry.field(
        description="True when the cell is withheld to protect people: the cell is small, or "
        "showing it would let someone derive a small one (secondary suppression). A withheld "
        "cell shows only its place in the table: value, sampleSize and comment are null or "
        "empty, dimensions lists only the dataset's breakdown dimensions, provenance is the "
        "dataset's. Members of the owning coalition see every value."
    )
    conf_status: str = strawberry.field(
        description="SDMX CONF_STATUS: F (free) or, for every withheld cell, C. Members of the "
        "owning coalition see C for a small cell and D for a cell withheld so that a small one "
        "cannot be derived (secondary confidentiality), with every value."
    )
    perturbed: bool = strawberry.field(
        description="True when the value you read is perturbed, not exact: the owning coalition"
        " rounds or adds cell-key noise to the counts outsiders read (Coalition.perturbation;"
        " the published table is perturbationTable). The same cell always reads the same."
        " False for members of the owning coalition, who read exact values."
    )
    unit: str
    obs_status: ObsStatus
    sample_size: int | None
    # The declared fields (declare.observation) the type does not write: areaCode ... updatedAt.
    declared: ClassVar[Declared]
    # Provenance overrides (None: the dataset's), exposed through ``provenance``.
    producer_type: strawberry.Private[ProducerType | None]
    method: strawberry.Private[ProvenanceMethod | None]
    sampling: strawberry.Private[Sampling | None]
    sampling_note: strawberry.Private[str | None]
    washington_group: strawberry.Private[bool | None]

    @strawberry.field(name="dimensions", description="Free extra dimensions, sorted by name.")
    def dimension_list(self) -> list[Dimension]:
        found: dict[str, Any] = getattr(self, "dimensions")  # noqa: B009 - declared, private
        return [
            Dimension(name=name, value=value if isinstance(value, str) else json.dumps(value))
            for name, value in sorted(found.items())
        ]

    # Readable observations imply a visible dataset (same policy, same transaction).
    dataset = links.dataset(required=True)

    indicator = links.indicator(
        description="The indicator; null when the value is at target level."
    )

    @strawberry.field(
        description="The SDG target: the one reported at target level, else the indicator's."
    )
    async def target(self, info: Info) -> _SdgTarget:
        from lnob_api.graphql.sdg.types import Indicator, SdgTarget

        code = self.target_code
        if code is None:
            indicator = await load_one(info, sdg_repo.INDICATOR_BY_ID, self.indicator_id, Indicator)
            assert indicator is not None  # indicators are public reference rows
            code = indicator.target_code
        found = await load_one(info, sdg_repo.TARGET_BY_CODE, code, SdgTarget)
        assert found is not None
        return found

    @strawberry.field(
        description="Where the value comes from: the observation's own provenance where it "
        "has one, else its dataset's."
    )
    async def provenance(self, info: Info) -> Provenance:
        from lnob_api.graphql.dataset.types import Dataset

        dataset = await load_one(info, dataset_repo.DATASET_BY_ID, self.dataset_id, Dataset)
        assert dataset is not None  # readable observations imply a visible dataset
        return provenance_of(dataset, self)

    area = links.area(
        required=True, description="The area the value is about (areas are public reference data)."
    )


@strawberry.input(description="Conditions on observations; all given ones must hold.")
@filters(OBSERVATION)
class ObservationFilter:
    indicators: list[str] | None = strawberry.field(
        default=None, description="Indicator codes (1.1.1, KE-C-0001); unknown codes match nothing."
    )
    targets: list[str] | None = strawberry.field(
        default=None,
        description="SDG target codes (10.2): values reported at target level and values of "
        "the target's indicators.",
    )
    areas: list[str] | None = strawberry.field(
        default=None,
        description="Area codes, each with every area below it (KE includes KE-30); "
        "unknown codes match nothing.",
    )
    period_from: str | None = strawberry.field(
        default=None, description="Keep periods starting on or after this SDMX period's start."
    )
    period_to: str | None = strawberry.field(
        default=None, description="Keep periods ending on or before this SDMX period's end."
    )
    datasets: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Dataset ids."
    )
    # The declared filters (declare.observation): sex, age, disabilityStatus, urbanisation,
    # group.
    declared: ClassVar[Declared]
    updated_since: datetime | None = strawberry.field(
        default=None, description="Keep rows changed after this instant (incremental sync)."
    )
    producer_types: list[ProducerType] | None = strawberry.field(
        default=None, description="Producer types (the observation's own, else its dataset's)."
    )
    methods: list[ProvenanceMethod] | None = strawberry.field(
        default=None, description="Collection methods (the observation's own, else its dataset's)."
    )
    washington_group: bool | None = strawberry.field(
        default=None,
        description="Whether the Washington Group Short Set was used; false keeps values that "
        "say it was not, not those that do not say.",
    )
    meets_criteria: list[str] | None = strawberry.field(
        default=None, description="Quality criterion codes the dataset meets, every one of them."
    )


_where = passed.where(observation_repo.filters, ObservationFilter)


def observation_slice(filter: ObservationFilter | None = None) -> Slice:
    """The part of an observation list that ``filter`` keeps (for connection fields)."""
    where, where_key = observation_where(filter)
    return Slice(where=where, where_key=where_key)


def observation_where(
    filter: ObservationFilter | None,
) -> tuple[list[ColumnElement[bool]], Hashable]:
    """The WHERE clauses of ``filter`` and a hashable key telling loaders apart by filter."""
    f = filter or ObservationFilter()
    where = _where(f, dataset_ids=pks_of(f.datasets, "Dataset", "filter.datasets"))
    key = tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in sorted(vars(f).items())
    )
    return where, key
