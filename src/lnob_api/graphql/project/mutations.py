"""Project mutations: create, update, set visibility, archive, delete."""

from __future__ import annotations

from typing import ClassVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.declare.entities import PROJECT
from lnob_api.graphql.context import Info
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
from lnob_api.graphql.ids_input import Versioned
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.mutations import deleted, row_payload, writes
from lnob_api.graphql.permissions import requires
from lnob_api.graphql.project.types import Project
from lnob_api.project import repository as project_repo
from lnob_api.project import service

WRITE = [requires(Scope.DATA_WRITE)]


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


@strawberry.input
class ProjectArchiveInput(Versioned):
    pass


@strawberry.input
class ProjectDeleteInput(Versioned):
    pass


_KINDS = ("Create", "Update", "SetVisibility", "Archive")
ProjectCreatePayload, ProjectUpdatePayload, ProjectSetVisibilityPayload, ProjectArchivePayload = (
    row_payloads(Project, "project", *_KINDS)
)
ProjectDeletePayload = deleted_payload("ProjectDeletePayload")


def _links(value: list[str] | None) -> list[str] | None:
    """Omitted (or null) links stay as they are; a list replaces them."""
    return None if value is strawberry.UNSET else value


_run = row_payload("project", project_repo.PROJECT_BY_ID, Project)


@strawberry.type
class ProjectMutations:
    @writes(
        ProjectCreatePayload,
        _run,
        permission_classes=WRITE,
        description="Create a project. Editors.",
    )
    async def project_create(
        self, info: Info, input: ProjectCreateInput, session: AsyncSession
    ) -> int:
        fields = created(PROJECT, input)
        slug = fields.pop("slug", None)
        made = await service.create(
            session,
            _actor(info),
            coalition_code=input.coalition,
            fields=fields,
            slug=slug,
            visibility=input.visibility,
            target_codes=input.targets,
            group_codes=input.groups,
        )
        return made.id

    project_update = on_row(
        PROJECT,
        service.update,
        ProjectUpdateInput,
        ProjectUpdatePayload,
        _run,
        permission_classes=WRITE,
        description="Edit a project. Editors.",
        edits=True,
        args=lambda i: {"target_codes": _links(i.targets), "group_codes": _links(i.groups)},
    )
    project_set_visibility = on_row(
        PROJECT,
        service.set_visibility,
        ProjectSetVisibilityInput,
        ProjectSetVisibilityPayload,
        _run,
        permission_classes=[requires(Scope.COALITION_ADMIN)],
        description="Set who sees a project. Coalition admins only.",
        args=lambda i: {"visibility": i.visibility},
    )
    project_archive = on_row(
        PROJECT,
        service.archive,
        ProjectArchiveInput,
        ProjectArchivePayload,
        _run,
        permission_classes=WRITE,
        description="Archive a project: it becomes COMPLETED; its datasets and history stay.",
    )
    project_delete = on_row(
        PROJECT,
        service.delete,
        ProjectDeleteInput,
        ProjectDeletePayload,
        deleted,
        permission_classes=WRITE,
        description="Delete a project without datasets (archive one that has datasets).",
        gone=True,
    )
