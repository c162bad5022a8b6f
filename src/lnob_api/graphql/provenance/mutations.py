"""Provenance mutations: quality criteria (coalition admins), marginalised-group vocabularies
(a coalition's editors for their country's, partnership admins for the shared one), and the
``ProvenanceInput`` that dataset create/update take."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.coalition import repository as coalition_repo
from lnob_api.graphql.coalition.mutations import ADMINS
from lnob_api.graphql.coalition.types import MarginalisedGroup
from lnob_api.graphql.context import Info
from lnob_api.graphql.ids_input import Edit, pk_of
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.mutations import deleted, parts, payload, row, writes
from lnob_api.graphql.permissions import requires_any
from lnob_api.graphql.provenance.types import (
    ProducerType,
    ProvenanceMethod,
    QualityCriterion,
    Sampling,
    StandardDimension,
)
from lnob_api.provenance import repository as provenance_repo
from lnob_api.provenance import service
from lnob_api.provenance.dataset import ProvenanceChange

VOCABULARY = [requires_any(Scope.DATA_WRITE, Scope.PARTNERSHIP_ADMIN)]


@strawberry.input(
    description="A dataset's provenance, the default of its observations. On update, omitted "
    "fields stay as they are and null clears one."
)
class ProvenanceInput:
    producer_type: ProducerType | None = strawberry.UNSET
    method: ProvenanceMethod | None = strawberry.field(
        default=strawberry.UNSET,
        description="On create, defaults to what methodology names (none for MIXED or OTHER).",
    )
    sampling: Sampling | None = strawberry.UNSET
    sampling_note: str | None = strawberry.UNSET
    sample_size: int | None = strawberry.field(
        default=strawberry.UNSET, description="The dataset's overall sample size."
    )
    washington_group: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Whether disability was asked with the Washington Group Short Set.",
    )
    sdg_framework_version: str | None = strawberry.field(
        default=strawberry.UNSET, description="Default (and on null) 2025."
    )
    quality_criteria: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Codes of the coalition's quality criteria the dataset meets; replaces the "
        "list (null or [] clears it).",
    )


_PROVENANCE_FIELDS = (
    "producer_type",
    "method",
    "sampling",
    "sampling_note",
    "sample_size",
    "washington_group",
    "sdg_framework_version",
)


def provenance_change(given: ProvenanceInput | None) -> ProvenanceChange | None:
    """The service's form of ``given``: only the fields that were sent."""
    if given is None or given is strawberry.UNSET:
        return None
    fields = {
        name: value
        for name in _PROVENANCE_FIELDS
        if (value := getattr(given, name)) is not strawberry.UNSET
    }
    criteria = given.quality_criteria
    return ProvenanceChange(
        fields=fields,
        quality_criteria=None if criteria is strawberry.UNSET else list(criteria or []),
    )


@strawberry.input(description="A new item of a coalition's quality checklist.")
class QualityCriterionCreateInput:
    coalition: str = strawberry.field(description="Country code of the coalition.")
    code: str = strawberry.field(description="Unique in the coalition, such as NSO-1.")
    label: str
    description: str | None = None


@strawberry.input(description="Changes to a quality criterion; omitted fields stay as they are.")
class QualityCriterionUpdateInput(Edit):
    code: str | None = strawberry.UNSET
    label: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class QualityCriterionDeleteInput:
    id: strawberry.ID
    row_version: int | None = strawberry.field(
        default=None, description="The rowVersion you read, to make sure it did not change."
    )


@strawberry.input(description="A standard dimension code, such as SEX = F.")
class DimensionCodeInput:
    dimension: StandardDimension
    code: str = strawberry.field(description="An SDMX code of that dimension, not _T.")


@strawberry.input(
    description="A new marginalised group in a country's vocabulary, or in the shared one."
)
class MarginalisedGroupCreateInput:
    coalition: str | None = strawberry.field(
        default=None,
        description="Country code of the coalition whose vocabulary it joins (its editors); "
        "null for the shared vocabulary (partnership admins).",
    )
    code: str = strawberry.field(description="Capital letters, digits, _; fixed once created.")
    name: str
    description: str | None = None
    maps_to: list[DimensionCodeInput] | None = strawberry.field(
        default=None,
        description="The standard dimension codes the group corresponds to, one per dimension; "
        "the vocabulary owner's statement.",
    )


