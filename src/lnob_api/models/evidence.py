"""Community evidence in use: scorecards, recommendations to authorities, official values.

- A **scorecard** records how a community (right-holders) and the providers or officials of a
  service (duty-bearers) score coalition-defined criteria, round after round, the score agreed
  in their joint meeting, and the joint action plan that follows.
- A **recommendation** from a publication or dataset is addressed to an authority; its
  responses and every change of its status are kept.
- **Official values** are reference figures (a national SDG platform, the UN SDG database)
  that community values are compared with. They are public reference data.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.common import Timestamped, Versioned, link_key
from lnob_api.models.enums import Visibility, enum_type
from lnob_api.models.observation import PERIOD_PATTERN, TOTAL


class ActionStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    DROPPED = "DROPPED"


class AuthorityLevel(StrEnum):
    NATIONAL = "NATIONAL"
    SUBNATIONAL = "SUBNATIONAL"
    LOCAL = "LOCAL"


class RecommendationStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    IMPLEMENTED = "IMPLEMENTED"
    REJECTED = "REJECTED"


def _period_checks() -> tuple[sa.CheckConstraint, sa.CheckConstraint]:
    return (
        sa.CheckConstraint(f"period ~ '{PERIOD_PATTERN}'", name="period_format"),
        sa.CheckConstraint("period_end >= period_start", name="period_order"),
    )


class Scorecard(Timestamped, Versioned, Base):
    """One community scorecard exercise: a service, a community (area) and a period."""

    __tablename__ = "scorecards"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="RESTRICT"), nullable=False
    )
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    dataset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("datasets.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")
    # The service assessed, e.g. "primary health centre".
    service: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # The community: an area code, often a coalition's local area (ward, village).
    area_code: Mapped[str] = mapped_column(
        sa.ForeignKey("areas.code", ondelete="RESTRICT"), nullable=False, index=True
    )
    period: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    facilitator_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    scale_min: Mapped[float] = mapped_column(sa.Double, nullable=False, server_default="1")
    scale_max: Mapped[float] = mapped_column(sa.Double, nullable=False, server_default="5")
    visibility: Mapped[Visibility] = mapped_column(
        enum_type(Visibility, "visibility"), nullable=False, server_default="COALITION"
    )

    __table_args__ = (
        *_period_checks(),
        sa.CheckConstraint("scale_max > scale_min", name="scale_order"),
        sa.Index("ix_scorecards_coalition_id_id", "coalition_id", "id"),
    )


class ScorecardCriterion(Base):
    """A coalition-defined criterion of a scorecard, linked to an SDG target."""

    __tablename__ = "scorecard_criteria"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scorecards.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    label: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")
    target_code: Mapped[str] = mapped_column(
        sa.ForeignKey("sdg_targets.code", ondelete="RESTRICT"), nullable=False, index=True
    )
    indicator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )

    __table_args__ = (
        sa.UniqueConstraint("scorecard_id", "position", name="uq_scorecard_criteria_position"),
        # Labels differ in more than case, as the service checks.
        sa.Index(
            "uq_scorecard_criteria_label", "scorecard_id", sa.text("lower(label)"), unique=True
        ),
    )


class ScorecardRound(Base):
    """One round of scoring (a community meeting, a providers' session, the joint meeting)."""

    __tablename__ = "scorecard_rounds"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scorecards.id", ondelete="CASCADE"), nullable=False
    )
    period: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    held_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )

    __table_args__ = (
        *_period_checks(),
        sa.UniqueConstraint("scorecard_id", "period", name="uq_scorecard_rounds_period"),
    )


class ScorecardScore(Base):
    """The three scores of one criterion in one round, side by side."""

    __tablename__ = "scorecard_scores"

    round_id: Mapped[int] = link_key("scorecard_rounds.id")
    criterion_id: Mapped[int] = link_key("scorecard_criteria.id", index=True)
    community_score: Mapped[float | None] = mapped_column(sa.Double)
    provider_score: Mapped[float | None] = mapped_column(sa.Double)
    agreed_score: Mapped[float | None] = mapped_column(sa.Double)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")

    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(community_score, provider_score, agreed_score) > 0", name="some_score"
        ),
    )


