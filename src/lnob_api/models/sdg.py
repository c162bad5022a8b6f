"""The SDG framework (goals, targets, indicators) and coalition-defined custom indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference, stamped
from lnob_api.models.common import DemoFlag, Timestamped, Versioned


class SdgGoal(Base):
    __tablename__ = "sdg_goals"

    code: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    short_title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    title_translations: Mapped[dict[str, Any]] = mapped_column(
        pg.JSONB, nullable=False, server_default="{}"
    )
    short_title_translations: Mapped[dict[str, Any]] = mapped_column(
        pg.JSONB, nullable=False, server_default="{}"
    )

    __table_args__ = (sa.CheckConstraint("code BETWEEN 1 AND 17", name="code_range"),)


class SdgTarget(Base):
    __tablename__ = "sdg_targets"

    code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    goal_code: Mapped[int] = reference("sdg_goals.code", ondelete="RESTRICT", index=True)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    title_translations: Mapped[dict[str, Any]] = mapped_column(
        pg.JSONB, nullable=False, server_default="{}"
    )
    # Natural order of codes ("1.2" before "1.10", numbered before lettered targets).
    sort_key: Mapped[str] = mapped_column(sa.String(40, collation="C"), nullable=False, unique=True)

    __table_args__ = (
        sa.CheckConstraint("code ~ '^[0-9]{1,2}\\.[0-9a-z]{1,2}$'", name="code_format"),
    )


class Indicator(Timestamped, Versioned, DemoFlag, Base):
    """A global SDG indicator (``coalition_id`` null) or a coalition's custom indicator."""

    __tablename__ = "indicators"

    id: Mapped[int] = identity_key()
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    target_code: Mapped[str] = reference("sdg_targets.code", ondelete="RESTRICT", index=True)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    title_translations: Mapped[dict[str, Any]] = mapped_column(
        pg.JSONB, nullable=False, server_default="{}"
    )
    description: Mapped[str] = blank_text()
    unit: Mapped[str | None] = mapped_column(sa.String(80))
    tier: Mapped[str | None] = mapped_column(sa.String(60))
    # UNSD's id: rows sharing it are one indicator repeated under several targets.
    unsd_code: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    coalition_id: Mapped[int | None] = reference("coalitions.id", ondelete="RESTRICT", index=True)
    framework_version: Mapped[str | None] = mapped_column(sa.String(80))
    # Byte order ("C") makes "~" sort after digits whatever the server's default collation.
    sort_key: Mapped[str] = mapped_column(sa.String(60, collation="C"), nullable=False, unique=True)

    __table_args__ = (
        sa.CheckConstraint(
            "(coalition_id IS NULL AND code ~ '^[0-9]{1,2}\\.[0-9a-z]{1,2}\\.[0-9]{1,2}$')"
            " OR (coalition_id IS NOT NULL AND code ~ '^[A-Z]{2}-C-[0-9]{4}$')",
            name="code_format",
        ),
    )


class ReferenceDataVersion(Base):
    """Which version of a reference data set (the SDG framework, ISO codes) is loaded."""

    __tablename__ = "reference_data_versions"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    source: Mapped[str] = blank_text()
    loaded_at: Mapped[datetime] = stamped()
