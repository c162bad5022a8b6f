"""Idempotency keys: the first result of a create mutation per principal and key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import identity_key, stamped


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key`` for one create request. ``response`` is NULL while the
    first request runs; a retry with the same key and request gets the stored response."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = identity_key()
    # "user:<id>" or "client:<client id>": keys of different principals never meet.
    principal: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    # SHA-256 of the operation and variables: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    response: Mapped[dict[str, Any] | None] = mapped_column(pg.JSONB)
    created_at: Mapped[datetime] = stamped()
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),
        sa.Index("ix_idempotency_keys_expires_at", "expires_at"),
    )
