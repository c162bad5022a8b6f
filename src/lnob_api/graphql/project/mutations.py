"""Project mutations: create, update, set visibility, archive, delete."""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry

from lnob_api.declare.entities import PROJECT
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
from lnob_api.graphql.ids_input import Versioned, row_input
from lnob_api.graphql.mutations import COALITION_ADMIN, WRITE, calls
from lnob_api.graphql.project.types import Project
from lnob_api.project import service


@strawberry.input(description="A new project of a coalition.")
@create_input(PROJECT)  # the declared fields (declare.entities) where ``declared`` stands
class ProjectCreateInput:
    coalition: str = strawberry.field(description="Country code of the owning coalition.")
    declared: ClassVar[Declared]
    visibility: Visibility | None = strawberry.field(
        default=None, description="Default COALITION; other levels need a coalition admin."
    )
    targets: list[str] | None = strawberry.field(
        default=None, description="SDG target codes it addresses."
    )
    groups: list[str] | None = strawberry.field(
        default=None, description="Marginalised group codes it is concerned with."
    )


@strawberry.input(description="Changes to a project; omitted fields stay as they are.")
@update_input(PROJECT)
class ProjectUpdateInput:
    targets: list[str] | None = strawberry.UNSET
    groups: list[str] | None = strawberry.UNSET


@strawberry.input
class ProjectSetVisibilityInput(Versioned):
    visibility: Visibility


ProjectArchiveInput = row_input("ProjectArchiveInput")


ProjectDeleteInput = row_input("ProjectDeleteInput")


_KINDS = ("Create", "Update", "SetVisibility", "Archive")
ProjectCreatePayload, ProjectUpdatePayload, ProjectSetVisibilityPayload, ProjectArchivePayload = (
    row_payloads(Project, "project", *_KINDS)
)
ProjectDeletePayload = deleted_payload("ProjectDeletePayload")


def _slugged(fields: dict[str, Any]) -> dict[str, Any]:
    """A create input's declared fields, its slug apart (none: from the name)."""
    slug = fields.pop("slug", None)
    return {"fields": fields, "slug": slug}


@strawberry.type
class ProjectMutations:
    project_create = calls(
        service.create,
        ProjectCreateInput,
        ProjectCreatePayload,
        permission_classes=WRITE,
        description="Create a project. Editors.",
        args=lambda i: _slugged(created(PROJECT, i)),
    )

    project_update = on_row(
        PROJECT,
        service.update,
        ProjectUpdateInput,
        ProjectUpdatePayload,
        permission_classes=WRITE,
        description="Edit a project. Editors.",
        edits=True,
    )
    project_set_visibility = on_row(
        PROJECT,
        service.set_visibility,
        ProjectSetVisibilityInput,
        ProjectSetVisibilityPayload,
        permission_classes=COALITION_ADMIN,
        description="Set who sees a project. Coalition admins only.",
    )
    project_archive = on_row(
        PROJECT,
        service.archive,
        ProjectArchiveInput,
        ProjectArchivePayload,
        permission_classes=WRITE,
        description="Archive a project: it becomes COMPLETED; its datasets and history stay.",
    )
    project_delete = on_row(
        PROJECT,
        service.delete,
        ProjectDeleteInput,
        ProjectDeletePayload,
        permission_classes=WRITE,
        description="Delete a project without datasets (archive one that has datasets).",
        gone=True,
    )
