"""Resource-server mode: accept tokens of an external OpenID Connect issuer.

The issuer's JWKS is fetched from its discovery document (or ``LNOB_OIDC_JWKS_URL``), cached,
and fetched again when a token names a key id the cache does not know, at most once per
``REFRESH_INTERVAL`` so that a stream of forged key ids cannot hammer the issuer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import TYPE_CHECKING, Any

from joserfc.jwk import KeySet

from lnob_api.auth.tokens import InvalidToken, header_kid, validate_external_token

if TYPE_CHECKING:
    import httpx

REFRESH_INTERVAL = 30.0
FETCH_TIMEOUT = 5.0


class OidcVerifier:
    def __init__(
        self, *, issuer: str, audience: str, user_claim: str, jwks_url: str | None
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.user_claim = user_claim
        self._jwks_url = jwks_url
        self._keys: KeySet | None = None
        self._kids: set[str] = set()
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    @staticmethod
    def claims_issuer(token: str) -> str | None:
        """The unverified ``iss`` of a JWT, only to route it to the right verifier."""
        try:
            payload = token.split(".")[1]
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            issuer = data.get("iss")
            return str(issuer) if issuer is not None else None
        except (IndexError, ValueError, UnicodeDecodeError, AttributeError):
            return None

    async def verify(self, token: str) -> dict[str, Any]:
        kid = header_kid(token)
        keys = await self._keyset(kid)
        return validate_external_token(token, keys, issuer=self.issuer, audience=self.audience)

    async def _keyset(self, kid: str | None) -> KeySet:
        async with self._lock:
            stale = self._keys is None or (kid is not None and kid not in self._kids)
            due = time.monotonic() - self._fetched_at >= REFRESH_INTERVAL
            if self._keys is None or (stale and due):
                await self._fetch()
            if self._keys is None:
                raise InvalidToken("the external issuer's keys are unavailable")
            return self._keys

    async def _fetch(self) -> None:
        # Imported here: only a server with an external issuer needs httpx, which (with the
        # click, rich and pygments of its command line) adds ~6 MiB to every worker's RSS.
        import httpx

        self._fetched_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT) as http:
                url = self._jwks_url or await self._discover(http)
                response = await http.get(url)
                response.raise_for_status()
                document = response.json()
            keys = KeySet.import_key_set(document)
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return  # keep the previous keys; a token with an unknown kid then fails
        self._keys = keys
        self._kids = {str(k.get("kid")) for k in document.get("keys", []) if k.get("kid")}

    async def _discover(self, http: httpx.AsyncClient) -> str:
        response = await http.get(f"{self.issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        url = response.json()["jwks_uri"]
        self._jwks_url = str(url)
        return self._jwks_url
