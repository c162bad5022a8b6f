"""OAuth 2 routes: token, authorize (sign-in and consent page), revocation, introspection,
server metadata (RFC 8414) and the JWKS.

authlib runs in a worker thread (see ``auth.server``); this module reads the request body,
opens the request's transaction, and does what authlib leaves to the application: the sign-in
form with its CSRF token and the login throttle.

Choices: CSRF is a double-submit token (a random value in a ``SameSite=Strict``, HttpOnly
cookie scoped to the authorize path, echoed in a hidden field, compared in constant time).
Wrong passwords and wrong client secrets slow down the next attempt from the same address
(``auth.throttle``: growing delays, never a lock-out); an attempt that comes too early is
answered 429 with ``Retry-After`` before anything is checked. A wrong password also waits
``FAILURE_DELAY_SECONDS`` before the answer (after the transaction ends, so no connection is
held while waiting).
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped,unused-ignore]
    OAuth2Error,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.util import (  # type: ignore[import-untyped,unused-ignore]
    extract_basic_authorization,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from lnob_api.auth import repository as repo
from lnob_api.auth import throttle
from lnob_api.auth.keys import KeyStore, LiveKeys
from lnob_api.auth.principal import Scope
from lnob_api.auth.repository import UserRecord
from lnob_api.auth.secrets import verify_password
from lnob_api.auth.server import (
    GRANT_TYPES,
    SECRET_METHODS,
    AuthServer,
    OAuthResult,
    ServerContext,
    read_oauth_request,
    utcnow,
)
from lnob_api.config import Settings
from lnob_api.http.login_page import error_page, login_page

FAILURE_DELAY_SECONDS = 0.5
CSRF_COOKIE = "lnob_oauth_csrf"
_CSRF_FORMAT = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_EMAIL_LENGTH = 320
# The authorization request's parameters, carried through the form as hidden fields.
_FORWARDED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def oauth_routes() -> list[BaseRoute]:
    """The authorization server's routes, for the application's route list."""
    return [
        Route("/oauth/token", token_endpoint, methods=["POST"]),
        Route("/oauth/authorize", authorization_endpoint, methods=["GET", "POST"]),
        Route("/oauth/revoke", revocation_endpoint, methods=["POST"]),
        Route("/oauth/introspect", introspection_endpoint, methods=["POST"]),
        Route("/.well-known/oauth-authorization-server", server_metadata, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    ]


def _server(request: Request, conn: AsyncConnection) -> AuthServer:
    return AuthServer(ServerContext(conn, _keys(request), _settings(request)))


def _keys(request: Request) -> KeyStore:
    """The current signing keys (``app.state.keys`` follows rotations on disk)."""
    keys = request.app.state.keys
    store: KeyStore = keys.current() if isinstance(keys, LiveKeys) else keys
    return store


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# -- token, revocation, introspection -----------------------------------------------------------


async def _run(
    request: Request, call: Callable[[AuthServer, OAuth2Request], OAuthResult]
) -> Response:
    try:
        oauth_request = await read_oauth_request(request, settings=_settings(request))
    except OAuth2Error as error:
        return OAuthResult(*error()).to_response()
    account = _guessed_client(oauth_request)
    address = _address(request)
    async with request.app.state.database.transaction() as conn:
        if account is not None:
            wait = await throttle.wait_before_attempt(conn, account, address, now=utcnow())
            if wait:
                return _slow_down(wait)
        server = _server(request, conn)
        result = await anyio.to_thread.run_sync(call, server, oauth_request)
        if account is not None and result.status == 401:  # invalid_client: a wrong secret
            await throttle.record_failure(conn, account, address, now=utcnow())
        elif account is not None and result.status == 200:
            await throttle.record_success(conn, account, address, now=utcnow())
    return result.to_response()


def _guessed_client(oauth_request: OAuth2Request) -> str | None:
    """The throttle account of a request that presents a client secret (Basic or form)."""
    client_id, secret = extract_basic_authorization(oauth_request.headers)
    if not client_id:
        form = oauth_request.payload.data
        client_id, secret = form.get("client_id"), form.get("client_secret")
    return throttle.client_account(client_id) if client_id and secret else None


def _address(request: Request) -> str:
    return throttle.address_key(request.client.host if request.client else None)


def _slow_down(wait: int) -> Response:
    body = {
        "error": "slow_down",
        "error_description": f"Too many failed attempts for this client from this address;"
        f" try again in {wait} s.",
    }
    headers = {"Retry-After": str(wait), "Cache-Control": "no-store"}
    return JSONResponse(body, status_code=429, headers=headers)


async def token_endpoint(request: Request) -> Response:
    """``POST /oauth/token``: client_credentials, authorization_code (PKCE), refresh_token."""
    return await _run(request, lambda server, req: server.create_token_response(req))


async def revocation_endpoint(request: Request) -> Response:
    """``POST /oauth/revoke`` (RFC 7009): 200 whether or not the token was known."""
    return await _run(
        request, lambda server, req: server.create_endpoint_response("revocation", req)
    )


async def introspection_endpoint(request: Request) -> Response:
    """``POST /oauth/introspect`` (RFC 7662), for a client's own tokens."""
    return await _run(
        request, lambda server, req: server.create_endpoint_response("introspection", req)
    )


