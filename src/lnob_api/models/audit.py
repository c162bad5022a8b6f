"""Audit events: who did what to which record, when, with before and after values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import identity_key, reference, stamped


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = identity_key()
    occurred_at: Mapped[datetime] = stamped()
    user_id: Mapped[int | None] = reference("users.id", ondelete="SET NULL")
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    entity_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    entity_id: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    coalition_id: Mapped[int | None] = reference("coalitions.id", ondelete="SET NULL")
    before: Mapped[dict[str, Any] | None] = mapped_column(pg.JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(pg.JSONB)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.Index("ix_audit_events_coalition_id_id", "coalition_id", "id"),
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
    )
