"""Scorecards, recommendations and official reference values

Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from lnob_api.migrations import ddl

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    ddl.keyed_table(
        "official_values",
        sa.Column("indicator_id", sa.BigInteger(), nullable=True),
        sa.Column("target_code", sa.String(length=10), nullable=True),
        sa.Column("area_code", sa.String(length=40), nullable=False),
        *ddl.period(),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=80), server_default="", nullable=False),
        *ddl.breakdowns(),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("source_url", sa.String(length=1000), nullable=True),
        sa.Column("retrieved_on", sa.Date(), nullable=True),
        ddl.blank_text("note"),
        *ddl.timestamps(),
        ddl.check("official_values", "period_format", f"period ~ '{ddl.PERIOD_PATTERN}'"),
        ddl.check(
            "official_values", "indicator_or_target", "num_nonnulls(indicator_id, target_code) = 1"
        ),
        ddl.check("official_values", "period_order", "period_end >= period_start"),
        ddl.foreign_key("official_values", "area_code", "areas.code", ondelete="RESTRICT"),
        ddl.foreign_key("official_values", "indicator_id", "indicators.id", ondelete="RESTRICT"),
        ddl.foreign_key("official_values", "target_code", "sdg_targets.code", ondelete="RESTRICT"),
        sa.UniqueConstraint(
            "indicator_id",
            "target_code",
            "area_code",
            "period",
            *ddl.BREAKDOWNS,
            "source_name",
            name="uq_official_values_key",
            postgresql_nulls_not_distinct=True,
        ),
    )
    ddl.index("official_values", "area_code")
    op.create_index(
        "ix_official_values_indicator_area_period",
        "official_values",
        ["indicator_id", "area_code", "period_start"],
        unique=False,
    )
    ddl.index("official_values", "target_code")
    ddl.keyed_table(
        "recommendations",
        sa.Column("coalition_id", sa.BigInteger(), nullable=False),
        sa.Column("publication_id", sa.BigInteger(), nullable=True),
        sa.Column("dataset_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("authority_name", sa.String(length=300), nullable=False),
        sa.Column(
            "authority_level",
            ddl.text_enum("authority_level", "NATIONAL", "SUBNATIONAL", "LOCAL"),
            nullable=False,
        ),
        sa.Column("authority_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "status",
            ddl.text_enum(
                "status", "OPEN", "ACKNOWLEDGED", "IN_PROGRESS", "IMPLEMENTED", "REJECTED"
            ),
            server_default="OPEN",
            nullable=False,
        ),
        ddl.visibility("COALITION"),
        *ddl.timestamps(),
        ddl.row_version(),
        ddl.check(
            "recommendations",
            "publication_or_dataset",
            "num_nonnulls(publication_id, dataset_id) > 0",
        ),
        ddl.foreign_key(
            "recommendations", "authority_organisation_id", "organisations.id", ondelete="RESTRICT"
        ),
        ddl.foreign_key("recommendations", "coalition_id", "coalitions.id", ondelete="RESTRICT"),
        ddl.foreign_key("recommendations", "dataset_id", "datasets.id", ondelete="RESTRICT"),
        ddl.foreign_key(
            "recommendations", "publication_id", "publications.id", ondelete="RESTRICT"
        ),
    )
    ddl.index("recommendations", "authority_organisation_id")
    ddl.keyset_index("recommendations", "coalition_id")
    ddl.index("recommendations", "dataset_id", "publication_id")
    ddl.keyed_table(
        "scorecards",
        sa.Column("coalition_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=True),
        sa.Column("dataset_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        ddl.blank_text("description"),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("area_code", sa.String(length=40), nullable=False),
        *ddl.period(),
        sa.Column("facilitator_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("scale_min", sa.Double(), server_default="1", nullable=False),
        sa.Column("scale_max", sa.Double(), server_default="5", nullable=False),
        ddl.visibility("COALITION"),
        *ddl.timestamps(),
        ddl.row_version(),
        *ddl.period_checks("scorecards"),
        ddl.check("scorecards", "scale_order", "scale_max > scale_min"),
        ddl.foreign_key("scorecards", "area_code", "areas.code", ondelete="RESTRICT"),
        ddl.foreign_key("scorecards", "coalition_id", "coalitions.id", ondelete="RESTRICT"),
        ddl.foreign_key("scorecards", "dataset_id", "datasets.id", ondelete="RESTRICT"),
        ddl.foreign_key(
            "scorecards", "facilitator_organisation_id", "organisations.id", ondelete="RESTRICT"
        ),
        ddl.foreign_key("scorecards", "project_id", "projects.id", ondelete="RESTRICT"),
    )
    ddl.index("scorecards", "area_code")
    ddl.keyset_index("scorecards", "coalition_id")
    ddl.index("scorecards", "dataset_id", "facilitator_organisation_id", "project_id")
    ddl.keyed_table(
        "recommendation_responses",
        sa.Column("recommendation_id", sa.BigInteger(), nullable=False),
        sa.Column("responded_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        ddl.blank_text("commitment"),
        sa.Column("responder_name", sa.String(length=300), nullable=False),
        sa.Column("responder_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_client_id", sa.String(length=64), nullable=True),
        ddl.stamped("created_at"),
        ddl.foreign_key(
            "recommendation_responses",
            "recommendation_id",
            "recommendations.id",
            ondelete="CASCADE",
        ),
        ddl.foreign_key(
            "recommendation_responses", "recorded_by_user_id", "users.id", ondelete="SET NULL"
        ),
        ddl.foreign_key(
            "recommendation_responses",
            "responder_organisation_id",
            "organisations.id",
            ondelete="RESTRICT",
        ),
    )
    ddl.keyset_index("recommendation_responses", "recommendation_id")
    ddl.index("recommendation_responses", "responder_organisation_id")
    ddl.link_table(
        "recommendation_targets",
        ddl.Reference("recommendation_id", "recommendations.id", "CASCADE"),
        ddl.TARGET,
    )
    ddl.keyed_table(
        "scorecard_criteria",
        sa.Column("scorecard_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        ddl.blank_text("description"),
        sa.Column("target_code", sa.String(length=10), nullable=False),
        sa.Column("indicator_id", sa.BigInteger(), nullable=True),
        ddl.stamped("created_at"),
        ddl.foreign_key("scorecard_criteria", "indicator_id", "indicators.id", ondelete="RESTRICT"),
        ddl.foreign_key("scorecard_criteria", "scorecard_id", "scorecards.id", ondelete="CASCADE"),
        ddl.foreign_key(
            "scorecard_criteria", "target_code", "sdg_targets.code", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("scorecard_id", "label", name="uq_scorecard_criteria_label"),
        sa.UniqueConstraint("scorecard_id", "position", name="uq_scorecard_criteria_position"),
    )
    ddl.index("scorecard_criteria", "indicator_id", "target_code")
    ddl.keyed_table(
        "scorecard_rounds",
        sa.Column("scorecard_id", sa.BigInteger(), nullable=False),
        *ddl.period(),
        sa.Column("held_on", sa.Date(), nullable=True),
        ddl.blank_text("note"),
        ddl.stamped("created_at"),
        *ddl.period_checks("scorecard_rounds"),
        ddl.foreign_key("scorecard_rounds", "scorecard_id", "scorecards.id", ondelete="CASCADE"),
        sa.UniqueConstraint("scorecard_id", "period", name="uq_scorecard_rounds_period"),
    )
    ddl.keyed_table(
        "recommendation_status_changes",
        sa.Column("recommendation_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            ddl.text_enum(
                "status", "OPEN", "ACKNOWLEDGED", "IN_PROGRESS", "IMPLEMENTED", "REJECTED"
            ),
            nullable=False,
        ),
        sa.Column("changed_on", sa.Date(), nullable=False),
        ddl.blank_text("note"),
        sa.Column("response_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_client_id", sa.String(length=64), nullable=True),
        ddl.stamped("recorded_at", clock="clock_timestamp()"),
        ddl.foreign_key(
            "recommendation_status_changes",
            "recommendation_id",
            "recommendations.id",
            ondelete="CASCADE",
        ),
        ddl.foreign_key(
            "recommendation_status_changes", "recorded_by_user_id", "users.id", ondelete="SET NULL"
        ),
        ddl.foreign_key(
            "recommendation_status_changes",
            "response_id",
            "recommendation_responses.id",
            ondelete="SET NULL",
        ),
    )
    ddl.keyset_index("recommendation_status_changes", "recommendation_id")
    ddl.index("recommendation_status_changes", "response_id")
    ddl.keyed_table(
        "scorecard_actions",
        sa.Column("scorecard_id", sa.BigInteger(), nullable=False),
        sa.Column("criterion_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_name", sa.String(length=300), server_default="", nullable=False),
        sa.Column("owner_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            ddl.text_enum("status", "OPEN", "IN_PROGRESS", "DONE", "DROPPED"),
            server_default="OPEN",
            nullable=False,
        ),
        *ddl.timestamps(),
        ddl.row_version(),
        ddl.check(
            "scorecard_actions",
            "has_owner",
            "owner_name <> '' OR owner_organisation_id IS NOT NULL",
        ),
        ddl.foreign_key(
            "scorecard_actions", "criterion_id", "scorecard_criteria.id", ondelete="SET NULL"
        ),
        ddl.foreign_key(
            "scorecard_actions", "owner_organisation_id", "organisations.id", ondelete="RESTRICT"
        ),
        ddl.foreign_key("scorecard_actions", "scorecard_id", "scorecards.id", ondelete="CASCADE"),
    )
    ddl.index("scorecard_actions", "criterion_id", "owner_organisation_id")
    ddl.keyset_index("scorecard_actions", "scorecard_id")
    ddl.link_table(
        "scorecard_scores",
        ddl.Reference("round_id", "scorecard_rounds.id", "CASCADE"),
        ddl.Reference("criterion_id", "scorecard_criteria.id", "CASCADE"),
        sa.Column("community_score", sa.Double(), nullable=True),
        sa.Column("provider_score", sa.Double(), nullable=True),
        sa.Column("agreed_score", sa.Double(), nullable=True),
        ddl.blank_text("note"),
        ddl.check(
            "scorecard_scores",
            "some_score",
            "num_nonnulls(community_score, provider_score, agreed_score) > 0",
        ),
    )


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints; children first.
    op.drop_table("scorecard_scores")
    op.drop_table("scorecard_actions")
    op.drop_table("recommendation_status_changes")
    op.drop_table("scorecard_rounds")
    op.drop_table("scorecard_criteria")
    op.drop_table("recommendation_targets")
    op.drop_table("recommendation_responses")
    op.drop_table("scorecards")
    op.drop_table("recommendations")
    op.drop_table("official_values")
