"""Bearer authentication (RFC 6750) as ASGI middleware.

No Authorization header: the request is anonymous. Any other problem with the header or the
token is HTTP 401 with ``WWW-Authenticate: Bearer error="invalid_token"`` and a one-line
reason; a bad token never falls back to anonymous.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.oidc import OidcVerifier
from lnob_api.auth.principal import ANONYMOUS
from lnob_api.auth.resolver import principal_from_token
from lnob_api.auth.tokens import InvalidToken, VerifiedTokens
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
    ) -> None:
        self.app = app
        self.settings = settings
        self.keys_holder = keys
        self.database = database
        self.oidc = oidc
        # Signature checks of tokens seen before (pure CPU; never whether a token is live).
        self.verified = VerifiedTokens()

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
        db = RequestDb(self.database)
        try:
            keys: KeyStore = self.keys_holder.current()
            state["principal"] = await principal_from_token(
                db,
                token.strip(),
                keys=keys,
                settings=self.settings,
                oidc=self.oidc,
                verified=self.verified,
            )
        except InvalidToken as exc:
            await db.close()
            await _unauthorized(send, "invalid_token", exc.reason, self.settings)
            return
        except BaseException:
            # Roll back, and let the real error through (a database outage becomes a 503
            # in the outage middleware); committing here would hide it behind another.
            await db.close(failed=True)
            raise
        await db.close()
        await self.app(scope, receive, send)


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
