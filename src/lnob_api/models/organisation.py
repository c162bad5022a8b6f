"""Organisations, their users and their OAuth clients."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference
from lnob_api.models.common import DemoFlag, Timestamped, Versioned, link_key
from lnob_api.models.enums import OrganisationKind, enum_column


class Organisation(Timestamped, Versioned, DemoFlag, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = identity_key()
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    kind: Mapped[OrganisationKind] = enum_column(OrganisationKind, "kind", OrganisationKind.OTHER)
    country_code: Mapped[str | None] = mapped_column(
        sa.String(2), sa.ForeignKey("areas.code"), nullable=True, index=True
    )
    website: Mapped[str | None] = mapped_column(sa.String(500))
    description: Mapped[str] = blank_text()

    __table_args__ = (sa.CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),)


class User(Timestamped, DemoFlag, Base):
    __tablename__ = "users"

    id: Mapped[int] = identity_key()
    email: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    is_partnership_admin: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, server_default=sa.false()
    )
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    external_subject: Mapped[str | None] = mapped_column(sa.String(300), unique=True)

    __table_args__ = (sa.Index("uq_users_email_lower", sa.func.lower(email), unique=True),)


class OrganisationUser(Base):
    """Membership of a user in an organisation."""

    __tablename__ = "organisation_users"

    organisation_id: Mapped[int] = link_key("organisations.id")
    user_id: Mapped[int] = link_key("users.id", index=True)


class OAuthClient(Timestamped, Base):
    """A machine or frontend client; only a hash of its secret is stored."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = identity_key()
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    secret_hash: Mapped[str | None] = mapped_column(sa.String(200))
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    organisation_id: Mapped[int] = reference("organisations.id", ondelete="RESTRICT", index=True)
    scopes: Mapped[list[str]] = mapped_column(
        pg.ARRAY(sa.String(40)), nullable=False, server_default="{}"
    )
    redirect_uris: Mapped[list[str]] = mapped_column(
        pg.ARRAY(sa.Text), nullable=False, server_default="{}"
    )
    grant_types: Mapped[list[str]] = mapped_column(
        pg.ARRAY(sa.String(40)), nullable=False, server_default="{}"
    )
    token_endpoint_auth_method: Mapped[str] = mapped_column(
        sa.String(40), nullable=False, server_default="client_secret_basic"
    )
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
