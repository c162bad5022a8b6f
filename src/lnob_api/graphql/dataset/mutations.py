"""Dataset mutations: create, update, publish, retract, visibility, delete."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.dataset import lifecycle, service
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import DATASET
from lnob_api.graphql.context import Info
from lnob_api.graphql.dataset.types import Dataset
from lnob_api.graphql.declared import inputs, on_row
from lnob_api.graphql.enums import Methodology, Visibility
from lnob_api.graphql.ids_input import Edit, Versioned, pk_of
from lnob_api.graphql.mutations import (
    COALITION_ADMIN,
    WRITE,
    UserError,
    calls,
    deleted,
    named,
    parts,
    payload,
    row,
    shown,
    writes,
)
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.observation.types import DisclosureWarning
from lnob_api.graphql.provenance.mutations import ProvenanceInput, provenance_change
from lnob_api.observation import service as observation_service


@strawberry.input(description="A new draft dataset in a coalition.")
@inputs(DATASET)  # then the declared editable fields (declare.entities)
class DatasetCreateInput:
    coalition: str = strawberry.field(description="Country code of the owning coalition.")
    title: str
    description: str = ""
    slug: str | None = strawberry.field(default=None, description="Default: from the title.")
    project: strawberry.ID | None = None
    methodology: Methodology | None = None
    collection_start: date | None = None
    collection_end: date | None = None
    area: str | None = strawberry.field(default=None, description="Area code it covers.")
    license: str | None = None
    visibility: Visibility | None = strawberry.field(
        default=None, description="Default COALITION; other levels need a coalition admin."
    )
    indicators: list[str] | None = strawberry.field(default=None, description="Indicator codes.")
    groups: list[str] | None = strawberry.field(
        default=None, description="Marginalised group codes."
    )
    provenance: ProvenanceInput | None = strawberry.field(
        default=None, description="Where the data come from; the default of every observation."
    )


@strawberry.input(description="Changes to a dataset; omitted fields stay as they are.")
@inputs(DATASET)
class DatasetUpdateInput(Edit):
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    project: strawberry.ID | None = strawberry.UNSET
    methodology: Methodology | None = strawberry.UNSET
    collection_start: date | None = strawberry.UNSET
    collection_end: date | None = strawberry.UNSET
    area: str | None = strawberry.UNSET
    license: str | None = strawberry.UNSET
    indicators: list[str] | None = strawberry.UNSET
    groups: list[str] | None = strawberry.UNSET
    provenance: ProvenanceInput | None = strawberry.field(
        default=strawberry.UNSET, description="Provenance changes; omitted fields stay."
    )


@strawberry.input
class DatasetVersionInput(Versioned):
    """Which dataset version, and the rowVersion read."""


@strawberry.input
class DatasetPublishInput(Versioned):
    release_at: datetime | None = strawberry.field(
        default=None,
        description="Embargo: publish now, release to everyone allowed at this instant.",
    )


@strawberry.input
class DatasetRetractInput(Versioned):
    reason: str = strawberry.field(description="Why; shown to everyone who could see it.")


@strawberry.input
class DatasetSetVisibilityInput(Versioned):
    visibility: Visibility = strawberry.field(description="Who sees the data (and metadata).")
    metadata_visibility: Visibility | None = strawberry.field(
        default=None,
        description="A wider audience for the description only; they may request access.",
    )


@strawberry.type
class DatasetPayload:
    dataset: Dataset | None = strawberry.field(description="The dataset after the change.")
    user_errors: list[UserError]


DatasetCreatePayload = named(DatasetPayload, "DatasetCreatePayload")
DatasetUpdatePayload = named(DatasetPayload, "DatasetUpdatePayload")


@strawberry.type
class DatasetPublishPayload(DatasetPayload):
    warnings: list[DisclosureWarning] = strawberry.field(
        default_factory=list,
        description="About data published all the same: e.g. rates or means without a "
        "sample size (UNPROTECTABLE), which outsiders will not see.",
    )


DatasetRetractPayload = named(DatasetPayload, "DatasetRetractPayload")
DatasetSetVisibilityPayload = named(DatasetPayload, "DatasetSetVisibilityPayload")


DatasetDeletePayload = payload("DatasetDeletePayload", deleted_id=strawberry.ID)


def _set(value: Any) -> bool:
    return value is not strawberry.UNSET


def _fields(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in names:
        value = getattr(data, name, strawberry.UNSET)
        if _set(value):
            fields[name] = value
    if "area" in fields:
        fields["area_code"] = fields.pop("area")
    if "project" in fields:
        project = fields.pop("project")
        fields["project_id"] = pk_of(project, "Project", "project") if project is not None else None
    if fields.get("license", "") is None:
        fields.pop("license")
    if fields.get("description", "") is None:
        fields["description"] = ""
    return fields


# The inputs' editable fields (declare.entities.DATASET), by their names in the inputs.
FIELDS = tuple(f.input_name for f in DATASET.editable)


def _edits(data: Any) -> dict[str, Any]:
    """What a create or an update passes besides the fields that pass by name: the edited
    fields and the provenance change."""
    return {"fields": _fields(data, FIELDS), "provenance": provenance_change(data.provenance)}


_dataset = row(dataset_repo.DATASET_BY_ID, Dataset)
_publish_run = parts(
    dataset=_dataset,
    warnings=shown(lambda found: [DisclosureWarning.of(w) for w in found]),
    refused=lambda _failure: {"warnings": []},
)


@strawberry.type
class DatasetMutations:
    dataset_create = calls(
        service.create,
        DatasetCreateInput,
        DatasetCreatePayload,
        permission_classes=WRITE,
        description="Create a draft dataset.",
        args=_edits,
    )

    dataset_update = on_row(
        DATASET,
        service.update,
        DatasetUpdateInput,
        DatasetUpdatePayload,
        permission_classes=WRITE,
        description="Edit a draft; editing a published dataset opens its next draft version.",
        args=_edits,
    )

    @writes(
        DatasetPublishPayload,
        _publish_run,
        permission_classes=WRITE,
        description="Publish a draft; it supersedes the previous published version.",
    )
    async def dataset_publish(
        self, info: Info, input: DatasetPublishInput, session: AsyncSession
    ) -> dict[str, Any]:
        done = await lifecycle.publish(
            session,
            _actor(info),
            dataset_id=input.pk("Dataset"),
            row_version=input.row_version,
            release_at=input.release_at,
        )
        warnings = await observation_service.disclosure_warnings(session, done.id)
        return {"dataset": done.id, "warnings": warnings}

    dataset_retract = on_row(
        DATASET,
        lifecycle.retract,
        DatasetRetractInput,
        DatasetRetractPayload,
        permission_classes=WRITE,
        description="Retract a published dataset: its data leaves every path, its reason stays.",
    )
    dataset_set_visibility = on_row(
        DATASET,
        service.set_visibility,
        DatasetSetVisibilityInput,
        DatasetSetVisibilityPayload,
        permission_classes=COALITION_ADMIN,
        description="Set who sees a dataset (every version of it). Coalition admins only.",
    )
    dataset_delete = on_row(
        DATASET,
        lifecycle.delete_draft,
        DatasetVersionInput,
        DatasetDeletePayload,
        deleted,
        permission_classes=WRITE,
        description="Delete a draft version.",
        gone=True,
    )
