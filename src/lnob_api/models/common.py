"""Columns shared by most tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from lnob_api.models.columns import stamped


class Timestamped:
    created_at: Mapped[datetime] = stamped()
    updated_at: Mapped[datetime] = stamped()


class Versioned:
    """``row_version`` backs optimistic concurrency for admin edits."""

    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")


class DemoFlag:
    """Rows from the demo seed set are flagged so they can be found and removed."""

    is_demo: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())


def link_key(
    target: str, *, ondelete: str = "CASCADE", index: bool | None = None
) -> MappedColumn[Any]:
    """One half of a link table's composite primary key: a foreign key to ``target``
    (``"table.column"``). The second half is indexed, so that links are found from either side."""
    return mapped_column(sa.ForeignKey(target, ondelete=ondelete), primary_key=True, index=index)


class TargetLink:
    """The SDG-target side of a link table (projects, publications, recommendations to the
    targets they address): a target in use cannot be deleted. Its column follows the owner's."""

    target_code: Mapped[str] = link_key("sdg_targets.code", ondelete="RESTRICT", index=True)


class GroupLink:
    """The marginalised-group side of a link table (projects and datasets to the groups they
    are about): a group in use cannot be deleted. Its column follows the owner's."""

    group_id: Mapped[int] = link_key("marginalised_groups.id", ondelete="RESTRICT", index=True)


class _Editable(Protocol):
    row_version: int
    updated_at: datetime


def mark_edited(row: _Editable) -> None:
    """Record an edit on ``row``: its row version (for optimistic locking) goes up by one and
    ``updated_at`` becomes now."""
    row.row_version += 1
    row.updated_at = datetime.now(UTC)
