"""Areas: ISO 3166-1 countries, ISO 3166-2 subdivisions and local areas registered by coalitions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import reference
from lnob_api.models.common import DemoFlag, Timestamped
from lnob_api.models.enums import AreaLevel, enum_column


class Area(Timestamped, DemoFlag, Base):
    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    level: Mapped[AreaLevel] = enum_column(AreaLevel, "level")
    # The subdivision type as ISO names it ("County", "District") or the local kind ("Ward").
    type: Mapped[str] = mapped_column(sa.String(80), nullable=False, server_default="")
    country_code: Mapped[str] = mapped_column(sa.String(2), nullable=False, index=True)
    parent_code: Mapped[str | None] = reference("areas.code", ondelete="RESTRICT", index=True)
    # Every ancestor's code, nearest last: filtering "this area and its descendants" is one
    # indexed array test instead of a recursive query.
    ancestors: Mapped[list[str]] = mapped_column(
        pg.ARRAY(sa.String(40)), nullable=False, server_default="{}"
    )
    coalition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="RESTRICT", use_alter=True), index=True
    )

    __table_args__ = (
        sa.Index("ix_areas_ancestors", "ancestors", postgresql_using="gin"),
        sa.Index("ix_areas_level_code", "level", "code"),
        sa.CheckConstraint(
            "(level = 'COUNTRY') = (parent_code IS NULL)", name="parent_unless_country"
        ),
        sa.CheckConstraint("(level = 'LOCAL') = (coalition_id IS NOT NULL)", name="local_owner"),
        sa.CheckConstraint("code ~ '^[A-Z]{2}(-[A-Z0-9]+)*$'", name="code_format"),
    )
