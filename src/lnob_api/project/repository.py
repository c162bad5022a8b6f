"""Projects: scoped source, relations and filters."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.declare.conditions import Conditions, coalition_coded, equal, linked_to_target
from lnob_api.declare.entities import PROJECT
from lnob_api.domain_kit.sql import oldest_first
from lnob_api.models.tables import marginalised_groups as groups
from lnob_api.models.tables import project_groups, project_targets, projects
from lnob_api.read.relations import Through, ToMany, ToOne

PROJECTS = oldest_first("Project", projects, visibility.project_visible)
PROJECT_BY_ID = ToOne(PROJECTS)
PROJECT_BY_SLUG = ToOne(PROJECTS, key="slug")
PROJECTS_BY_COALITION = ToMany(PROJECTS, "coalition_id")
PROJECTS_BY_TARGET = Through(PROJECTS, project_targets, "target_code", "project_id")
PROJECTS_BY_GROUP = Through(PROJECTS, project_groups, "group_id", "project_id")


def _in_group(code: str) -> ColumnElement[bool]:
    return projects.c.id.in_(
        sa.select(project_groups.c.project_id)
        .join(groups, groups.c.id == project_groups.c.group_id)
        .where(groups.c.code == code)
    )


# The ``projects`` list filter (all given conditions must hold).
filters = Conditions(
    coalition_code=coalition_coded(projects.c.coalition_id),
    status=equal(projects.c.status),
    target_code=linked_to_target(projects.c.id, project_targets, "project_id"),
    group_code=_in_group,
    **PROJECT.conditions.conditions,
)
