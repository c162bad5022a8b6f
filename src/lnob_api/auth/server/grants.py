"""The grants: authorization code (with PKCE S256 for every client), refresh token, client
credentials."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped,unused-ignore]
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc7636.challenge import (  # type: ignore[import-untyped,unused-ignore]
    CodeChallenge,
    compare_s256_code_challenge,
)

from lnob_api.auth import repository as repo
from lnob_api.auth.repository import CodeRecord, RefreshRecord, UserRecord
from lnob_api.auth.secrets import hash_secret
from lnob_api.auth.server.models import (
    ALL_METHODS,
    CODE_TTL,
    SECRET_METHODS,
    AuthorizationCode,
    Client,
    RefreshToken,
    narrow_scope,
    utcnow,
)

if TYPE_CHECKING:
    from lnob_api.auth.server.core import AuthServer


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc,unused-ignore]
    """PKCE for every client, S256 only (RFC 9700 §2.1.1); a missing method is not ``plain``."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)
        # Every stored code carries a challenge, so the token request of every client, public
        # or confidential, must bring the matching verifier (authlib checks that part).


def _unspent(
    server: AuthServer, record: CodeRecord | RefreshRecord, *, family: str, now: datetime
) -> bool:
    """Whether a single-use credential (a code, a refresh token) is unused and unexpired. One
    used before came back a second time: the refresh tokens of its ``family`` are revoked."""
    if record.used_at is not None:
        server.call(repo.revoke_refresh_family, family, now=now)
        return False
    return record.expires_at > now


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc,unused-ignore]
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_METHODS
    server: AuthServer

    def create_authorization_response(self, redirect_uri: str, grant_user: Any) -> Any:
        self.redirect_uri = redirect_uri  # for errors raised while saving the code
        return super().create_authorization_response(redirect_uri, grant_user)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        user: UserRecord = request.user
        client: Client = request.client
        scope = narrow_scope(request.scope, client.record.scopes, user=user, default_all=False)
        if scope is None:
            raise InvalidScopeError(
                "The requested scope is not available to this user.", redirect_uri=self.redirect_uri
            )
        self.server.call(
            repo.insert_authorization_code,
            code_hash=hash_secret(code),
            client_pk=client.record.pk,
            user_id=user.id,
            redirect_uri=request.payload.redirect_uri or "",
            scope=scope,
            code_challenge=request.payload.data["code_challenge"],
            expires_at=utcnow() + CODE_TTL,
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        record = self.server.call(repo.lock_authorization_code, hash_secret(code))
        if record is None or record.client_pk != client.record.pk:
            return None
        now = utcnow()
        # A second use means the code leaked: withdraw what the first use obtained.
        if not _unspent(self.server, record, family=record.code_hash, now=now):
            return None
        # Spent now, even if the verifier turns out wrong: a code is good for one attempt.
        self.server.call(repo.mark_authorization_code_used, record.code_hash, now=now)
        return AuthorizationCode(record)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: the code was marked used when it was claimed."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> UserRecord | None:
        return self.server.active_user(authorization_code.record.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc,unused-ignore]
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: AuthServer

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        record = self.server.call(repo.refresh_token_by_hash, hash_secret(refresh_token), lock=True)
        if record is None or record.revoked_at is not None:
            return None
        # A rotated token came back: two parties hold this chain, so end all of it.
        if not _unspent(self.server, record, family=record.family_id, now=utcnow()):
            return None
        return RefreshToken(record)

    def authenticate_user(self, refresh_token: RefreshToken) -> UserRecord:
        user_id = refresh_token.record.user_id
        user = self.server.active_user(user_id) if user_id is not None else None
        if user is None:
            raise InvalidGrantError("The user of this token can no longer sign in.")
        return user

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        self.server.call(repo.mark_refresh_token_used, refresh_token.record.id, now=utcnow())


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc,unused-ignore]
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS
