"""OAuth state: authorization codes, refresh tokens (rotating, in families), revoked token ids."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lnob_api.db.base import Base
from lnob_api.models.columns import blank_text, identity_key, reference, stamped


class AuthorizationCode(Base):
    """A one-time code of the authorization-code flow; only its SHA-256 is stored."""

    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_pk: Mapped[int] = reference("oauth_clients.id", ondelete="CASCADE", index=True)
    user_id: Mapped[int] = reference("users.id", ondelete="CASCADE", index=True)
    redirect_uri: Mapped[str] = mapped_column(sa.Text, nullable=False)
    scope: Mapped[str] = blank_text()
    code_challenge: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    code_challenge_method: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    nonce: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = stamped()
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.CheckConstraint("code_challenge_method = 'S256'", name="pkce_s256"),)


class RefreshToken(Base):
    """A refresh token; only its SHA-256 is stored. Rotation: each use issues a new token in the
    same family and marks this one used; presenting a used token revokes the whole family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = identity_key()
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    family_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    client_pk: Mapped[int] = reference("oauth_clients.id", ondelete="CASCADE", index=True)
    user_id: Mapped[int | None] = reference("users.id", ondelete="CASCADE", index=True)
    scope: Mapped[str] = blank_text()
    created_at: Mapped[datetime] = stamped()
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class RevokedToken(Base):
    """Access-token ids (``jti``) revoked before they expire; kept until they would have."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, index=True
    )
    revoked_at: Mapped[datetime] = stamped()


class LoginThrottle(Base):
    """Failed sign-ins per account and client address, for growing delays (no lock-out).

    ``account`` is ``user:<e-mail>`` (the sign-in form) or ``client:<client_id>`` (client
    authentication at the token endpoint); ``address`` is the client's IP address, or ``*`` for
    the looser ceiling across all addresses. No attempt is checked before ``next_attempt_at``.
    ``last_success_at`` marks an address the account signed in from, which the account-wide
    ceiling leaves alone.
    """

    __tablename__ = "login_throttles"

    account: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    last_failure_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
