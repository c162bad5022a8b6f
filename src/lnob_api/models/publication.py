"""Publications: flyers, country summaries, recommendations, reports."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference
from lnob_api.models.common import DemoFlag, TargetLink, Timestamped, Versioned, link_key
from lnob_api.models.enums import PublicationKind, Visibility, enum_column


class Publication(Timestamped, Versioned, DemoFlag, Base):
    __tablename__ = "publications"

    id: Mapped[int] = identity_key()
    slug: Mapped[str] = mapped_column(sa.String(160), unique=True, nullable=False)
    # The coalition that owns it and sets its visibility; null for the partnership's own.
    coalition_id: Mapped[int | None] = reference("coalitions.id", ondelete="RESTRICT", index=True)
    kind: Mapped[PublicationKind] = enum_column(PublicationKind, "kind")
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = blank_text()
    language: Mapped[str] = mapped_column(sa.String(12), nullable=False, server_default="en")
    published_on: Mapped[date | None] = mapped_column(sa.Date)
    file_url: Mapped[str | None] = mapped_column(sa.String(1000))
    visibility: Mapped[Visibility] = enum_column(Visibility, "visibility", Visibility.PUBLIC)

    __table_args__ = (
        sa.CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
        # A canonical BCP 47 tag, as on datasets (migration 0016; declare.language.PATTERN).
        sa.CheckConstraint(
            "language ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$'", name="language"
        ),
        sa.Index("ix_publications_published_on_id", "published_on", "id"),
    )


class PublicationCoalition(Base):
    """Coalitions a publication is about (a cross-country report names several)."""

    __tablename__ = "publication_coalitions"

    publication_id: Mapped[int] = link_key("publications.id")
    coalition_id: Mapped[int] = link_key("coalitions.id", index=True)


class PublicationTarget(TargetLink, Base):
    __tablename__ = "publication_targets"

    publication_id: Mapped[int] = link_key("publications.id")


class PublicationDataset(Base):
    __tablename__ = "publication_datasets"

    publication_id: Mapped[int] = link_key("publications.id")
    dataset_id: Mapped[int] = link_key("datasets.id", index=True)
