"""A coalition's data projects, with the SDG targets and groups they address."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference
from lnob_api.models.common import DemoFlag, GroupLink, TargetLink, Timestamped, Versioned, link_key
from lnob_api.models.enums import ProjectStatus, Visibility, enum_column


class Project(Timestamped, Versioned, DemoFlag, Base):
    __tablename__ = "projects"

    id: Mapped[int] = identity_key()
    coalition_id: Mapped[int] = reference("coalitions.id", ondelete="RESTRICT")
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = blank_text()
    status: Mapped[ProjectStatus] = enum_column(ProjectStatus, "status", ProjectStatus.ACTIVE)
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    visibility: Mapped[Visibility] = enum_column(Visibility, "visibility", Visibility.PUBLIC)

    __table_args__ = (
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="period_order"
        ),
        sa.CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
        sa.Index("ix_projects_coalition_id_id", "coalition_id", "id"),
    )


class ProjectTarget(TargetLink, Base):
    __tablename__ = "project_targets"

    project_id: Mapped[int] = link_key("projects.id")


class ProjectGroup(GroupLink, Base):
    __tablename__ = "project_groups"

    project_id: Mapped[int] = link_key("projects.id")