# -- authorization endpoint ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Refusal:
    message: str
    status_code: int = 200
    delay: bool = True
    retry_after: int | None = None


_MISSING = _Refusal("Enter your e-mail address and password.", delay=False)


def _wrong(wait: int) -> _Refusal:
    message = "The e-mail address or the password is not right."
    if wait:
        message += f" Wait {_duration(wait)} before trying again."
    return _Refusal(message)


def _throttled(wait: int) -> _Refusal:
    return _Refusal(
        "Too many failed sign-ins for this account from here. "
        f"Wait {_duration(wait)}, then try again.",
        status_code=429,
        delay=False,
        retry_after=wait,
    )


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


async def authorization_endpoint(request: Request) -> Response:
    """``GET``: the sign-in and consent page; ``POST``: sign in, then redirect with a code."""
    try:
        oauth_request = await read_oauth_request(request, settings=_settings(request))
    except OAuth2Error as error:
        return error_page(error=error.error, description=error.get_error_description())
    if request.method == "GET":
        return await _show(request, oauth_request)
    return await _submit(request, oauth_request)


async def _consent_grant(
    request: Request, conn: AsyncConnection, oauth_request: OAuth2Request
) -> tuple[AuthServer, Any]:
    """The authorization server and the request's consent grant, or the error answer (a
    redirect to the client, or the error page) in its place."""
    server = _server(request, conn)
    try:
        return server, await anyio.to_thread.run_sync(server.get_consent_grant, oauth_request)
    except OAuth2Error as error:
        return server, _authorization_error(server, oauth_request, error)


async def _show(request: Request, oauth_request: OAuth2Request) -> Response:
    async with request.app.state.database.transaction() as conn:
        _, grant = await _consent_grant(request, conn, oauth_request)
        if isinstance(grant, Response):
            return grant
    csrf = _csrf_cookie(request) or secrets.token_urlsafe(32)
    response = _form(grant, oauth_request, csrf)
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=3600,
        path=_authorize_path(_settings(request)),
        secure=_settings(request).issuer.startswith("https://"),
        httponly=True,
        samesite="strict",
    )
    return response


