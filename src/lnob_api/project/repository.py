"""Projects: scoped source, relations and filters."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.coalition.repository import coalition_coded
from lnob_api.domain_kit.sql import linked_to_target
from lnob_api.models.tables import marginalised_groups as groups
from lnob_api.models.tables import project_groups, project_targets, projects
from lnob_api.read.relations import Source, Through, ToMany, ToOne, order_by, scoped_by

PROJECTS = Source(
    "Project", projects, scoped_by(projects, visibility.project_visible), order_by(projects, "id")
)
PROJECT_BY_ID = ToOne(PROJECTS)
PROJECT_BY_SLUG = ToOne(PROJECTS, key="slug")
PROJECTS_BY_COALITION = ToMany(PROJECTS, "coalition_id")
PROJECTS_BY_TARGET = Through(PROJECTS, project_targets, "target_code", "project_id")
PROJECTS_BY_GROUP = Through(PROJECTS, project_groups, "group_id", "project_id")


def filters(
    *,
    coalition_code: str | None = None,
    status: str | None = None,
    target_code: str | None = None,
    group_code: str | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the ``projects`` list filter."""
    where: list[ColumnElement[Any]] = []
    if coalition_code is not None:
        where.append(coalition_coded(projects.c.coalition_id, coalition_code))
    if status is not None:
        where.append(projects.c.status == status)
    if target_code is not None:
        where.append(linked_to_target(projects.c.id, project_targets, "project_id", target_code))
    if group_code is not None:
        where.append(
            projects.c.id.in_(
                sa.select(project_groups.c.project_id)
                .join(groups, groups.c.id == project_groups.c.group_id)
                .where(groups.c.code == group_code)
            )
        )
    return where
