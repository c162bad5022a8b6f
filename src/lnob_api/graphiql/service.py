"""The OAuth client GraphiQL logs in with, kept registered at start-up.

GraphiQL runs in the browser, so its client is public (no secret, ``token_endpoint_auth_method``
"none", PKCE S256) and may hold every scope: the authorization server still narrows a token to
what the signed-in user may have. Its redirect URIs are ``{issuer}/graphql`` of every server
that started with GraphiQL on against this database: a server adds its own and keeps the
others', so two servers (another port, another host name) do not break each other's log-in.
The client belongs to the partnership's own organisation.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.principal import Scope
from lnob_api.config import Settings
from lnob_api.db.request import Database
from lnob_api.graphiql import repository as repo
from lnob_api.graphiql.repository import ClientSettings
from lnob_api.models.enums import OrganisationKind

_log = logging.getLogger(__name__)

CLIENT_ID = "lnob-graphiql"
CLIENT_NAME = "GraphiQL (LNOB Data Commons API)"
SCOPES = tuple(s.value for s in Scope)
GRANT_TYPES = ("authorization_code", "refresh_token")
PUBLIC_AUTH_METHOD = "none"

ORGANISATION_SLUG = "lnob-partnership"
ORGANISATION_NAME = "Leave No One Behind partnership"
ORGANISATION_DESCRIPTION = (
    "Partnership of international civil society organisations and country coalitions that "
    "produce community-driven data on marginalised groups for SDG monitoring."
)


class ClientOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REVOKED = "revoked"  # an administrator withdrew it: left alone


def redirect_uri(issuer: str) -> str:
    """Where the authorization server sends GraphiQL's codes: the GraphiQL page itself."""
    return f"{issuer.rstrip('/')}/graphql"


def is_graphiql_redirect(uri: str) -> bool:
    """A URI of the GraphiQL page's form: ``http(s)://host[:port][/prefix]/graphql``."""
    parts = urlsplit(uri)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and parts.path.endswith("/graphql")
        and not parts.query
        and not parts.fragment
    )


def client_settings(issuer: str, *, keep: tuple[str, ...] = ()) -> ClientSettings:
    """The registration for ``issuer``, keeping the other servers' redirect URIs from ``keep``
    (only those of the GraphiQL page's form: anything else written there is dropped)."""
    own = redirect_uri(issuer)
    keep = tuple(dict.fromkeys(u for u in keep if is_graphiql_redirect(u)))
    return ClientSettings(
        scopes=SCOPES,
        redirect_uris=(*keep, own) if own not in keep else keep,
        grant_types=GRANT_TYPES,
        auth_method=PUBLIC_AUTH_METHOD,
    )


async def register_graphiql_client(conn: AsyncConnection, *, issuer: str) -> ClientOutcome:
    """Create the GraphiQL client (and its organisation), or bring its registration in line
    with ``issuer`` (its redirect URI added to the others). Idempotent: an up-to-date client is
    not written. Never commits."""
    stored = await repo.client_by_client_id(conn, CLIENT_ID)
    wanted = client_settings(issuer)
    if stored is None:
        organisation_id = await repo.ensure_organisation(
            conn,
            slug=ORGANISATION_SLUG,
            name=ORGANISATION_NAME,
            kind=OrganisationKind.ICSO,
            description=ORGANISATION_DESCRIPTION,
        )
        created = await repo.insert_client(
            conn,
            client_id=CLIENT_ID,
            name=CLIENT_NAME,
            organisation_id=organisation_id,
            settings=wanted,
        )
        if created:
            return ClientOutcome.CREATED
        # Another worker inserted it meanwhile: compare with what it wrote.
        stored = await repo.client_by_client_id(conn, CLIENT_ID)
        assert stored is not None
    if stored.revoked_at is not None:
        return ClientOutcome.REVOKED
    wanted = client_settings(issuer, keep=stored.settings.redirect_uris)
    if stored.settings == wanted and not stored.has_secret:
        return ClientOutcome.UNCHANGED
    await repo.update_client(conn, CLIENT_ID, wanted)
    return ClientOutcome.UPDATED


async def ensure_graphiql_client(database: Database, settings: Settings) -> ClientOutcome | None:
    """At start-up, when GraphiQL is on: register its client in a transaction of its own.

    A database that cannot take it (not migrated yet, unreachable) costs GraphiQL its log-in,
    not the service its start: the problem is logged and None returned.
    """
    if not settings.graphiql:
        return None
    try:
        async with database.transaction() as conn:
            outcome = await register_graphiql_client(conn, issuer=settings.issuer)
    except (SQLAlchemyError, OSError) as exc:
        _log.warning("GraphiQL log-in unavailable: could not register its OAuth client: %s", exc)
        return None
    if outcome is ClientOutcome.REVOKED:
        _log.warning("GraphiQL log-in unavailable: the OAuth client %r is revoked", CLIENT_ID)
    elif outcome is not ClientOutcome.UNCHANGED:
        _log.info(
            "GraphiQL OAuth client %r %s (%s)", CLIENT_ID, outcome, redirect_uri(settings.issuer)
        )
    return outcome