@strawberry.input(description="Changes to a marginalised group; omitted fields stay as they are.")
class MarginalisedGroupUpdateInput(Edit):
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    maps_to: list[DimensionCodeInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the mapping; null or [] clears it."
    )


_CRITERION = (QualityCriterion, "The criterion after the change.")
QualityCriterionCreatePayload = payload(
    "QualityCriterionCreatePayload", quality_criterion=_CRITERION
)
QualityCriterionUpdatePayload = payload(
    "QualityCriterionUpdatePayload", quality_criterion=_CRITERION
)
QualityCriterionDeletePayload = payload("QualityCriterionDeletePayload", deleted_id=strawberry.ID)
_GROUP = (MarginalisedGroup, "The group after the change.")
MarginalisedGroupCreatePayload = payload(
    "MarginalisedGroupCreatePayload", marginalised_group=_GROUP
)
MarginalisedGroupUpdatePayload = payload(
    "MarginalisedGroupUpdatePayload", marginalised_group=_GROUP
)


def _given(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: v for n in names if (v := getattr(data, n)) is not strawberry.UNSET}


def _pairs(given: list[DimensionCodeInput] | None) -> list[service.DimensionCode] | None:
    if given is None:
        return None
    return [service.DimensionCode(dimension=p.dimension, code=p.code) for p in given]


_criterion_run = parts(quality_criterion=row(provenance_repo.CRITERION_BY_ID, QualityCriterion))
_group_run = parts(marginalised_group=row(coalition_repo.GROUP_BY_ID, MarginalisedGroup))


@strawberry.type
class ProvenanceMutations:
    @writes(
        QualityCriterionCreatePayload,
        _criterion_run,
        permission_classes=ADMINS,
        description="Add a criterion to a coalition's quality checklist. Coalition admins.",
    )
    async def quality_criterion_create(
        self, info: Info, input: QualityCriterionCreateInput, session: AsyncSession
    ) -> int:
        created = await service.create_criterion(
            session,
            _actor(info),
            coalition_code=input.coalition,
            fields={
                "code": input.code,
                "label": input.label,
                "description": input.description or "",
            },
        )
        return created.id

    @writes(
        QualityCriterionUpdatePayload,
        _criterion_run,
        permission_classes=ADMINS,
        description="Edit a quality criterion. Coalition admins.",
    )
    async def quality_criterion_update(
        self, info: Info, input: QualityCriterionUpdateInput, session: AsyncSession
    ) -> int:
        updated = await service.update_criterion(
            session,
            _actor(info),
            criterion_id=input.pk("QualityCriterion"),
            row_version=input.row_version,
            fields=_given(input, ("code", "label", "description")),
        )
        return updated.id

    @writes(
        QualityCriterionDeletePayload,
        deleted,
        permission_classes=ADMINS,
        description="Delete a quality criterion that no dataset claims. Coalition admins.",
    )
    async def quality_criterion_delete(
        self, info: Info, input: QualityCriterionDeleteInput, session: AsyncSession
    ) -> strawberry.ID:
        await service.delete_criterion(
            session,
            _actor(info),
            criterion_id=pk_of(input.id, "QualityCriterion", "id"),
            row_version=input.row_version,
        )
        return input.id

    @writes(
        MarginalisedGroupCreatePayload,
        _group_run,
        permission_classes=VOCABULARY,
        description="Add a marginalised group to a country's vocabulary (the coalition's "
        "editors) or to the shared one (partnership admins).",
    )
    async def marginalised_group_create(
        self, info: Info, input: MarginalisedGroupCreateInput, session: AsyncSession
    ) -> int:
        created = await service.create_group(
            session,
            _actor(info),
            coalition_code=input.coalition,
            fields={
                "code": input.code,
                "name": input.name,
                "description": input.description or "",
                "maps_to": _pairs(input.maps_to),
            },
        )
        return created.id

    @writes(
        MarginalisedGroupUpdatePayload,
        _group_run,
        permission_classes=VOCABULARY,
        description="Edit a marginalised group's name, description or mapping (its code is fixed).",
    )
    async def marginalised_group_update(
        self, info: Info, input: MarginalisedGroupUpdateInput, session: AsyncSession
    ) -> int:
        fields = _given(input, ("name", "description"))
        if input.maps_to is not strawberry.UNSET:
            fields["maps_to"] = _pairs(input.maps_to)
        updated = await service.update_group(
            session,
            _actor(info),
            group_id=input.pk("MarginalisedGroup"),
            row_version=input.row_version,
            fields=fields,
        )
        return updated.id
