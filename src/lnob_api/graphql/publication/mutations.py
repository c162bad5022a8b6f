"""Publication mutations: create, update, set visibility, delete."""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry

from lnob_api.declare.entities import PUBLICATION
from lnob_api.graphql.declared import (
    Declared,
    create_input,
    created,
    deleted_payload,
    on_row,
    row_payloads,
    update_input,
)
from lnob_api.graphql.enums import Visibility
from lnob_api.graphql.ids_input import Versioned, pk_of, row_input
from lnob_api.graphql.mutations import ADMINS, WRITE, calls
from lnob_api.graphql.publication.types import Publication
from lnob_api.publication import service


@strawberry.input(
    description="A new publication of a coalition, or of the partnership when coalition is null."
)
@create_input(PUBLICATION)  # the declared fields (declare.entities) where ``declared`` stands
class PublicationCreateInput:
    coalition: str | None = strawberry.field(
        description="Country code of the owning coalition; null for a partnership-wide one"
        " (partnership admins)."
    )
    declared: ClassVar[Declared]
    visibility: Visibility | None = strawberry.field(
        default=None, description="Default COALITION; other levels need a coalition admin."
    )
    coalitions: list[str] | None = strawberry.field(
        default=None, description="Country codes of the coalitions it is about (default: owner)."
    )
    targets: list[str] | None = strawberry.field(default=None, description="SDG target codes.")
    datasets: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Datasets it draws on (ones you can see)."
    )


@strawberry.input(description="Changes to a publication; omitted fields stay as they are.")
@update_input(PUBLICATION)
class PublicationUpdateInput:
    coalitions: list[str] | None = strawberry.UNSET
    targets: list[str] | None = strawberry.UNSET
    datasets: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input
class PublicationSetVisibilityInput(Versioned):
    visibility: Visibility


PublicationDeleteInput = row_input("PublicationDeleteInput")


PublicationCreatePayload, PublicationUpdatePayload, PublicationSetVisibilityPayload = row_payloads(
    Publication, "publication", "Create", "Update", "SetVisibility"
)
PublicationDeletePayload = deleted_payload("PublicationDeletePayload")


def _set(value: Any) -> bool:
    return value is not strawberry.UNSET and value is not None


def _links(data: Any) -> service.Links:
    """Omitted (or null) link lists stay as they are; a list replaces them."""
    datasets = None
    if _set(data.datasets):
        datasets = [pk_of(d, "Dataset", f"datasets.{i}") for i, d in enumerate(data.datasets)]
    return service.Links(
        coalitions=data.coalitions if _set(data.coalitions) else None,
        targets=data.targets if _set(data.targets) else None,
        datasets=datasets,
    )


def _kind_and_slug(fields: dict[str, Any]) -> dict[str, Any]:
    """A create input's declared fields, its kind and slug (none: from the title) apart."""
    kind, slug = fields.pop("kind"), fields.pop("slug", None)
    return {"kind": kind, "fields": fields, "slug": slug}


@strawberry.type
class PublicationMutations:
    publication_create = calls(
        service.create,
        PublicationCreateInput,
        PublicationCreatePayload,
        permission_classes=WRITE,
        description="Create a publication. Editors of the owning coalition; partnership admins"
        " for a partnership-wide one.",
        args=lambda i: {
            **_kind_and_slug(created(PUBLICATION, i)),
            "links": _links(i),
        },
    )

    publication_update = on_row(
        PUBLICATION,
        service.update,
        PublicationUpdateInput,
        PublicationUpdatePayload,
        permission_classes=WRITE,
        description="Edit a publication.",
        edits=True,
        args=lambda i: {"links": _links(i)},
    )
    publication_set_visibility = on_row(
        PUBLICATION,
        service.set_visibility,
        PublicationSetVisibilityInput,
        PublicationSetVisibilityPayload,
        permission_classes=ADMINS,
        description="Set who sees a publication. Admins of its coalition; partnership admins"
        " for a partnership-wide one.",
    )
    publication_delete = on_row(
        PUBLICATION,
        service.delete,
        PublicationDeleteInput,
        PublicationDeletePayload,
        permission_classes=WRITE,
        description="Delete a publication.",
        gone=True,
    )