class ScorecardAction(Timestamped, Versioned, Base):
    """An action of the joint action plan agreed by the community and the providers."""

    __tablename__ = "scorecard_actions"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scorecards.id", ondelete="CASCADE"), nullable=False
    )
    criterion_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("scorecard_criteria.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    owner_name: Mapped[str] = mapped_column(sa.String(300), nullable=False, server_default="")
    owner_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[ActionStatus] = mapped_column(
        enum_type(ActionStatus, "status"), nullable=False, server_default="OPEN"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "owner_name <> '' OR owner_organisation_id IS NOT NULL", name="has_owner"
        ),
        sa.Index("ix_scorecard_actions_scorecard_id_id", "scorecard_id", "id"),
    )


class Recommendation(Timestamped, Versioned, Base):
    """A recommendation drawn from a publication and/or a dataset, addressed to an authority."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="RESTRICT"), nullable=False
    )
    publication_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("publications.id", ondelete="RESTRICT"), index=True
    )
    dataset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("datasets.id", ondelete="RESTRICT"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    authority_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    authority_level: Mapped[AuthorityLevel] = mapped_column(
        enum_type(AuthorityLevel, "authority_level"), nullable=False
    )
    authority_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # The latest entry of the status history, kept here for filtering.
    status: Mapped[RecommendationStatus] = mapped_column(
        enum_type(RecommendationStatus, "status"), nullable=False, server_default="OPEN"
    )
    visibility: Mapped[Visibility] = mapped_column(
        enum_type(Visibility, "visibility"), nullable=False, server_default="COALITION"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(publication_id, dataset_id) > 0", name="publication_or_dataset"
        ),
        sa.Index("ix_recommendations_coalition_id_id", "coalition_id", "id"),
    )


class RecommendationTarget(Base):
    __tablename__ = "recommendation_targets"

    recommendation_id: Mapped[int] = link_key("recommendations.id")
    target_code: Mapped[str] = link_key("sdg_targets.code", ondelete="RESTRICT", index=True)


class RecommendationResponse(Base):
    """What the authority answered, and what it committed to."""

    __tablename__ = "recommendation_responses"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE"), nullable=False
    )
    responded_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    commitment: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")
    responder_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    responder_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_by_client_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )

    __table_args__ = (
        sa.Index("ix_recommendation_responses_recommendation_id_id", "recommendation_id", "id"),
    )


class RecommendationStatusChange(Base):
    """One entry of a recommendation's status history (the first is OPEN, at creation)."""

    __tablename__ = "recommendation_status_changes"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[RecommendationStatus] = mapped_column(
        enum_type(RecommendationStatus, "status"), nullable=False
    )
    changed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")
    response_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recommendation_responses.id", ondelete="SET NULL"), index=True
    )
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_by_client_id: Mapped[str | None] = mapped_column(sa.String(64))
    recorded_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
    )

    __table_args__ = (
        sa.Index(
            "ix_recommendation_status_changes_recommendation_id_id", "recommendation_id", "id"
        ),
    )


class OfficialValue(Base):
    """An official reference value of an indicator (or an SDG target) for an area and period."""

    __tablename__ = "official_values"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    indicator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="RESTRICT")
    )
    target_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("sdg_targets.code", ondelete="RESTRICT"), index=True
    )
    area_code: Mapped[str] = mapped_column(
        sa.ForeignKey("areas.code", ondelete="RESTRICT"), nullable=False, index=True
    )
    period: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    value: Mapped[float] = mapped_column(sa.Double, nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    sex: Mapped[str] = mapped_column(sa.String(20), nullable=False, server_default=TOTAL)
    age: Mapped[str] = mapped_column(sa.String(20), nullable=False, server_default=TOTAL)
    disability_status: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, server_default=TOTAL
    )
    urbanisation: Mapped[str] = mapped_column(sa.String(20), nullable=False, server_default=TOTAL)
    group_code: Mapped[str] = mapped_column(sa.String(40), nullable=False, server_default=TOTAL)
    source_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    source_url: Mapped[str | None] = mapped_column(sa.String(1000))
    retrieved_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )

    __table_args__ = (
        *_period_checks(),
        sa.CheckConstraint(
            "num_nonnulls(indicator_id, target_code) = 1", name="indicator_or_target"
        ),
        # One value per source for a key; a re-import from the same source updates it.
        sa.UniqueConstraint(
            "indicator_id",
            "target_code",
            "area_code",
            "period",
            "sex",
            "age",
            "disability_status",
            "urbanisation",
            "group_code",
            "source_name",
            name="uq_official_values_key",
            postgresql_nulls_not_distinct=True,
        ),
        sa.Index(
            "ix_official_values_indicator_area_period", "indicator_id", "area_code", "period_start"
        ),
    )
