"""The OAuth 2 authorization server: authlib's grants and endpoints over our tables.

authlib's server classes are synchronous. Each request gets its own ``AuthServer`` bound to the
request's connection; the HTTP layer runs the server's entry points in a worker thread
(``anyio.to_thread.run_sync``) and the callbacks reach the async database back on the event loop
through ``anyio.from_thread.run``. So authlib's logic and JWT signing stay off the event loop and
the database stays async.

Policy beyond authlib's defaults:
- PKCE with S256 for every client (authlib only requires it for public clients, allows plain);
- redirect URIs compared exactly, a default only when exactly one is registered;
- scopes narrowed to the client's registered ones (and ``partnership:admin`` to admins);
- refresh tokens rotate; a replayed one revokes its whole family (RFC 9700 §4.14.2);
- a reused code revokes the refresh tokens issued from it (their family is the code's hash).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import unquote

import anyio.from_thread
from authlib.common.security import (  # type: ignore[import-untyped,unused-ignore]
    is_secure_transport,
)
from authlib.common.urls import add_params_to_uri  # type: ignore[import-untyped,unused-ignore]
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped,unused-ignore]
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    InsecureTransportError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    grants,
    scope_to_list,
)
from authlib.oauth2.rfc7009 import (  # type: ignore[import-untyped,unused-ignore]
    RevocationEndpoint as _RevocationEndpoint,
)
from authlib.oauth2.rfc7636.challenge import (  # type: ignore[import-untyped,unused-ignore]
    CodeChallenge,
    compare_s256_code_challenge,
)
from authlib.oauth2.rfc7662 import (  # type: ignore[import-untyped,unused-ignore]
    IntrospectionEndpoint as _IntrospectionEndpoint,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from lnob_api.auth import repository as repo
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Scope
from lnob_api.auth.repository import ClientRecord, CodeRecord, RefreshRecord, UserRecord
from lnob_api.auth.secrets import hash_secret, verify_secret
from lnob_api.auth.tokens import (
    AccessClaims,
    InvalidToken,
    issue_access_token,
    user_subject,
    validate_access_token,
)
from lnob_api.config import Settings

T = TypeVar("T")
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
    user: UserRecord | None = None,
    default_all: bool,
) -> str | None:
    """The granted scope: requested ∩ registered (∩ what the user may hold), space-separated.

    Nothing requested gives every allowed scope when ``default_all``, else nothing. None means
    scopes were requested and none can be granted (``invalid_scope``).
    """
    allowed = set(registered) & {s.value for s in Scope}
    if user is not None and not user.is_partnership_admin:
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
        if record.used_at is not None:
            # A second use means the code leaked: withdraw what the first use obtained.
            self.server.call(repo.revoke_refresh_family, record.code_hash, now=now)
            return None
        if record.expires_at <= now:
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
        now = utcnow()
        if record.used_at is not None:
            # A rotated token came back: two parties hold this chain, so end all of it.
            self.server.call(repo.revoke_refresh_family, record.family_id, now=now)
            return None
        if record.expires_at <= now:
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


class _TokenLookup:
    """Finds a presented token for revocation and introspection: a refresh token or our JWT."""

    server: AuthServer
    SUPPORTED_TOKEN_TYPES = ("access_token", "refresh_token")

    def check_params(self, request: OAuth2Request, client: Client) -> None:
        # An unknown token_type_hint is ignored: the search covers every type (RFC 7009 §2.1).
        if not request.form.get("token"):
            raise InvalidRequestError("Missing 'token' in request.")

    def query_token(self, token: str, hint: str | None) -> RefreshToken | AccessToken | None:
        finders = [self._refresh_token, self.server.find_access_token]
        if hint == "access_token":
            finders.reverse()
        for find in finders:
            found = find(token)
            if found is not None:
                return found
        return None

    def _refresh_token(self, token: str) -> RefreshToken | None:
        record = self.server.call(repo.refresh_token_by_hash, hash_secret(token))
        return RefreshToken(record) if record is not None else None


class RevocationEndpoint(_TokenLookup, _RevocationEndpoint):  # type: ignore[misc,unused-ignore]
    CLIENT_AUTH_METHODS = ALL_METHODS

    def revoke_token(self, token: RefreshToken | AccessToken, request: OAuth2Request) -> None:
        if isinstance(token, RefreshToken):
            self.server.call(repo.revoke_refresh_family, token.record.family_id, now=utcnow())
        else:
            expires = datetime.fromtimestamp(token.claims.expires_at, UTC)
            self.server.call(repo.revoke_jti, token.claims.jti, expires_at=expires)


class IntrospectionEndpoint(_TokenLookup, _IntrospectionEndpoint):  # type: ignore[misc,unused-ignore]
    CLIENT_AUTH_METHODS = SECRET_METHODS

    def check_permission(self, token: Any, client: Client, request: OAuth2Request) -> bool:
        # A client learns about its own tokens only; any other token reads as inactive.
        return bool(token.check_client(client))

    def introspect_token(self, token: RefreshToken | AccessToken) -> dict[str, Any]:
        return token.introspection(self.server.ctx.settings.issuer)


@dataclass(frozen=True, slots=True)
class ServerContext:
    conn: AsyncConnection
    keys: KeyStore
    settings: Settings


@dataclass(slots=True)
class OAuthResult:
    """What authlib answers (status, body, headers), turned into a Starlette response."""

    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    def to_response(self) -> Response:
        content = json.dumps(self.body) if isinstance(self.body, dict) else (self.body or b"")
        return Response(content, status_code=self.status, headers=dict(self.headers))


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
            granted = narrow_scope(scope, registered, default_all=True)
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


# -- the Starlette side -------------------------------------------------------------------------


class _Payload(OAuth2Payload):  # type: ignore[misc,unused-ignore]
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: dict[str, list[str]] = {}
        for key, value in items:
            self._datalist.setdefault(key, []).append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc,unused-ignore]
    """authlib's request over what Starlette read: the query for GET, the form body for POST."""

    def __init__(self, method: str, uri: str, headers: Any, items: list[tuple[str, str]]) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = _Payload(items)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data if self.method == "POST" else {}


