"""Provenance mutations: quality criteria (coalition admins), marginalised-group vocabularies
(a coalition's editors for their country's, partnership admins for the shared one), and the
``ProvenanceInput`` that dataset create/update take."""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry

from lnob_api.auth.principal import Scope
from lnob_api.declare.entities import QUALITY_CRITERION
from lnob_api.declare.more import MARGINALISED_GROUP
from lnob_api.graphql.coalition.types import MarginalisedGroup
from lnob_api.graphql.declared import Declared, create_input, creates, on_row, update_input
from lnob_api.graphql.mutations import ADMINS, deleted, payload
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
@create_input(QUALITY_CRITERION)  # the declared fields (declare.entities) after coalition
class QualityCriterionCreateInput:
    coalition: str = strawberry.field(description="Country code of the coalition.")


@strawberry.input(description="Changes to a quality criterion; omitted fields stay as they are.")
@update_input(QUALITY_CRITERION)  # id, rowVersion, the declared fields
class QualityCriterionUpdateInput:
    pass


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
@create_input(MARGINALISED_GROUP)  # the declared fields (declare.more) where ``declared`` stands
class MarginalisedGroupCreateInput:
    coalition: str | None = strawberry.field(
        default=None,
        description="Country code of the coalition whose vocabulary it joins (its editors); "
        "null for the shared vocabulary (partnership admins).",
    )
    declared: ClassVar[Declared]
    maps_to: list[DimensionCodeInput] | None = strawberry.field(
        default=None,
        description="The standard dimension codes the group corresponds to, one per dimension; "
        "the vocabulary owner's statement.",
    )


@strawberry.input(description="Changes to a marginalised group; omitted fields stay as they are.")
@update_input(MARGINALISED_GROUP)  # id, rowVersion, the declared fields, then mapsTo
class MarginalisedGroupUpdateInput:
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


def _mapped(fields: dict[str, Any]) -> dict[str, Any]:
    """A group's declared fields for the service, its mapping (``mapsTo``) as pairs."""
    if fields.get("maps_to") is not None:
        fields["maps_to"] = [
            service.DimensionCode(dimension=p.dimension, code=p.code) for p in fields["maps_to"]
        ]
    return fields


@strawberry.type
class ProvenanceMutations:
    quality_criterion_create = creates(
        QUALITY_CRITERION,
        service.create_criterion,
        QualityCriterionCreateInput,
        QualityCriterionCreatePayload,
        permission_classes=ADMINS,
        description="Add a criterion to a coalition's quality checklist. Coalition admins.",
    )

    quality_criterion_update = on_row(
        QUALITY_CRITERION,
        service.update_criterion,
        QualityCriterionUpdateInput,
        QualityCriterionUpdatePayload,
        permission_classes=ADMINS,
        description="Edit a quality criterion. Coalition admins.",
        key="criterion_id",
        edits=True,
    )
    quality_criterion_delete = on_row(
        QUALITY_CRITERION,
        service.delete_criterion,
        QualityCriterionDeleteInput,
        QualityCriterionDeletePayload,
        deleted,
        permission_classes=ADMINS,
        description="Delete a quality criterion that no dataset claims. Coalition admins.",
        key="criterion_id",
        gone=True,
    )

    marginalised_group_create = creates(
        MARGINALISED_GROUP,
        service.create_group,
        MarginalisedGroupCreateInput,
        MarginalisedGroupCreatePayload,
        permission_classes=VOCABULARY,
        description="Add a marginalised group to a country's vocabulary (the coalition's "
        "editors) or to the shared one (partnership admins).",
        shape=_mapped,
    )

    marginalised_group_update = on_row(
        MARGINALISED_GROUP,
        service.update_group,
        MarginalisedGroupUpdateInput,
        MarginalisedGroupUpdatePayload,
        permission_classes=VOCABULARY,
        description="Edit a marginalised group's name, description or mapping (its code is fixed).",
        key="group_id",
        edits=True,
        shape=_mapped,
    )
