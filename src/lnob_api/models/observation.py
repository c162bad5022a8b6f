"""Observations: one value of one indicator for one area, period and disaggregation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference, stamped
from lnob_api.models.enums import ObsStatus, enum_column
from lnob_api.models.provenance import Provenance
from lnob_api.models.units import NOT_CANONICAL

# SDMX code for "total": a dimension that is not disaggregated.
TOTAL = "_T"

# Periods as SDMX writes them: 2019, 2019-Q2, 2019-S1, 2019-03, 2019-03-15.
PERIOD_PATTERN = (
    r"^[0-9]{4}(-(Q[1-4]|S[12]|W(0[1-9]|[1-4][0-9]|5[0-3])"
    r"|(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?))?$"
)

DIMENSION_COLUMNS = ("sex", "age", "disability_status", "urbanisation", "group_code")

# The characters JSON escapes (a quote, a backslash, a control character; PostgreSQL text holds
# no NUL): no code holds one, so the compiled read path writes the codes between quotes as they
# are (``graphql.compiled.fields.PLAIN``). Uploads refuse them (``upload.validate``).
ESCAPED = r'[\x01-\x1f"\\]'


def breakdown(length: int = 20) -> MappedColumn[Any]:
    """One of the ``DIMENSION_COLUMNS``: a code, ``TOTAL`` when not disaggregated."""
    return mapped_column(sa.String(length), nullable=False, server_default=TOTAL)


def plain_checks() -> list[sa.CheckConstraint]:
    """``ck_observations_<dimension>_plain``: a disaggregation code holds no ``ESCAPED``."""
    return [sa.CheckConstraint(f"{c} !~ '{ESCAPED}'", name=f"{c}_plain") for c in DIMENSION_COLUMNS]


def unit_check() -> sa.CheckConstraint:
    """``ck_observations_unit_canonical``: the unit as ``units.canonical_unit`` writes it, so
    SQL and Python read it alike (``units``)."""
    return sa.CheckConstraint(f"unit !~ '{NOT_CANONICAL}'", name="unit_canonical")


def period_checks() -> tuple[sa.CheckConstraint, sa.CheckConstraint]:
    """``period`` as SDMX writes it, and a period that does not end before it starts."""
    return (
        sa.CheckConstraint(f"period ~ '{PERIOD_PATTERN}'", name="period_format"),
        sa.CheckConstraint("period_end >= period_start", name="period_order"),
    )


class Observation(Provenance, Base):
    __tablename__ = "observations"

    id: Mapped[int] = identity_key()
    dataset_id: Mapped[int] = reference("datasets.id", ondelete="CASCADE")
    # Exactly one of indicator_id and target_code: coalitions also report at target level.
    indicator_id: Mapped[int | None] = reference("indicators.id", ondelete="RESTRICT")
    target_code: Mapped[str | None] = reference("sdg_targets.code", ondelete="RESTRICT")
    area_code: Mapped[str] = reference("areas.code", ondelete="RESTRICT")
    period: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    value: Mapped[float | None] = mapped_column(sa.Double)
    unit: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    obs_status: Mapped[ObsStatus] = enum_column(ObsStatus, "obs_status", ObsStatus.A)
    sample_size: Mapped[int | None] = mapped_column(sa.Integer)
    # Hidden from outsiders like a small cell, so that no small cell can be derived from the
    # shown ones (disclosure.secondary); recomputed on publish and threshold changes.
    secondary_suppressed: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, server_default=sa.false()
    )
    sex: Mapped[str] = breakdown()
    age: Mapped[str] = breakdown()
    disability_status: Mapped[str] = breakdown()
    urbanisation: Mapped[str] = breakdown()
    group_code: Mapped[str] = breakdown(40)
    # Free extra dimensions, {"EDUCATION_LEV": "ISCED11_1"}.
    dimensions: Mapped[dict[str, Any]] = mapped_column(
        pg.JSONB, nullable=False, server_default="{}"
    )
    comment: Mapped[str] = blank_text()
    created_at: Mapped[datetime] = stamped()
    updated_at: Mapped[datetime] = stamped()

    __table_args__ = (
        # One of indicator_id/target_code is always NULL: NULLS NOT DISTINCT keeps the key
        # unique at both levels.
        sa.UniqueConstraint(
            "dataset_id",
            "indicator_id",
            "target_code",
            "area_code",
            "period",
            *DIMENSION_COLUMNS,
            "dimensions",
            name="uq_observations_key",
            postgresql_nulls_not_distinct=True,
        ),
        sa.CheckConstraint(
            "num_nonnulls(indicator_id, target_code) = 1", name="indicator_or_target"
        ),
        *period_checks(),
        *plain_checks(),
        unit_check(),
        sa.CheckConstraint("sample_size IS NULL OR sample_size >= 0", name="sample_size"),
        sa.CheckConstraint("jsonb_typeof(dimensions) = 'object'", name="dimensions_object"),
        sa.Index("ix_observations_dataset_id_id", "dataset_id", "id"),
        sa.Index("ix_observations_indicator_id_id", "indicator_id", "id"),
        sa.Index("ix_observations_target_code_id", "target_code", "id"),
        sa.Index(
            "ix_observations_indicator_area_period", "indicator_id", "area_code", "period_start"
        ),
        # Visible datasets first, then the usual filters (migration 0011, issue 10).
        sa.Index(
            "ix_observations_dataset_indicator_area",
            "dataset_id",
            "indicator_id",
            "area_code",
            "period_start",
        ),
        sa.Index("ix_observations_area_code", "area_code"),
        sa.Index("ix_observations_updated_at_id", "updated_at", "id"),
    )
