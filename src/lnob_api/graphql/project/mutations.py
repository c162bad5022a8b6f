"""Project mutations: create, update, set visibility, archive, delete."""

from __future__ import annotations

from typing import ClassVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.declare.entities import PROJECT
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import Declared, create_input, created, update_input, updated
from lnob_api.graphql.enums import Visibility
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import UserError, deleted, named, row_payload, writes
from lnob_api.graphql.mutations import actor as _actor
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
class ProjectSetVisibilityInput:
    id: strawberry.ID
    row_version: int
    visibility: Visibility


@strawberry.input
class ProjectArchiveInput:
    id: strawberry.ID
    row_version: int


@strawberry.input
class ProjectDeleteInput:
    id: strawberry.ID
    row_version: int


@strawberry.type
class ProjectPayload:
    project: Project | None = strawberry.field(description="The project after the change.")
    user_errors: list[UserError]


ProjectCreatePayload = named(ProjectPayload, "ProjectCreatePayload")
ProjectUpdatePayload = named(ProjectPayload, "ProjectUpdatePayload")
ProjectSetVisibilityPayload = named(ProjectPayload, "ProjectSetVisibilityPayload")
ProjectArchivePayload = named(ProjectPayload, "ProjectArchivePayload")


@strawberry.type
class ProjectDeletePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


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

    @writes(
        ProjectUpdatePayload,
        _run,
        permission_classes=WRITE,
        description="Edit a project. Editors.",
    )
    async def project_update(
        self, info: Info, input: ProjectUpdateInput, session: AsyncSession
    ) -> int:
        change = updated(PROJECT, input)
        done = await service.update(
            session,
            _actor(info),
            project_id=change.pk,
            row_version=change.row_version,
            fields=change.fields,
            target_codes=_links(input.targets),
            group_codes=_links(input.groups),
        )
        return done.id

    @writes(
        ProjectSetVisibilityPayload,
        _run,
        permission_classes=[requires(Scope.COALITION_ADMIN)],
        description="Set who sees a project. Coalition admins only.",
    )
    async def project_set_visibility(
        self, info: Info, input: ProjectSetVisibilityInput, session: AsyncSession
    ) -> int:
        done = await service.set_visibility(
            session,
            _actor(info),
            project_id=pk_of(input.id, "Project", "id"),
            row_version=input.row_version,
            visibility=input.visibility,
        )
        return done.id

    @writes(
        ProjectArchivePayload,
        _run,
        permission_classes=WRITE,
        description="Archive a project: it becomes COMPLETED; its datasets and history stay.",
    )
    async def project_archive(
        self, info: Info, input: ProjectArchiveInput, session: AsyncSession
    ) -> int:
        done = await service.archive(
            session,
            _actor(info),
            project_id=pk_of(input.id, "Project", "id"),
            row_version=input.row_version,
        )
        return done.id

    @writes(
        ProjectDeletePayload,
        deleted,
        permission_classes=WRITE,
        description="Delete a project without datasets (archive one that has datasets).",
    )
    async def project_delete(
        self, info: Info, input: ProjectDeleteInput, session: AsyncSession
    ) -> strawberry.ID:
        await service.delete(
            session,
            _actor(info),
            project_id=pk_of(input.id, "Project", "id"),
            row_version=input.row_version,
        )
        return input.id
