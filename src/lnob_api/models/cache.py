"""What the response caches of all workers share (``lnob_api.cache``): the data version every
committed write moves, and each worker's lease on trusting its cache."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base


class DataVersion(Base):
    """One row: the number of the last committed write. A writing transaction moves it just
    before it commits, holding the row until then, so versions follow the commit order (the
    order in which PostgreSQL delivers their notifications)."""

    __tablename__ = "data_versions"

    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)


class CacheListener(Base):
    """A worker listening for writes: the highest data version it has heard, and until when
    (database time) it may trust its cache without hearing more. A writer answers once every
    row whose lease runs has heard its version."""

    __tablename__ = "cache_listeners"

    worker: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    heard: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    lease_until: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
