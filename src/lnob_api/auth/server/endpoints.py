"""Token revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped,unused-ignore]
    InvalidRequestError,
    OAuth2Request,
)
from authlib.oauth2.rfc7009 import (  # type: ignore[import-untyped,unused-ignore]
    RevocationEndpoint as _RevocationEndpoint,
)
from authlib.oauth2.rfc7662 import (  # type: ignore[import-untyped,unused-ignore]
    IntrospectionEndpoint as _IntrospectionEndpoint,
)

from lnob_api.auth import repository as repo
from lnob_api.auth.secrets import hash_secret
from lnob_api.auth.server.models import (
    ALL_METHODS,
    SECRET_METHODS,
    AccessToken,
    Client,
    RefreshToken,
    utcnow,
)

if TYPE_CHECKING:
    from lnob_api.auth.server.core import AuthServer


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
        # What the token can do now, not what it said when issued: a disabled user's token is
        # inactive, and a scope the client or user lost since is not reported.
        scope = self.server.current_scope(token)
        if scope is None:
            return {"active": False}
        return token.introspection(self.server.ctx.settings.issuer) | {"scope": scope}
