"""Community validation, embargo, consent and metadata-only visibility

Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lnob_api.migrations import ddl

revision: str = "0008"
down_revision: str | None = "0007"

STATUSES_BEFORE = "'DRAFT', 'PUBLISHED', 'RETRACTED'"
STATUSES_AFTER = "'DRAFT', 'COMMUNITY_VALIDATED', 'PUBLISHED', 'RETRACTED'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_datasets_status"), "datasets", type_="check")
    op.create_check_constraint(
        op.f("ck_datasets_status"), "datasets", f"status IN ({STATUSES_AFTER})"
    )
    op.drop_constraint(op.f("ck_datasets_published_at"), "datasets", type_="check")
    op.create_check_constraint(
        op.f("ck_datasets_published_at"),
        "datasets",
        "status IN ('DRAFT', 'COMMUNITY_VALIDATED') OR published_at IS NOT NULL",
    )
    op.alter_column("datasets", "status", type_=sa.String(length=19))
    op.add_column("datasets", sa.Column("release_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("datasets", sa.Column("metadata_visibility", sa.String(length=11), nullable=True))
    op.create_check_constraint(
        op.f("ck_datasets_metadata_visibility"),
        "datasets",
        "metadata_visibility IN ('PUBLIC', 'PARTNERSHIP', 'COALITION')",
    )
    op.add_column(
        "coalitions",
        sa.Column(
            "requires_community_validation", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    ddl.keyed_table(
        "dataset_validations",
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=18), nullable=False),
        sa.Column("validated_by", sa.Text(), nullable=False),
        sa.Column("validated_on", sa.Date(), nullable=False),
        ddl.blank_text("note"),
        sa.Column("recorded_by_user_id", sa.BigInteger(), nullable=True),
        ddl.stamped("created_at"),
        ddl.check(
            "dataset_validations",
            "method",
            "method IN ('VALIDATION_MEETING', 'CALL_BACK', 'COMMUNITY_REVIEW', 'OTHER')",
        ),
        ddl.foreign_key("dataset_validations", "dataset_id", "datasets.id", ondelete="CASCADE"),
        ddl.foreign_key(
            "dataset_validations", "recorded_by_user_id", "users.id", ondelete="SET NULL"
        ),
    )
    ddl.index("dataset_validations", "dataset_id")
    ddl.keyed_table(
        "consents",
        sa.Column("lineage_id", sa.BigInteger(), nullable=False),
        sa.Column("coalition_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=14), nullable=False),
        sa.Column(
            "agency_ids", postgresql.ARRAY(sa.BigInteger()), server_default="{}", nullable=False
        ),
        sa.Column("obtained_on", sa.Date(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        ddl.blank_text("note"),
        ddl.row_version(),
        ddl.stamped("created_at"),
        ddl.check(
            "consents", "withdrawal_reason", "(withdrawn_at IS NULL) = (withdrawal_reason IS NULL)"
        ),
        ddl.check(
            "consents", "agencies_named", "scope = 'NAMED_AGENCIES' OR cardinality(agency_ids) = 0"
        ),
        ddl.check("consents", "scope", "scope IN ('PUBLIC', 'PARTNERSHIP', 'NAMED_AGENCIES')"),
        ddl.foreign_key("consents", "lineage_id", "datasets.id", ondelete="CASCADE"),
        ddl.foreign_key("consents", "coalition_id", "coalitions.id", ondelete="CASCADE"),
    )
    ddl.index("consents", "lineage_id", "coalition_id")


def downgrade() -> None:
    op.drop_table("consents")
    op.drop_table("dataset_validations")
    op.drop_column("coalitions", "requires_community_validation")
    op.drop_constraint(op.f("ck_datasets_metadata_visibility"), "datasets", type_="check")
    op.drop_column("datasets", "metadata_visibility")
    op.drop_column("datasets", "release_at")
    op.execute("UPDATE datasets SET status = 'DRAFT' WHERE status = 'COMMUNITY_VALIDATED'")
    op.drop_constraint(op.f("ck_datasets_published_at"), "datasets", type_="check")
    op.create_check_constraint(
        op.f("ck_datasets_published_at"), "datasets", "status = 'DRAFT' OR published_at IS NOT NULL"
    )
    op.drop_constraint(op.f("ck_datasets_status"), "datasets", type_="check")
    op.create_check_constraint(
        op.f("ck_datasets_status"), "datasets", f"status IN ({STATUSES_BEFORE})"
    )
    op.alter_column("datasets", "status", type_=sa.String(length=9))
