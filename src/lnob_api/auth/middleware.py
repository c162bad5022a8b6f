"""Bearer authentication (RFC 6750) as ASGI middleware.

No Authorization header: the request is anonymous. Any other problem with the header or the
token is HTTP 401 with ``WWW-Authenticate: Bearer error="invalid_token"`` and a one-line
reason; a bad token never falls back to anonymous.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lnob_api.auth.deferred import STATE_KEY, DeferredCheck, RememberedChecks
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.oidc import OidcVerifier
from lnob_api.auth.principal import ANONYMOUS, Principal
from lnob_api.auth.resolver import checked_principal, principal_from_token, signed_claims
from lnob_api.auth.tokens import AccessClaims, InvalidToken, VerifiedTokens
from lnob_api.config import Settings
from lnob_api.db.request import Database, RequestDb

REALM = "lnob-api"
# Paths whose requests carry a principal; OAuth endpoints authenticate clients themselves.
PROTECTED_PREFIXES = ("/graphql", "/exports", "/sdmx", "/catalog")
# RFC 9728 metadata of this resource (served by http.discovery), named in every 401 challenge.
RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource"


class BearerAuthMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        keys: Any,
        database: Database,
        oidc: OidcVerifier | None,
        remembered: RememberedChecks | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.keys_holder = keys
        self.database = database
        self.oidc = oidc
        # Signature checks of tokens seen before (pure CPU; never whether a token is live).
        self.verified = VerifiedTokens()
        # Each token's last check, for the check folded into a GraphQL statement (deferred.py).
        # Shared with the GraphQL endpoint, whose response cache versions them (auth.deferred).
        self.remembered = remembered if remembered is not None else RememberedChecks()
        self.defer = True  # False: every check before the endpoint (bench/request_profile.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIXES):
            await self.app(scope, receive, send)
            return
        header = _authorization(scope)
        state = scope.setdefault("state", {})
        if header is None:
            state.setdefault("principal", ANONYMOUS)
            await self.app(scope, receive, send)
            return
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _unauthorized(
                send,
                "invalid_token",
                "use the Bearer scheme: Authorization: Bearer <token>",
                self.settings,
            )
            return
        token = token.strip()
        try:
            deferred = self._deferred(scope, token)
        except InvalidToken as exc:
            await _unauthorized(send, "invalid_token", exc.reason, self.settings)
            return
        if deferred is not None:
            state["principal"] = deferred.principal
            state[STATE_KEY] = deferred
            await self._deferring(deferred, scope, receive, send)
            return
        try:
            state["principal"] = await self._check(token)
        except InvalidToken as exc:
            await _unauthorized(send, "invalid_token", exc.reason, self.settings)
            return
        await self.app(scope, receive, send)

    async def _check(self, token: str, claims: AccessClaims | None = None) -> Principal:
        """The bearer check, now: one statement on a connection of its own."""
        db = RequestDb(self.database)
        try:
            if claims is None and self._external(token):
                principal = await principal_from_token(
                    db,
                    token,
                    keys=self.keys_holder.current(),
                    settings=self.settings,
                    oidc=self.oidc,
                )
            else:
                claims = claims or self._claims(token)
                version = self.remembered.version()  # before the statement reads the facts
                principal, facts = await checked_principal(db, claims)
                principal = self.remembered.put(token, principal, facts, version)
        except InvalidToken:
            self.remembered.forget(token)
            await db.close()
            raise
        except BaseException:
            # Roll back, and let the real error through (a database outage becomes a 503
            # in the outage middleware); committing here would hide it behind another.
            await db.close(failed=True)
            raise
        await db.close()
        return principal

    def _claims(self, token: str) -> AccessClaims:
        keys: KeyStore = self.keys_holder.current()
        return signed_claims(token, keys=keys, settings=self.settings, verified=self.verified)

    def _external(self, token: str) -> bool:
        oidc = self.oidc
        return oidc is not None and (oidc.claims_issuer(token) or "").rstrip("/") == oidc.issuer

    def _deferred(self, scope: Scope, token: str) -> DeferredCheck | None:
        """A check left to the GraphQL endpoint, for a token checked before on this worker
        (its signature, issuer, audience and times checked now, as always)."""
        if not self.defer or scope["path"] != "/graphql" or self._external(token):
            return None
        remembered = self.remembered.get(token)
        if remembered is None:
            return None
        claims = self._claims(token)

        async def run_check() -> Principal:
            return await self._check(token, claims)

        version = self.remembered.version()
        return DeferredCheck(token, claims, remembered, self.remembered, run_check, version)

    async def _deferring(
        self, deferred: DeferredCheck, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """The endpoint with a deferred check: a refusal it finds is the usual 401, as long as
        nothing has been answered (the endpoint settles the check before it answers)."""
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except InvalidToken as exc:
            if started:
                raise
            await _unauthorized(send, "invalid_token", exc.reason, self.settings)


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


async def _unauthorized(send: Send, error: str, description: str, settings: Settings) -> None:
    safe = description.replace('"', "'")
    metadata = f"{settings.issuer}{RESOURCE_METADATA_PATH}"
    challenge = (
        f'Bearer realm="{REALM}", error="{error}", error_description="{safe}", '
        f'resource_metadata="{metadata}"'
    )
    body = json.dumps({"error": error, "error_description": description}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"www-authenticate", challenge.encode("latin-1", "replace")),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
