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
from lnob_api.models.columns import blank_text, identity_key, reference, stamped
from lnob_api.models.common import TargetLink, Timestamped, Versioned, link_key
from lnob_api.models.enums import Visibility, enum_column
from lnob_api.models.observation import DIMENSION_COLUMNS, breakdown, period_checks


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


class Scorecard(Timestamped, Versioned, Base):
    """One community scorecard exercise: a service, a community (area) and a period."""

    __tablename__ = "scorecards"

    id: Mapped[int] = identity_key()
    coalition_id: Mapped[int] = reference("coalitions.id", ondelete="RESTRICT")
    project_id: Mapped[int | None] = reference("projects.id", ondelete="RESTRICT", index=True)
    dataset_id: Mapped[int | None] = reference("datasets.id", ondelete="RESTRICT", index=True)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = blank_text()
    # The service assessed, e.g. "primary health centre".
    service: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # The community: an area code, often a coalition's local area (ward, village).
    area_code: Mapped[str] = reference("areas.code", ondelete="RESTRICT", index=True)
    period: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    facilitator_organisation_id: Mapped[int | None] = reference(
        "organisations.id", ondelete="RESTRICT", index=True
    )
    scale_min: Mapped[float] = mapped_column(sa.Double, nullable=False, server_default="1")
    scale_max: Mapped[float] = mapped_column(sa.Double, nullable=False, server_default="5")
    visibility: Mapped[Visibility] = enum_column(Visibility, "visibility", Visibility.COALITION)

    __table_args__ = (
        *period_checks(),
        sa.CheckConstraint("scale_max > scale_min", name="scale_order"),
        sa.Index("ix_scorecards_coalition_id_id", "coalition_id", "id"),
    )


class ScorecardCriterion(Base):
    """A coalition-defined criterion of a scorecard, linked to an SDG target."""

    __tablename__ = "scorecard_criteria"

    id: Mapped[int] = identity_key()
    scorecard_id: Mapped[int] = reference("scorecards.id", ondelete="CASCADE")
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    label: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = blank_text()
    target_code: Mapped[str] = reference("sdg_targets.code", ondelete="RESTRICT", index=True)
    indicator_id: Mapped[int | None] = reference("indicators.id", ondelete="RESTRICT", index=True)
    created_at: Mapped[datetime] = stamped()

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

    id: Mapped[int] = identity_key()
    scorecard_id: Mapped[int] = reference("scorecards.id", ondelete="CASCADE")
    period: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    held_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = blank_text()
    created_at: Mapped[datetime] = stamped()

    __table_args__ = (
        *period_checks(),
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
    note: Mapped[str] = blank_text()

    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(community_score, provider_score, agreed_score) > 0", name="some_score"
        ),
    )


class ScorecardAction(Timestamped, Versioned, Base):
    """An action of the joint action plan agreed by the community and the providers."""

    __tablename__ = "scorecard_actions"

    id: Mapped[int] = identity_key()
    scorecard_id: Mapped[int] = reference("scorecards.id", ondelete="CASCADE")
    criterion_id: Mapped[int | None] = reference(
        "scorecard_criteria.id", ondelete="SET NULL", index=True
    )
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    owner_name: Mapped[str] = mapped_column(sa.String(300), nullable=False, server_default="")
    owner_organisation_id: Mapped[int | None] = reference(
        "organisations.id", ondelete="RESTRICT", index=True
    )
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[ActionStatus] = enum_column(ActionStatus, "status", ActionStatus.OPEN)

    __table_args__ = (
        sa.CheckConstraint(
            "owner_name <> '' OR owner_organisation_id IS NOT NULL", name="has_owner"
        ),
        sa.Index("ix_scorecard_actions_scorecard_id_id", "scorecard_id", "id"),
    )


