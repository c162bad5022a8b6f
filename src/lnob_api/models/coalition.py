"""Coalitions, their member organisations, users' roles in them, and marginalised groups."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference
from lnob_api.models.common import DemoFlag, Timestamped, Versioned, link_key
from lnob_api.models.enums import CoalitionRole, MemberRole, Perturbation, enum_column


class Coalition(Timestamped, Versioned, DemoFlag, Base):
    __tablename__ = "coalitions"

    id: Mapped[int] = identity_key()
    # One coalition per country: the ISO 3166-1 alpha-2 code is its public key.
    code: Mapped[str] = mapped_column(
        sa.String(2), sa.ForeignKey("areas.code"), unique=True, nullable=False
    )
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = blank_text()
    # The partnership records the year a coalition was launched (pilots 2018; Malawi, Denmark 2021).
    launched_year: Mapped[int | None] = mapped_column(sa.SmallInteger)
    cohort: Mapped[str] = mapped_column(sa.String(40), nullable=False, server_default="")
    suppression_threshold: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, server_default="5"
    )
    # When true, a dataset is published only after the community validated it.
    requires_community_validation: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, server_default=sa.false()
    )

    # Protection of rates and means: a share of the numerator on each side (issue 9).
    rate_share: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="0.1")
    # Noise on the counts outsiders read, after suppression (``disclosure.perturbation``).
    perturbation: Mapped[Perturbation] = enum_column(
        Perturbation, "perturbation", Perturbation.NONE
    )
    # The secret the cell keys derive from: never read by the ORM (deferred, so it stays out
    # of audit snapshots), never shown; only SQL on read paths uses it.
    perturbation_key: Mapped[str] = mapped_column(
        sa.String(64),
        nullable=False,
        server_default=sa.text("replace(gen_random_uuid()::text, '-', '')"),
        deferred=True,
        deferred_raiseload=True,
    )

    __table_args__ = (
        sa.CheckConstraint("suppression_threshold >= 0", name="threshold_non_negative"),
        sa.CheckConstraint("rate_share >= 0 AND rate_share < 1", name="rate_share_range"),
        sa.CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
    )


class CoalitionMember(Timestamped, Base):
    """An organisation's membership of a coalition."""

    __tablename__ = "coalition_members"

    coalition_id: Mapped[int] = link_key("coalitions.id")
    organisation_id: Mapped[int] = link_key("organisations.id", index=True)
    role: Mapped[MemberRole] = enum_column(MemberRole, "role", MemberRole.MEMBER)
    joined_on: Mapped[date | None] = mapped_column(sa.Date)


class CoalitionUserRole(Timestamped, Base):
    """A user's role (VIEWER, EDITOR, ADMIN) in one coalition."""

    __tablename__ = "coalition_user_roles"

    coalition_id: Mapped[int] = link_key("coalitions.id")
    user_id: Mapped[int] = link_key("users.id", index=True)
    role: Mapped[CoalitionRole] = enum_column(CoalitionRole, "role")


class MarginalisedGroup(Timestamped, DemoFlag, Base):
    """A group at risk of being left behind; ``coalition_id`` set for a country's own vocabulary."""

    __tablename__ = "marginalised_groups"

    id: Mapped[int] = identity_key()
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = blank_text()
    coalition_id: Mapped[int | None] = reference("coalitions.id", ondelete="CASCADE", index=True)
    # The standard dimension codes the group corresponds to, as the owning coalition (or the
    # partnership, for the shared vocabulary) states it: [{"dimension": "SEX", "code": "_O"}].
    # NULL: no mapping stated.
    maps_to: Mapped[list[dict[str, str]] | None] = mapped_column(pg.JSONB(none_as_null=True))
    # Optimistic locking for edits (marginalisedGroupUpdate), as models.common.Versioned.
    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")

    __table_args__ = (
        sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9_]*$'", name="code_format"),
        sa.CheckConstraint(
            "maps_to IS NULL OR jsonb_typeof(maps_to) = 'array'", name="maps_to_array"
        ),
    )
