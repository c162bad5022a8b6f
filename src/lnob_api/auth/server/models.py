"""authlib's client, code and token objects over our records, and the scope policy they share."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped,unused-ignore]
    AuthorizationCodeMixin,
    ClientMixin,
    TokenMixin,
    scope_to_list,
)

from lnob_api.auth.principal import Scope
from lnob_api.auth.repository import ClientRecord, CodeRecord, RefreshRecord, UserRecord
from lnob_api.auth.secrets import verify_secret
from lnob_api.auth.tokens import AccessClaims, user_subject

CODE_TTL = timedelta(seconds=60)
SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
ALL_METHODS = [*SECRET_METHODS, "none"]
GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def narrow_scope(
    requested: str | None,
    registered: Sequence[str],
    *,
    default_all: bool,
    user: UserRecord | None = None,
    machine: bool = False,
) -> str | None:
    """The granted scope: requested ∩ registered (∩ what the holder may have), space-separated.

    ``partnership:admin`` is never granted to a ``machine`` (a client acting for itself) nor to
    a ``user`` who is not flagged as a partnership admin; with neither given (an authorization
    request, before anyone signed in) it may still be asked for. Nothing requested gives every
    allowed scope when ``default_all``, else nothing. None means scopes were requested and none
    can be granted (``invalid_scope``).
    """
    allowed = set(registered) & {s.value for s in Scope}
    if machine or (user is not None and not user.is_partnership_admin):
        allowed.discard(Scope.PARTNERSHIP_ADMIN.value)
    wanted = set(scope_to_list(requested) or ())
    if not wanted:
        return " ".join(sorted(allowed)) if default_all else ""
    granted = sorted(wanted & allowed)
    return " ".join(granted) if granted else None


class Client(ClientMixin):  # type: ignore[misc,unused-ignore]
    def __init__(self, record: ClientRecord) -> None:
        self.record = record

    @property
    def is_public(self) -> bool:
        return self.record.auth_method == "none"

    def get_client_id(self) -> str:
        return self.record.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Never guess between several registered URIs.
        uris = self.record.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        return narrow_scope(scope, self.record.scopes, default_all=True)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.record.redirect_uris  # exact string match, no prefixes

    def check_client_secret(self, client_secret: str) -> bool:
        return not self.is_public and verify_secret(self.record.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # Confidential clients may send their secret by Basic or in the body; public ones none.
        return (method == "none") == self.is_public

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.record.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if self.is_public and grant_type == "client_credentials":
            return False
        return grant_type in self.record.grant_types


class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc,unused-ignore]
    def __init__(self, record: CodeRecord) -> None:
        self.record = record
        self.code_challenge = record.code_challenge
        self.code_challenge_method = record.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        # Empty when the request relied on the single registered URI (RFC 6749 §4.1.3).
        return self.record.redirect_uri or None

    def get_scope(self) -> str:
        return self.record.scope


class RefreshToken(TokenMixin):  # type: ignore[misc,unused-ignore]
    def __init__(self, record: RefreshRecord) -> None:
        self.record = record

    def check_client(self, client: Client) -> bool:
        return self.record.client_pk == client.record.pk

    def get_scope(self) -> str:
        return self.record.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.record.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.record.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.record.revoked_at is not None or self.record.used_at is not None

    def introspection(self, issuer: str) -> dict[str, Any]:
        r = self.record
        subject = user_subject(r.user_id) if r.user_id is not None else r.client_id
        return {
            "active": True,
            "scope": r.scope,
            "client_id": r.client_id,
            "sub": subject,
            "exp": int(r.expires_at.timestamp()),
            "iat": int(r.created_at.timestamp()),
            "iss": issuer,
            "token_type": "refresh_token",
        }


@dataclass(frozen=True, slots=True)
class AccessToken(TokenMixin):  # type: ignore[misc,unused-ignore]
    claims: AccessClaims
    revoked: bool

    def check_client(self, client: Client) -> bool:
        return self.claims.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return " ".join(sorted(self.claims.scopes))

    def get_expires_in(self) -> int:
        return max(0, self.claims.expires_at - int(time.time()))

    def is_expired(self) -> bool:
        return self.claims.expires_at <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked

    def introspection(self, issuer: str) -> dict[str, Any]:
        raw = self.claims.raw
        fields = ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti")
        return {"active": True, **{k: raw[k] for k in fields if k in raw}, "token_type": "Bearer"}
