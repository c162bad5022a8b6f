"""Provenance of datasets and observations, target-level observations, country vocabularies

Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lnob_api.migrations import ddl

revision: str = "0006"
down_revision: str | None = "0005"

PRODUCER_TYPES = ("COMMUNITY_DRIVEN", "CITIZEN_GENERATED", "OFFICIAL", "OTHER")
METHODS = (
    "HOUSEHOLD_SURVEY",
    "COMMUNITY_SCORECARD",
    "FOCUS_GROUP",
    "KEY_INFORMANT_INTERVIEW",
    "COMMUNITY_DIALOGUE",
    "CITIZEN_REPORTING",
    "ADMINISTRATIVE",
    "OTHER",
)
SAMPLINGS = ("PURPOSIVE", "CENSUS", "RANDOM", "SNOWBALL", "CONVENIENCE", "OTHER")
ENUMS = {"producer_type": PRODUCER_TYPES, "method": METHODS, "sampling": SAMPLINGS}

DIMENSIONS = [*ddl.BREAKDOWNS, "dimensions"]
KEY_BEFORE = ["dataset_id", "indicator_id", "area_code", "period", *DIMENSIONS]
KEY_AFTER = ["dataset_id", "indicator_id", "target_code", "area_code", "period", *DIMENSIONS]

# The methodology a dataset already declares gives its provenance method where one maps to
# the other; MIXED and OTHER say nothing precise, so they stay NULL (not recorded).
BACKFILL_METHOD = """
UPDATE datasets SET method = CASE methodology
    WHEN 'ADMINISTRATIVE_DATA' THEN 'ADMINISTRATIVE'
    WHEN 'MIXED' THEN NULL
    WHEN 'OTHER' THEN NULL
    ELSE methodology END
"""

REFUSE_LOSING_TARGET_ROWS = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM observations WHERE indicator_id IS NULL) THEN
        RAISE EXCEPTION 'target-level observations exist; delete them before downgrading';
    END IF;
END $$
"""


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _provenance_columns(table: str) -> None:
    for column, values in ENUMS.items():
        op.add_column(
            table, sa.Column(column, sa.String(length=max(map(len, values))), nullable=True)
        )
        op.create_check_constraint(op.f(f"ck_{table}_{column}"), table, _in(column, values))
    op.add_column(table, sa.Column("sampling_note", sa.Text(), nullable=True))
    op.add_column(table, sa.Column("washington_group", sa.Boolean(), nullable=True))


def _drop_provenance_columns(table: str) -> None:
    for column in ("washington_group", "sampling_note", *reversed(list(ENUMS))):
        op.drop_column(table, column)  # their CHECK constraints go with them


def upgrade() -> None:
    ddl.keyed_table(
        "quality_criteria",
        sa.Column("coalition_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        ddl.blank_text("description"),
        *ddl.timestamps(),
        ddl.row_version(),
        ddl.check("quality_criteria", "code_format", "code ~ '^[A-Z0-9][A-Z0-9_.-]*$'"),
        ddl.foreign_key("quality_criteria", "coalition_id", "coalitions.id", ondelete="CASCADE"),
        sa.UniqueConstraint(
            "coalition_id", "code", name=op.f("uq_quality_criteria_coalition_id_code")
        ),
    )
    ddl.link_table(
        "dataset_quality_criteria",
        ddl.DATASET,
        ddl.Reference("criterion_id", "quality_criteria.id", "RESTRICT"),
    )

    # Datasets: provenance (NULL = not recorded) and the SDG framework version.
    _provenance_columns("datasets")
    op.add_column("datasets", sa.Column("sample_size", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_datasets_sample_size"), "datasets", "sample_size IS NULL OR sample_size >= 0"
    )
    op.add_column(
        "datasets",
        sa.Column(
            "sdg_framework_version", sa.String(length=20), server_default="2025", nullable=False
        ),
    )
    op.execute(BACKFILL_METHOD)

    # Observations: provenance overrides (NULL = inherit), and target-level values.
    _provenance_columns("observations")
    op.add_column("observations", sa.Column("target_code", sa.String(length=10), nullable=True))
    op.create_foreign_key(
        op.f("fk_observations_target_code_sdg_targets"),
        "observations",
        "sdg_targets",
        ["target_code"],
        ["code"],
        ondelete="RESTRICT",
    )
    op.alter_column("observations", "indicator_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_check_constraint(
        op.f("ck_observations_indicator_or_target"),
        "observations",
        "num_nonnulls(indicator_id, target_code) = 1",
    )
    op.drop_constraint("uq_observations_key", "observations", type_="unique")
    op.create_unique_constraint(
        "uq_observations_key", "observations", KEY_AFTER, postgresql_nulls_not_distinct=True
    )
    ddl.keyset_index("observations", "target_code")

    # Marginalised groups: the coalition's mapping to standard dimensions; optimistic locking.
    op.add_column(
        "marginalised_groups",
        sa.Column("maps_to", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_check_constraint(
        op.f("ck_marginalised_groups_maps_to_array"),
        "marginalised_groups",
        "maps_to IS NULL OR jsonb_typeof(maps_to) = 'array'",
    )
    op.add_column(
        "marginalised_groups",
        ddl.row_version(),
    )


def downgrade() -> None:
    op.drop_column("marginalised_groups", "row_version")
    op.drop_column("marginalised_groups", "maps_to")

    # Target-level rows cannot exist without indicator_id; refuse rather than delete data.
    op.execute(REFUSE_LOSING_TARGET_ROWS)
    ddl.drop_keyset_index("observations", "target_code")
    op.drop_constraint("uq_observations_key", "observations", type_="unique")
    op.create_unique_constraint("uq_observations_key", "observations", KEY_BEFORE)
    op.drop_constraint(op.f("ck_observations_indicator_or_target"), "observations", type_="check")
    op.alter_column("observations", "indicator_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_column("observations", "target_code")  # its foreign key goes with it
    _drop_provenance_columns("observations")

    op.drop_column("datasets", "sdg_framework_version")
    op.drop_column("datasets", "sample_size")
    _drop_provenance_columns("datasets")

    ddl.drop_link_table("dataset_quality_criteria", "criterion_id")
    op.drop_table("quality_criteria")
