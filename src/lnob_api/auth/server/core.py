"""The per-request authorization server: authlib's ``AuthorizationServer`` over our tables."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import anyio.from_thread
from authlib.common.urls import add_params_to_uri  # type: ignore[import-untyped,unused-ignore]
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped,unused-ignore]
    AuthorizationServer,
    InvalidClientError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Request,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth import repository as repo
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Scope
from lnob_api.auth.repository import UserRecord
from lnob_api.auth.secrets import hash_secret
from lnob_api.auth.server.adapter import OAuthResult
from lnob_api.auth.server.endpoints import IntrospectionEndpoint, RevocationEndpoint
from lnob_api.auth.server.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    S256CodeChallenge,
)
from lnob_api.auth.server.models import AccessToken, Client, RefreshToken, narrow_scope, utcnow
from lnob_api.auth.tokens import (
    InvalidToken,
    issue_access_token,
    user_subject,
    validate_access_token,
)
from lnob_api.config import Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ServerContext:
    conn: AsyncConnection
    keys: KeyStore
    settings: Settings


class AuthServer(AuthorizationServer):  # type: ignore[misc,unused-ignore]
    """One request's authorization server. Its methods run in a worker thread."""

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(scopes_supported=[s.value for s in Scope])
        self.ctx = ctx
        self.register_token_generator("default", self.generate_bearer_token)
        self.register_grant(ClientCredentialsGrant)
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(RevocationEndpoint)
        self.register_endpoint(IntrospectionEndpoint)

    def call(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Run a repository coroutine on the event loop from this worker thread."""
        conn = self.ctx.conn

        async def bound() -> T:
            return await fn(conn, *args, **kwargs)

        return anyio.from_thread.run(bound)

    def query_client(self, client_id: Any) -> Client | None:
        if not isinstance(client_id, str) or not client_id or "\x00" in client_id:
            return None
        record = self.call(repo.active_client, client_id)
        return Client(record) if record is not None else None

    def active_user(self, user_id: int) -> UserRecord | None:
        user = self.call(repo.user_by_id, user_id)
        return user if user is not None and user.is_active else None

    def find_access_token(self, token: str) -> AccessToken | None:
        settings = self.ctx.settings
        try:
            claims = validate_access_token(
                token, self.ctx.keys, issuer=settings.issuer, audience=settings.audience
            )
        except InvalidToken:
            return None
        return AccessToken(claims, revoked=self.call(repo.is_jti_revoked, claims.jti))

    def current_scope(self, token: AccessToken | RefreshToken) -> str | None:
        """A token's scope as it holds today (None when its client or user is gone): narrowed
        to the client's registration, and ``partnership:admin`` to flagged users."""
        if isinstance(token, AccessToken):
            client_id, user_id = token.claims.client_id, token.claims.user_id
        else:
            client_id, user_id = token.record.client_id, token.record.user_id
        client = self.query_client(client_id)
        user = self.active_user(user_id) if user_id is not None else None
        if client is None or (user_id is not None and user is None):
            return None
        granted = narrow_scope(
            token.get_scope(), client.record.scopes, default_all=False, user=user, machine=not user
        )
        return granted or ""

    def generate_bearer_token(
        self,
        grant_type: str,
        client: Client,
        user: UserRecord | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        registered = client.record.scopes
        if grant_type == "client_credentials":
            granted = narrow_scope(scope, registered, default_all=True, machine=True)
        else:  # the code's or refresh token's scope, narrowed again to what holds today
            granted = narrow_scope(scope, registered, user=user, default_all=False)
        if granted is None:
            raise InvalidScopeError("None of the requested scopes can be granted to this client.")
        settings = self.ctx.settings
        access, _ = issue_access_token(
            self.ctx.keys,
            issuer=settings.issuer,
            audience=settings.audience,
            subject=user_subject(user.id) if user is not None else client.get_client_id(),
            client_id=client.get_client_id(),
            scopes=granted.split(),
            ttl=settings.access_token_ttl,
        )
        token: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": settings.access_token_ttl,
            "scope": granted,
        }
        if include_refresh_token and user is not None:
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Access tokens are self-contained JWTs; only a refresh token's hash is stored."""
        refresh = token.get("refresh_token")
        if not refresh:
            return
        if request.refresh_token is not None:
            family = request.refresh_token.record.family_id
        elif request.authorization_code is not None:
            family = request.authorization_code.record.code_hash
        else:
            family = secrets.token_hex(32)
        now = utcnow()
        self.call(
            repo.insert_refresh_token,
            token_hash=hash_secret(refresh),
            family_id=family,
            client_pk=request.client.record.pk,
            user_id=request.user.id,
            scope=token["scope"],
            now=now,
            expires_at=now + timedelta(seconds=self.ctx.settings.refresh_token_ttl),
        )

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """authlib's signal hook; nothing listens."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if not isinstance(request, OAuth2Request):
            raise TypeError("build the request with read_oauth_request() first")
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> OAuthResult:
        pairs = [(str(k), str(v)) for k, v in headers]
        if status == 302:
            # Every redirect is an authorization response: name ourselves in it (RFC 9207).
            pairs = [
                (k, add_params_to_uri(v, [("iss", self.ctx.settings.issuer)]))
                if k.lower() == "location"
                else (k, v)
                for k, v in pairs
            ]
        return OAuthResult(status, body, pairs)

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> OAuthResult:
        if isinstance(error, InvalidClientError) and not error.redirect_uri:
            error.status_code = 401  # always with WWW-Authenticate: Basic (RFC 6749 §5.2)
        result: OAuthResult = super().handle_error_response(request, error)
        return result
