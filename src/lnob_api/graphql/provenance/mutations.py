"""Provenance mutations: quality criteria (coalition admins), marginalised-group vocabularies
(a coalition's editors for their country's, partnership admins for the shared one), and the
``ProvenanceInput`` that dataset create/update take."""

from __future__ import annotations

from typing import Any

import strawberry

from lnob_api.auth.principal import Scope
from lnob_api.graphql.coalition.types import MarginalisedGroup
from lnob_api.graphql.ids_input import Edit
from lnob_api.graphql.mutations import ADMINS, calls, deleted, payload
from lnob_api.graphql.permissions import requires_any
from lnob_api.graphql.provenance.types import (
    ProducerType,
    ProvenanceMethod,
    QualityCriterion,
    Sampling,
    StandardDimension,
)
from lnob_api.provenance import service
from lnob_api.provenance.dataset import COLUMNS, ProvenanceChange

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


def provenance_change(given: ProvenanceInput | None) -> ProvenanceChange | None:
    """The service's form of ``given``: only the fields that were sent."""
    if given is None or given is strawberry.UNSET:
        return None
    fields = {
        name: value for name in COLUMNS if (value := getattr(given, name)) is not strawberry.UNSET
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


def _group_changes(data: MarginalisedGroupUpdateInput) -> dict[str, Any]:
    fields = _given(data, ("name", "description"))
    if data.maps_to is not strawberry.UNSET:
        fields["maps_to"] = _pairs(data.maps_to)
    return fields


@strawberry.type
class ProvenanceMutations:
    quality_criterion_create = calls(
        service.create_criterion,
        QualityCriterionCreateInput,
        QualityCriterionCreatePayload,
        permission_classes=ADMINS,
        description="Add a criterion to a coalition's quality checklist. Coalition admins.",
        args=lambda i: {
            "fields": {"code": i.code, "label": i.label, "description": i.description or ""},
        },
    )

    quality_criterion_update = calls(
        service.update_criterion,
        QualityCriterionUpdateInput,
        QualityCriterionUpdatePayload,
        permission_classes=ADMINS,
        description="Edit a quality criterion. Coalition admins.",
        row="QualityCriterion",
        key="criterion_id",
        args=lambda i: {"fields": _given(i, ("code", "label", "description"))},
    )
    quality_criterion_delete = calls(
        service.delete_criterion,
        QualityCriterionDeleteInput,
        QualityCriterionDeletePayload,
        deleted,
        permission_classes=ADMINS,
        description="Delete a quality criterion that no dataset claims. Coalition admins.",
        row="QualityCriterion",
        key="criterion_id",
        gone=True,
    )

    marginalised_group_create = calls(
        service.create_group,
        MarginalisedGroupCreateInput,
        MarginalisedGroupCreatePayload,
        permission_classes=VOCABULARY,
        description="Add a marginalised group to a country's vocabulary (the coalition's "
        "editors) or to the shared one (partnership admins).",
        args=lambda i: {
            "fields": {
                "code": i.code,
                "name": i.name,
                "description": i.description or "",
                "maps_to": _pairs(i.maps_to),
            },
        },
    )

    marginalised_group_update = calls(
        service.update_group,
        MarginalisedGroupUpdateInput,
        MarginalisedGroupUpdatePayload,
        permission_classes=VOCABULARY,
        description="Edit a marginalised group's name, description or mapping (its code is fixed).",
        row="MarginalisedGroup",
        key="group_id",
        args=lambda i: {"fields": _group_changes(i)},
    )
