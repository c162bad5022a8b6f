"""Indexes that keep visibility predicates fast when most rows are invisible

Create Date: 2026-12-01

Observation reads find rows through ``dataset_id = ANY(<datasets the caller reads>)``
(``access.visibility.observation_visible``). Leading with the dataset, this index answers that
condition together with the usual indicator, area and period filters in one index scan, so
counts and pages never visit the index entries of datasets the caller cannot read (drafts,
other coalitions' data); the (indicator, area, period) index alone walks all of them.
"""

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"


def upgrade() -> None:
    op.create_index(
        "ix_observations_dataset_indicator_area",
        "observations",
        ["dataset_id", "indicator_id", "area_code", "period_start"],
    )


def downgrade() -> None:
    op.drop_index("ix_observations_dataset_indicator_area", table_name="observations")
