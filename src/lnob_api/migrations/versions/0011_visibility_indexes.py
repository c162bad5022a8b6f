"""Indexes that keep visibility predicates fast when most rows are invisible

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Observation reads find rows through ``dataset_id = ANY(<datasets the caller reads>)``
(``access.visibility.observation_visible``). Leading with the dataset, this index answers that
condition together with the usual indicator, area and period filters in one index scan, so
counts and pages never visit the index entries of datasets the caller cannot read (drafts,
other coalitions' data); the (indicator, area, period) index alone walks all of them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_observations_dataset_indicator_area",
        "observations",
        ["dataset_id", "indicator_id", "area_code", "period_start"],
    )


def downgrade() -> None:
    op.drop_index("ix_observations_dataset_indicator_area", table_name="observations")
