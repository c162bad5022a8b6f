"""Scorecards, recommendations and official reference values

Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from lnob_api.migrations.ddl import (
    BREAKDOWNS,
    PERIOD_PATTERN,
    Reference,
    blank_text,
    breakdowns,
    check,
    foreign_key,
    identity,
    index,
    keyset_index,
    link_table,
    period,
    period_checks,
    primary_key,
    row_version,
    stamped,
    text_enum,
    timestamps,
    visibility,
)

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    op.create_table(
        "official_values",
        identity(),
        sa.Column("indicator_id", sa.BigInteger(), nullable=True),
        sa.Column("target_code", sa.String(length=10), nullable=True),
        sa.Column("area_code", sa.String(length=40), nullable=False),
        *period(),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=80), server_default="", nullable=False),
        *breakdowns(),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("source_url", sa.String(length=1000), nullable=True),
        sa.Column("retrieved_on", sa.Date(), nullable=True),
        blank_text("note"),
        *timestamps(),
        check("official_values", "period_format", f"period ~ '{PERIOD_PATTERN}'"),
        check(
            "official_values", "indicator_or_target", "num_nonnulls(indicator_id, target_code) = 1"
        ),
        check("official_values", "period_order", "period_end >= period_start"),
        foreign_key("official_values", "area_code", "areas.code", ondelete="RESTRICT"),
        foreign_key("official_values", "indicator_id", "indicators.id", ondelete="RESTRICT"),
        foreign_key("official_values", "target_code", "sdg_targets.code", ondelete="RESTRICT"),
        primary_key("official_values", "id"),
        sa.UniqueConstraint(
            "indicator_id",
            "target_code",
            "area_code",
            "period",
            *BREAKDOWNS,
            "source_name",
            name="uq_official_values_key",
            postgresql_nulls_not_distinct=True,
        ),
    )
    index("official_values", "area_code")
    op.create_index(
        "ix_official_values_indicator_area_period",
        "official_values",
        ["indicator_id", "area_code", "period_start"],
        unique=False,
    )
    index("official_values", "target_code")
    op.create_table(
        "recommendations",
        identity(),
        sa.Column("coalition_id", sa.BigInteger(), nullable=False),
        sa.Column("publication_id", sa.BigInteger(), nullable=True),
        sa.Column("dataset_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("authority_name", sa.String(length=300), nullable=False),
        sa.Column(
            "authority_level",
            text_enum("authority_level", "NATIONAL", "SUBNATIONAL", "LOCAL"),
            nullable=False,
        ),
        sa.Column("authority_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "status",
            text_enum("status", "OPEN", "ACKNOWLEDGED", "IN_PROGRESS", "IMPLEMENTED", "REJECTED"),
            server_default="OPEN",
            nullable=False,
        ),
        visibility("COALITION"),
        *timestamps(),
        row_version(),
        check(
            "recommendations",
            "publication_or_dataset",
            "num_nonnulls(publication_id, dataset_id) > 0",
        ),
        foreign_key(
            "recommendations", "authority_organisation_id", "organisations.id", ondelete="RESTRICT"
        ),
        foreign_key("recommendations", "coalition_id", "coalitions.id", ondelete="RESTRICT"),
        foreign_key("recommendations", "dataset_id", "datasets.id", ondelete="RESTRICT"),
        foreign_key("recommendations", "publication_id", "publications.id", ondelete="RESTRICT"),
        primary_key("recommendations", "id"),
    )
    index("recommendations", "authority_organisation_id")
    keyset_index("recommendations", "coalition_id")
    index("recommendations", "dataset_id")
    index("recommendations", "publication_id")
    op.create_table(
        "scorecards",
        identity(),
        sa.Column("coalition_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=True),
        sa.Column("dataset_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        blank_text("description"),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("area_code", sa.String(length=40), nullable=False),
        *period(),
        sa.Column("facilitator_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("scale_min", sa.Double(), server_default="1", nullable=False),
        sa.Column("scale_max", sa.Double(), server_default="5", nullable=False),
        visibility("COALITION"),
        *timestamps(),
        row_version(),
        *period_checks("scorecards"),
        check("scorecards", "scale_order", "scale_max > scale_min"),
        foreign_key("scorecards", "area_code", "areas.code", ondelete="RESTRICT"),
        foreign_key("scorecards", "coalition_id", "coalitions.id", ondelete="RESTRICT"),
        foreign_key("scorecards", "dataset_id", "datasets.id", ondelete="RESTRICT"),
        foreign_key(
            "scorecards", "facilitator_organisation_id", "organisations.id", ondelete="RESTRICT"
        ),
        foreign_key("scorecards", "project_id", "projects.id", ondelete="RESTRICT"),
        primary_key("scorecards", "id"),
    )
    index("scorecards", "area_code")
    keyset_index("scorecards", "coalition_id")
    index("scorecards", "dataset_id")
    index("scorecards", "facilitator_organisation_id")
    index("scorecards", "project_id")
    op.create_table(
        "recommendation_responses",
        identity(),
        sa.Column("recommendation_id", sa.BigInteger(), nullable=False),
        sa.Column("responded_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        blank_text("commitment"),
        sa.Column("responder_name", sa.String(length=300), nullable=False),
        sa.Column("responder_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_client_id", sa.String(length=64), nullable=True),
        stamped("created_at"),
        foreign_key(
            "recommendation_responses",
            "recommendation_id",
            "recommendations.id",
            ondelete="CASCADE",
        ),
        foreign_key(
            "recommendation_responses", "recorded_by_user_id", "users.id", ondelete="SET NULL"
        ),
        foreign_key(
            "recommendation_responses",
            "responder_organisation_id",
            "organisations.id",
            ondelete="RESTRICT",
        ),
        primary_key("recommendation_responses", "id"),
    )
    keyset_index("recommendation_responses", "recommendation_id")
    index("recommendation_responses", "responder_organisation_id")
    link_table(
        "recommendation_targets",
        Reference("recommendation_id", "recommendations.id", "CASCADE"),
        Reference("target_code", "sdg_targets.code", "RESTRICT", code=10),
    )
    op.create_table(
        "scorecard_criteria",
        identity(),
        sa.Column("scorecard_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        blank_text("description"),
        sa.Column("target_code", sa.String(length=10), nullable=False),
        sa.Column("indicator_id", sa.BigInteger(), nullable=True),
        stamped("created_at"),
        foreign_key("scorecard_criteria", "indicator_id", "indicators.id", ondelete="RESTRICT"),
        foreign_key("scorecard_criteria", "scorecard_id", "scorecards.id", ondelete="CASCADE"),
        foreign_key("scorecard_criteria", "target_code", "sdg_targets.code", ondelete="RESTRICT"),
        primary_key("scorecard_criteria", "id"),
        sa.UniqueConstraint("scorecard_id", "label", name="uq_scorecard_criteria_label"),
        sa.UniqueConstraint("scorecard_id", "position", name="uq_scorecard_criteria_position"),
    )
    index("scorecard_criteria", "indicator_id")
    index("scorecard_criteria", "target_code")
    op.create_table(
        "scorecard_rounds",
        identity(),
        sa.Column("scorecard_id", sa.BigInteger(), nullable=False),
        *period(),
        sa.Column("held_on", sa.Date(), nullable=True),
        blank_text("note"),
        stamped("created_at"),
        *period_checks("scorecard_rounds"),
        foreign_key("scorecard_rounds", "scorecard_id", "scorecards.id", ondelete="CASCADE"),
        primary_key("scorecard_rounds", "id"),
        sa.UniqueConstraint("scorecard_id", "period", name="uq_scorecard_rounds_period"),
    )
    op.create_table(
        "recommendation_status_changes",
        identity(),
        sa.Column("recommendation_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            text_enum("status", "OPEN", "ACKNOWLEDGED", "IN_PROGRESS", "IMPLEMENTED", "REJECTED"),
            nullable=False,
        ),
        sa.Column("changed_on", sa.Date(), nullable=False),
        blank_text("note"),
        sa.Column("response_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by_client_id", sa.String(length=64), nullable=True),
        stamped("recorded_at", clock="clock_timestamp()"),
        foreign_key(
            "recommendation_status_changes",
            "recommendation_id",
            "recommendations.id",
            ondelete="CASCADE",
        ),
        foreign_key(
            "recommendation_status_changes", "recorded_by_user_id", "users.id", ondelete="SET NULL"
        ),
        foreign_key(
            "recommendation_status_changes",
            "response_id",
            "recommendation_responses.id",
            ondelete="SET NULL",
        ),
        primary_key("recommendation_status_changes", "id"),
    )
    keyset_index("recommendation_status_changes", "recommendation_id")
    index("recommendation_status_changes", "response_id")
    op.create_table(
        "scorecard_actions",
        identity(),
        sa.Column("scorecard_id", sa.BigInteger(), nullable=False),
        sa.Column("criterion_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_name", sa.String(length=300), server_default="", nullable=False),
        sa.Column("owner_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            text_enum("status", "OPEN", "IN_PROGRESS", "DONE", "DROPPED"),
            server_default="OPEN",
            nullable=False,
        ),
        *timestamps(),
        row_version(),
        check(
            "scorecard_actions",
            "has_owner",
            "owner_name <> '' OR owner_organisation_id IS NOT NULL",
        ),
        foreign_key(
            "scorecard_actions", "criterion_id", "scorecard_criteria.id", ondelete="SET NULL"
        ),
        foreign_key(
            "scorecard_actions", "owner_organisation_id", "organisations.id", ondelete="RESTRICT"
        ),
        foreign_key("scorecard_actions", "scorecard_id", "scorecards.id", ondelete="CASCADE"),
        primary_key("scorecard_actions", "id"),
    )
    index("scorecard_actions", "criterion_id")
    index("scorecard_actions", "owner_organisation_id")
    keyset_index("scorecard_actions", "scorecard_id")
    link_table(
        "scorecard_scores",
        Reference("round_id", "scorecard_rounds.id", "CASCADE"),
        Reference("criterion_id", "scorecard_criteria.id", "CASCADE"),
        sa.Column("community_score", sa.Double(), nullable=True),
        sa.Column("provider_score", sa.Double(), nullable=True),
        sa.Column("agreed_score", sa.Double(), nullable=True),
        blank_text("note"),
        check(
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
