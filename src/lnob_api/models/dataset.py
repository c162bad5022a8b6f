"""Datasets of community-driven data, the indicators they cover, and access grants."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference, stamped
from lnob_api.models.common import DemoFlag, GroupLink, Timestamped, Versioned, link_key
from lnob_api.models.enums import (
    PRE_RELEASE,
    ConsentScope,
    DatasetStatus,
    Methodology,
    ValidationMethod,
    Visibility,
    enum_column,
    enum_type,
)
from lnob_api.models.provenance import Provenance

# The statuses before release (enums.PRE_RELEASE) as SQL: 'DRAFT', 'COMMUNITY_VALIDATED'.
_PRE_RELEASE = ", ".join(f"'{status.value}'" for status in PRE_RELEASE)


class Dataset(Provenance, Timestamped, Versioned, DemoFlag, Base):
    __tablename__ = "datasets"

    id: Mapped[int] = identity_key()
    coalition_id: Mapped[int] = reference("coalitions.id", ondelete="RESTRICT")
    project_id: Mapped[int | None] = reference("projects.id", ondelete="RESTRICT")
    # Versions of one dataset share its slug and lineage; (slug, version) is unique.
    slug: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    # The first version's id; a trigger fills it in when an insert leaves it out.
    lineage_id: Mapped[int] = mapped_column(
        sa.ForeignKey("datasets.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
        server_default=sa.FetchedValue(),
    )
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    description: Mapped[str] = blank_text()
    methodology: Mapped[Methodology] = enum_column(Methodology, "methodology", Methodology.OTHER)
    collection_start: Mapped[date | None] = mapped_column(sa.Date)
    collection_end: Mapped[date | None] = mapped_column(sa.Date)
    area_code: Mapped[str | None] = reference("areas.code", ondelete="RESTRICT", index=True)
    license: Mapped[str] = mapped_column(sa.String(60), nullable=False, server_default="CC-BY-4.0")
    status: Mapped[DatasetStatus] = enum_column(DatasetStatus, "status", DatasetStatus.DRAFT)
    retraction_reason: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")
    visibility: Mapped[Visibility] = enum_column(Visibility, "visibility", Visibility.COALITION)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Embargo: published, but outside the coalition nobody sees it before this instant.
    release_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Metadata may be shown more widely than the data (then callers can request access).
    metadata_visibility: Mapped[Visibility | None] = mapped_column(
        enum_type(Visibility, "metadata_visibility")
    )
    retracted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Set when a newer version of the same lineage is published; the row stays queryable.
    superseded_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Bumped when who may read the data widens (publication, visibility, grants), so that an
    # incremental pull (updatedSince) picks up rows that became visible without changing.
    access_changed_at: Mapped[datetime] = stamped()
    # With its provenance (models.provenance.Provenance), the size of the sample.
    sample_size: Mapped[int | None] = mapped_column(sa.Integer)
    sdg_framework_version: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, server_default="2025"
    )
    # The free extra dimensions that are the released version's breakdown (set at publish;
    # NULL before): a withheld cell shows outsiders only these (access.visibility).
    breakdown_dimensions: Mapped[list[str] | None] = mapped_column(pg.ARRAY(sa.Text))
    # BCP 47 tag of the title and description (declare.language): en, sw-KE...
    language: Mapped[str] = mapped_column(sa.String(35), nullable=False, server_default="en")

    __table_args__ = (
        sa.CheckConstraint(
            "collection_end IS NULL OR collection_start IS NULL"
            " OR collection_end >= collection_start",
            name="period_order",
        ),
        sa.CheckConstraint(
            "(status = 'RETRACTED') = (retraction_reason IS NOT NULL)", name="retraction_reason"
        ),
        sa.CheckConstraint(
            f"status IN ({_PRE_RELEASE}) OR published_at IS NOT NULL",
            name="published_at",
        ),
        sa.CheckConstraint(
            "(status = 'RETRACTED') = (retracted_at IS NOT NULL)", name="retracted_at"
        ),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("sample_size IS NULL OR sample_size >= 0", name="sample_size"),
        # A canonical BCP 47 tag (declare.language.PATTERN; the language list is checked there).
        sa.CheckConstraint(
            "language ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$'", name="language"
        ),
        sa.UniqueConstraint("slug", "version", name="uq_datasets_slug_version"),
        sa.UniqueConstraint("lineage_id", "version", name="uq_datasets_lineage_version"),
        # One unreleased (draft or community-validated) version per lineage: edits of a
        # published version all go to that one open draft.
        sa.Index(
            "uq_datasets_open_version",
            "lineage_id",
            unique=True,
            postgresql_where=sa.text(f"status IN ({_PRE_RELEASE})"),
        ),
        sa.Index("ix_datasets_slug", "slug"),
        sa.CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
        sa.Index("ix_datasets_coalition_id_id", "coalition_id", "id"),
        sa.Index("ix_datasets_project_id_id", "project_id", "id"),
        sa.Index("ix_datasets_updated_at_id", "updated_at", "id"),
        sa.Index("ix_datasets_title_id", "title", "id"),
    )


# Word search over title and description (datasets filter ``search``) uses trigrams.
sa.Index(
    "ix_datasets_search_trgm",
    sa.func.lower(Dataset.title + " " + Dataset.description).label("search_text"),
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
)


class DatasetIndicator(Base):
    __tablename__ = "dataset_indicators"

    dataset_id: Mapped[int] = link_key("datasets.id")
    indicator_id: Mapped[int] = link_key("indicators.id", ondelete="RESTRICT", index=True)


class DatasetGroup(GroupLink, Base):
    """The marginalised groups a dataset is about."""

    __tablename__ = "dataset_groups"

    dataset_id: Mapped[int] = link_key("datasets.id")


class DatasetUpload(Base):
    """A file of observations loaded into a dataset version; the hash makes re-uploads no-ops."""

    __tablename__ = "dataset_uploads"

    id: Mapped[int] = identity_key()
    dataset_id: Mapped[int] = reference("datasets.id", ondelete="CASCADE")
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(300), nullable=False, server_default="")
    rows: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    uploaded_at: Mapped[datetime] = stamped()
    user_id: Mapped[int | None] = reference("users.id", ondelete="SET NULL")
    client_id: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("dataset_id", "sha256", name="uq_dataset_uploads_dataset_id_sha256"),
    )


class DatasetValidation(Base):
    """The community's validation of a dataset version's findings before release."""

    __tablename__ = "dataset_validations"

    id: Mapped[int] = identity_key()
    dataset_id: Mapped[int] = reference("datasets.id", ondelete="CASCADE", index=True)
    method: Mapped[ValidationMethod] = enum_column(ValidationMethod, "method")
    validated_by: Mapped[str] = mapped_column(sa.Text, nullable=False)
    validated_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str] = blank_text()
    recorded_by_user_id: Mapped[int | None] = reference("users.id", ondelete="SET NULL")
    created_at: Mapped[datetime] = stamped()


class Consent(Base):
    """What the community agreed to: who may use a dataset's data (every version), until when.
    Once a dataset has consent records, its data is readable only under an active one."""

    __tablename__ = "consents"

    id: Mapped[int] = identity_key()
    lineage_id: Mapped[int] = reference("datasets.id", ondelete="CASCADE", index=True)
    coalition_id: Mapped[int] = reference("coalitions.id", ondelete="CASCADE", index=True)
    scope: Mapped[ConsentScope] = enum_column(ConsentScope, "scope")
    agency_ids: Mapped[list[int]] = mapped_column(
        pg.ARRAY(sa.BigInteger), nullable=False, server_default="{}"
    )
    obtained_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str] = blank_text()
    row_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")
    created_at: Mapped[datetime] = stamped()

    __table_args__ = (
        sa.CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawal_reason IS NULL)", name="withdrawal_reason"
        ),
        sa.CheckConstraint(
            "scope = 'NAMED_AGENCIES' OR cardinality(agency_ids) = 0", name="agencies_named"
        ),
    )


class Removal(Base):
    """Data that left some principal's view: retraction, supersession, narrower visibility,
    a revoked grant, deleted rows. Incremental sync turns these into tombstones for callers who
    could see the data before and cannot now. ``observation_ids`` NULL means every observation
    of the dataset (or, with ``dataset_id`` NULL, of the coalition: a coalition-wide grant)."""

    __tablename__ = "removals"

    id: Mapped[int] = identity_key()
    # The wall clock, not the transaction start: sync compares it with callers' pull times.
    occurred_at: Mapped[datetime] = stamped(sa.text("clock_timestamp()"))
    reason: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    coalition_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    dataset_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    observation_ids: Mapped[list[int] | None] = mapped_column(pg.ARRAY(sa.BigInteger))
    prior_status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    prior_visibility: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    grant_organisation_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    grant_client_id: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.Index("ix_removals_occurred_at_id", "occurred_at", "id"),
        sa.Index("ix_removals_dataset_id", "dataset_id"),
    )


class Grant(Timestamped, Base):
    """Opens one dataset, or all of a coalition's data, to an organisation or a client."""

    __tablename__ = "grants"

    id: Mapped[int] = identity_key()
    coalition_id: Mapped[int] = reference("coalitions.id", ondelete="CASCADE", index=True)
    dataset_id: Mapped[int | None] = reference("datasets.id", ondelete="CASCADE", index=True)
    organisation_id: Mapped[int | None] = reference(
        "organisations.id", ondelete="CASCADE", index=True
    )
    client_id: Mapped[int | None] = reference("oauth_clients.id", ondelete="CASCADE", index=True)
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    note: Mapped[str] = blank_text()
    created_by_user_id: Mapped[int | None] = reference("users.id", ondelete="SET NULL")

    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(organisation_id, client_id) = 1", name="exactly_one_grantee"
        ),
        # At most one unrevoked grant per grantee and reach (a dataset, or NULL: the whole
        # coalition). Expired grants are closed (revoked_at = expires_at) before a new one.
        sa.Index(
            "uq_grants_live_organisation",
            "coalition_id",
            "dataset_id",
            "organisation_id",
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL AND organisation_id IS NOT NULL"),
            postgresql_nulls_not_distinct=True,
        ),
        sa.Index(
            "uq_grants_live_client",
            "coalition_id",
            "dataset_id",
            "client_id",
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL AND client_id IS NOT NULL"),
            postgresql_nulls_not_distinct=True,
        ),
    )
