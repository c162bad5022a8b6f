"""Root fields: projects, project."""

from __future__ import annotations

import strawberry

from lnob_api.declare.entities import PROJECT
from lnob_api.graphql.connections import connection, filtered
from lnob_api.graphql.declared import filters
from lnob_api.graphql.enums import ProjectStatus
from lnob_api.graphql.lookups import by_slug
from lnob_api.graphql.project.types import Project
from lnob_api.project import repository as project_repo


@strawberry.input(description="Conditions on projects; all given ones must hold.")
@filters(PROJECT)  # then the declared ones (declare.entities)
class ProjectFilter:
    coalition: str | None = strawberry.field(default=None, description="Coalition country code.")
    status: ProjectStatus | None = None
    target: str | None = strawberry.field(default=None, description="SDG target code, e.g. 10.2.")
    group: str | None = strawberry.field(default=None, description="Marginalised group code.")


_projects = filtered(project_repo.filters, ProjectFilter)


@strawberry.type
class ProjectQueries:
    projects = connection(
        project_repo.PROJECTS, Project, select=_projects, description="Projects the caller may see."
    )

    project = by_slug(project_repo.PROJECT_BY_SLUG, Project, description="One project by slug.")