async def _submit(request: Request, oauth_request: OAuth2Request) -> Response:
    form = oauth_request.payload.data
    csrf = _csrf_cookie(request)
    submitted = form.get("csrf_token", "")
    if csrf is None or not hmac.compare_digest(csrf.encode(), submitted.encode()):
        return error_page(
            error="invalid_request",
            description="The sign-in form has expired or was not sent from this site.",
        )
    deny = form.get("action") == "deny"
    email = form.get("email", "").strip().lower()
    async with request.app.state.database.transaction() as conn:
        server, grant = await _consent_grant(request, conn, oauth_request)
        if isinstance(grant, Response):
            return grant
        password = form.get("password", "")
        outcome = None if deny else await _sign_in(conn, email, password, _address(request))
        if not isinstance(outcome, _Refusal):
            # With no user (denied), authlib redirects with error=access_denied.
            result: OAuthResult = await anyio.to_thread.run_sync(
                server.create_authorization_response, oauth_request, outcome, grant
            )
            return result.to_response()
    # Refused: the throttle's count is committed; wait outside the transaction.
    if outcome.delay:
        await anyio.sleep(FAILURE_DELAY_SECONDS)
    return _form(grant, oauth_request, csrf, refused=outcome, email=email)


async def _sign_in(
    conn: AsyncConnection, email: str, password: str, address: str
) -> UserRecord | _Refusal:
    if not email or not password or len(email) > MAX_EMAIL_LENGTH:
        return _MISSING
    account = throttle.user_account(email)
    wait = await throttle.wait_before_attempt(conn, account, address, now=utcnow())
    if wait:
        return _throttled(wait)  # too early: the password is not even checked
    user = await repo.user_by_email(conn, email)
    stored = user.password_hash if user is not None and user.is_active else None
    # argon2 is slow on purpose: off the event loop. An unknown e-mail costs one check as well.
    if await anyio.to_thread.run_sync(verify_password, stored, password) and user is not None:
        await throttle.record_success(conn, account, address, now=utcnow())
        return user
    return _wrong(await throttle.record_failure(conn, account, address, now=utcnow()))


def _authorization_error(
    server: AuthServer, oauth_request: OAuth2Request, error: OAuth2Error
) -> Response:
    """Redirect with the error only once the client and its redirect URI are known good."""
    if error.redirect_uri:
        return server.handle_error_response(oauth_request, error).to_response()
    return error_page(error=error.error, description=error.get_error_description())


def _form(
    grant: Any,
    oauth_request: OAuth2Request,
    csrf: str,
    *,
    refused: _Refusal | None = None,
    email: str = "",
) -> Response:
    """The sign-in form; after a ``refused`` sign-in, again with its message and status."""
    data = oauth_request.payload.data
    retry = refused.retry_after if refused is not None else None
    return login_page(
        client_name=grant.client.record.name,
        scopes=(oauth_request.scope or "").split(),
        params={k: data[k] for k in _FORWARDED if k in data},
        csrf_token=csrf,
        email=email,
        message=refused.message if refused is not None else None,
        status_code=refused.status_code if refused is not None else 200,
        headers={"Retry-After": str(retry)} if retry else None,
    )


def _csrf_cookie(request: Request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    return value if value is not None and _CSRF_FORMAT.match(value) else None


def _authorize_path(settings: Settings) -> str:
    return urlsplit(settings.issuer).path.rstrip("/") + "/oauth/authorize"


# -- discovery ----------------------------------------------------------------------------------


def metadata_document(settings: Settings) -> dict[str, object]:
    """The RFC 8414 authorization server metadata."""
    issuer = settings.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "scopes_supported": [s.value for s in Scope],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [*SECRET_METHODS, "none"],
        "revocation_endpoint_auth_methods_supported": [*SECRET_METHODS, "none"],
        "introspection_endpoint_auth_methods_supported": SECRET_METHODS,
        "authorization_response_iss_parameter_supported": True,
    }


_DISCOVERY_HEADERS = {"Cache-Control": "public, max-age=300"}


async def server_metadata(request: Request) -> Response:
    """``GET /.well-known/oauth-authorization-server``."""
    return JSONResponse(metadata_document(_settings(request)), headers=_DISCOVERY_HEADERS)


async def jwks(request: Request) -> Response:
    """``GET /.well-known/jwks.json``: the public halves of the signing keys."""
    return JSONResponse(_keys(request).public_jwks(), headers=_DISCOVERY_HEADERS)
