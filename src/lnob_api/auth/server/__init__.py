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

The package: ``models`` (authlib's client, code and token objects), ``grants``, ``endpoints``
(revocation, introspection), ``core`` (the server) and ``adapter`` (the Starlette side).
"""

from lnob_api.auth.server.adapter import OAuthResult, _public_base, read_oauth_request
from lnob_api.auth.server.core import AuthServer, ServerContext
from lnob_api.auth.server.models import (
    GRANT_TYPES,
    SECRET_METHODS,
    Client,
    narrow_scope,
    utcnow,
)

__all__ = [
    "GRANT_TYPES",
    "SECRET_METHODS",
    "AuthServer",
    "Client",
    "OAuthResult",
    "ServerContext",
    "_public_base",
    "narrow_scope",
    "read_oauth_request",
    "utcnow",
]