class Recommendation(Timestamped, Versioned, Base):
    """A recommendation drawn from a publication and/or a dataset, addressed to an authority."""

    __tablename__ = "recommendations"

    id: Mapped[int] = identity_key()
    coalition_id: Mapped[int] = reference("coalitions.id", ondelete="RESTRICT")
    publication_id: Mapped[int | None] = reference(
        "publications.id", ondelete="RESTRICT", index=True
    )
    dataset_id: Mapped[int | None] = reference("datasets.id", ondelete="RESTRICT", index=True)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    authority_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    authority_level: Mapped[AuthorityLevel] = enum_column(AuthorityLevel, "authority_level")
    authority_organisation_id: Mapped[int | None] = reference(
        "organisations.id", ondelete="RESTRICT", index=True
    )
    # The latest entry of the status history, kept here for filtering.
    status: Mapped[RecommendationStatus] = enum_column(
        RecommendationStatus, "status", RecommendationStatus.OPEN
    )
    visibility: Mapped[Visibility] = enum_column(Visibility, "visibility", Visibility.COALITION)

    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(publication_id, dataset_id) > 0", name="publication_or_dataset"
        ),
        sa.Index("ix_recommendations_coalition_id_id", "coalition_id", "id"),
    )


class RecommendationTarget(TargetLink, Base):
    __tablename__ = "recommendation_targets"

    recommendation_id: Mapped[int] = link_key("recommendations.id")


class RecommendationResponse(Base):
    """What the authority answered, and what it committed to."""

    __tablename__ = "recommendation_responses"

    id: Mapped[int] = identity_key()
    recommendation_id: Mapped[int] = reference("recommendations.id", ondelete="CASCADE")
    responded_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    commitment: Mapped[str] = blank_text()
    responder_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    responder_organisation_id: Mapped[int | None] = reference(
        "organisations.id", ondelete="RESTRICT", index=True
    )
    recorded_by_user_id: Mapped[int | None] = reference("users.id", ondelete="SET NULL")
    recorded_by_client_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = stamped()

    __table_args__ = (
        sa.Index("ix_recommendation_responses_recommendation_id_id", "recommendation_id", "id"),
    )


class RecommendationStatusChange(Base):
    """One entry of a recommendation's status history (the first is OPEN, at creation)."""

    __tablename__ = "recommendation_status_changes"

    id: Mapped[int] = identity_key()
    recommendation_id: Mapped[int] = reference("recommendations.id", ondelete="CASCADE")
    status: Mapped[RecommendationStatus] = enum_column(RecommendationStatus, "status")
    changed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str] = blank_text()
    response_id: Mapped[int | None] = reference(
        "recommendation_responses.id", ondelete="SET NULL", index=True
    )
    recorded_by_user_id: Mapped[int | None] = reference("users.id", ondelete="SET NULL")
    recorded_by_client_id: Mapped[str | None] = mapped_column(sa.String(64))
    recorded_at: Mapped[datetime] = stamped(sa.text("clock_timestamp()"))

    __table_args__ = (
        sa.Index(
            "ix_recommendation_status_changes_recommendation_id_id", "recommendation_id", "id"
        ),
    )


# What an official value is of: an indicator (or a target), an area, a period, a breakdown.
OFFICIAL_VALUE_KEY = ("indicator_id", "target_code", "area_code", "period", *DIMENSION_COLUMNS)


class OfficialValue(Base):
    """An official reference value of an indicator (or an SDG target) for an area and period."""

    __tablename__ = "official_values"

    id: Mapped[int] = identity_key()
    indicator_id: Mapped[int | None] = reference("indicators.id", ondelete="RESTRICT")
    target_code: Mapped[str | None] = reference("sdg_targets.code", ondelete="RESTRICT", index=True)
    area_code: Mapped[str] = reference("areas.code", ondelete="RESTRICT", index=True)
    period: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    value: Mapped[float] = mapped_column(sa.Double, nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    sex: Mapped[str] = breakdown()
    age: Mapped[str] = breakdown()
    disability_status: Mapped[str] = breakdown()
    urbanisation: Mapped[str] = breakdown()
    group_code: Mapped[str] = breakdown(40)
    source_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    source_url: Mapped[str | None] = mapped_column(sa.String(1000))
    retrieved_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = blank_text()
    created_at: Mapped[datetime] = stamped()
    updated_at: Mapped[datetime] = stamped()

    __table_args__ = (
        *period_checks(),
        sa.CheckConstraint(
            "num_nonnulls(indicator_id, target_code) = 1", name="indicator_or_target"
        ),
        # One value per source for a key; a re-import from the same source updates it.
        sa.UniqueConstraint(
            *OFFICIAL_VALUE_KEY,
            "source_name",
            name="uq_official_values_key",
            postgresql_nulls_not_distinct=True,
        ),
        sa.Index(
            "ix_official_values_indicator_area_period", "indicator_id", "area_code", "period_start"
        ),
    )
