"""Root fields: projects, project."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.enums import ProjectStatus
from lnob_api.graphql.lookups import by_slug
from lnob_api.graphql.project.types import Project
from lnob_api.project import repository as project_repo


@strawberry.input(description="Conditions on projects; all given ones must hold.")
class ProjectFilter:
    coalition: str | None = strawberry.field(default=None, description="Coalition country code.")
    status: ProjectStatus | None = None
    target: str | None = strawberry.field(default=None, description="SDG target code, e.g. 10.2.")
    group: str | None = strawberry.field(default=None, description="Marginalised group code.")


def _projects(filter: ProjectFilter | None = None) -> Slice:
    f = filter or ProjectFilter()
    return Slice(
        where=project_repo.filters(
            coalition_code=f.coalition,
            status=f.status.value if f.status else None,
            target_code=f.target,
            group_code=f.group,
        )
    )


@strawberry.type
class ProjectQueries:
    projects = connection(
        project_repo.PROJECTS, Project, select=_projects, description="Projects the caller may see."
    )

    project = by_slug(project_repo.PROJECT_BY_SLUG, Project, description="One project by slug.")
