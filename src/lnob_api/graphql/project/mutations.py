"""Project mutations: create, update, set visibility, archive, delete."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.graphql.context import Info
from lnob_api.graphql.enums import ProjectStatus, Visibility
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import UserError, deleted, named, row_payload, writes
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.permissions import requires
from lnob_api.graphql.project.types import Project
from lnob_api.project import repository as project_repo
from lnob_api.project import service

WRITE = [requires(Scope.DATA_WRITE)]
FIELDS = ("title", "description", "status", "start_date", "end_date")


@strawberry.input(description="A new project of a coalition.")
class ProjectCreateInput:
    coalition: str = strawberry.field(description="Country code of the owning coalition.")
    title: str
    slug: str | None = strawberry.field(default=None, description="Default: from the title.")
    description: str | None = None
    status: ProjectStatus | None = strawberry.field(default=None, description="Default ACTIVE.")
    start_date: date | None = None
    end_date: date | None = None
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
class ProjectUpdateInput:
    id: strawberry.ID
    row_version: int = strawberry.field(description="The rowVersion you read.")
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: ProjectStatus | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
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


def _fields(data: Any) -> dict[str, Any]:
    return {n: getattr(data, n) for n in FIELDS if getattr(data, n) is not strawberry.UNSET}


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
        created = await service.create(
            session,
            _actor(info),
            coalition_code=input.coalition,
            fields={k: v for k, v in _fields(input).items() if v is not None or k == "title"},
            slug=input.slug,
            visibility=input.visibility,
            target_codes=input.targets,
            group_codes=input.groups,
        )
        return created.id

    @writes(
        ProjectUpdatePayload,
        _run,
        permission_classes=WRITE,
        description="Edit a project. Editors.",
    )
    async def project_update(
        self, info: Info, input: ProjectUpdateInput, session: AsyncSession
    ) -> int:
        updated = await service.update(
            session,
            _actor(info),
            project_id=pk_of(input.id, "Project", "id"),
            row_version=input.row_version,
            fields=_fields(input),
            target_codes=_links(input.targets),
            group_codes=_links(input.groups),
        )
        return updated.id

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