# Parameters authlib may quote in an error description, which must not hold '"' or '\\'; their
# syntax (RFC 6749 Appendix A) excludes both anyway.
_ECHOED = frozenset(
    [
        "client_id",
        "redirect_uri",
        "response_type",
        "grant_type",
        "scope",
        "code_challenge_method",
        "token_type_hint",
    ]
)
_DESCRIPTION_SAFE = re.compile(r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$")
# OAuth parameters must not repeat (RFC 6749 §3.1, §3.2); other form fields may.
_SINGLE = frozenset(
    [
        "grant_type",
        "code",
        "redirect_uri",
        "client_id",
        "client_secret",
        "scope",
        "state",
        "response_type",
        "code_challenge",
        "code_challenge_method",
        "code_verifier",
        "refresh_token",
        "token",
        "token_type_hint",
        "email",
        "password",
        "csrf_token",
        "action",
    ]
)


async def read_oauth_request(request: Request, *, settings: Settings) -> StarletteOAuth2Request:
    """Read the body (async) and build authlib's request; raises OAuth2Error when malformed."""
    if request.method == "POST":
        try:
            form = await request.form()
        except Exception:  # multipart or encoding errors: the client sent a broken body
            raise InvalidRequestError("The request body cannot be read as a form.") from None
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    else:
        items = list(request.query_params.multi_items())
    seen: set[str] = set()
    for key, value in items:
        if "\x00" in value:
            raise InvalidRequestError("A parameter holds a NUL character.")
        if key in _SINGLE and key in seen:
            raise InvalidRequestError(f"Multiple '{key}' in request.")
        if key in _ECHOED and not _DESCRIPTION_SAFE.match(value):
            raise InvalidRequestError(f"Invalid characters in '{key}'.")
        seen.add(key)
    _check_basic_credentials(request.headers.get("authorization"))
    query = request.url.query
    uri = _public_base(settings) + request.url.path + (f"?{query}" if query else "")
    return StarletteOAuth2Request(request.method, uri, request.headers, items)


def _check_basic_credentials(header: str | None) -> None:
    """Refuse Basic credentials authlib would choke on (not UTF-8, or holding a NUL)."""
    parts = (header or "").split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "basic":
        return
    try:
        decoded = base64.b64decode(parts[1]).decode("utf-8")
    except binascii.Error:
        return  # authlib reads undecodable Basic credentials as none at all
    except UnicodeDecodeError:
        decoded = "\x00"
    if "\x00" in unquote(decoded):
        raise InvalidClientError(
            status_code=401, description="The Basic credentials cannot be read."
        )


def _public_base(settings: Settings) -> str:
    """The service's public address, from the issuer rather than the hop from a TLS proxy.

    OAuth needs TLS: in production the issuer must be https (or loopback). Development and
    tests may run over plain http, so authlib's per-request check (which only looks at this
    URI) is given the https form there.
    """
    base = settings.issuer
    if is_secure_transport(base):
        return base
    if settings.env == "production":
        raise InsecureTransportError()
    return "https://" + base.partition("://")[2]
