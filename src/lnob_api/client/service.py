"""OAuth client use cases for administration: register, list, revoke.

A confidential client without redirect URIs is a machine (client credentials); with redirect
URIs it is a server-side frontend (authorization code). A public client (browser or mobile
frontend) has no secret and must use the authorization code flow with PKCE. The secret is
returned once, at creation; only its hash is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.principal import Scope
from lnob_api.auth.secrets import hash_secret, new_client_id, new_client_secret
from lnob_api.client import repository as repo
from lnob_api.client.repository import ClientRecord
from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.organisation import service as organisation_service

NAME_MAX = 200
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Private-use URI schemes of native apps are reverse domain names (RFC 8252, section 7.1).
_PRIVATE_SCHEME = re.compile(r"^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$")

MACHINE_GRANTS = ("client_credentials", "refresh_token")
FRONTEND_GRANTS = ("authorization_code", "refresh_token")

__all__ = [
    "ClientRecord",
    "IssuedClient",
    "create_client",
    "list_clients",
    "parse_scopes",
    "revoke_client",
]


@dataclass(frozen=True, slots=True)
class IssuedClient:
    """A new client's credentials; ``client_secret`` is the only copy there will ever be."""

    client: ClientRecord
    client_secret: str | None

    @property
    def client_id(self) -> str:
        return self.client.client_id


def parse_scopes(scopes: str | Iterable[str]) -> tuple[str, ...]:
    """Scopes from ``"data:read data:write"`` (spaces or commas) or a list, in a stable order."""
    items = scopes.replace(",", " ").split() if isinstance(scopes, str) else list(scopes)
    known = {s.value for s in Scope}
    unknown = [s for s in items if s not in known]
    if unknown:
        raise InvalidInput(
            "scopes",
            f"unknown scope {', '.join(map(repr, unknown))}"
            f" (expected some of {', '.join(s.value for s in Scope)})",
        )
    if not items:
        raise InvalidInput("scopes", "at least one scope is required")
    return tuple(s.value for s in Scope if s.value in items)


def check_redirect_uri(uri: str) -> str:
    """An exact redirect URI as OAuth 2.1 allows it: https, http on a loopback host (native and
    development frontends), or a native app's private-use scheme; never with a fragment."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if parts.fragment or "#" in uri:
        raise InvalidInput("redirect_uri", f"{uri!r} must not have a fragment")
    if scheme == "https" and parts.hostname:
        return uri
    if scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return uri
    if _PRIVATE_SCHEME.match(scheme):
        return uri
    raise InvalidInput(
        "redirect_uri",
        f"{uri!r} is not allowed: use https://, http:// on localhost or 127.0.0.1,"
        " or an app scheme such as org.example.app:/callback",
    )


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name", "a name is required")
    if len(name) > NAME_MAX:
        raise InvalidInput("name", f"at most {NAME_MAX} characters")
    return name


async def create_client(
    conn: AsyncConnection,
    *,
    name: str,
    organisation_slug: str,
    scopes: str | Iterable[str],
    redirect_uris: Iterable[str] = (),
    public: bool = False,
) -> IssuedClient:
    """Register a client of an organisation and return its id and (confidential) secret."""
    name = _check_name(name)
    allowed = parse_scopes(scopes)
    uris = tuple(dict.fromkeys(check_redirect_uri(u.strip()) for u in redirect_uris))
    if public and not uris:
        raise InvalidInput(
            "redirect_uri", "a public client needs at least one redirect URI (authorization code)"
        )
    organisation = await organisation_service.organisation_by_slug(conn, organisation_slug)
    secret = None if public else new_client_secret()
    client_id = new_client_id()
    await repo.insert_client(
        conn,
        client_id=client_id,
        secret_hash=hash_secret(secret) if secret is not None else None,
        name=name,
        organisation_id=organisation.id,
        scopes=allowed,
        redirect_uris=uris,
        grant_types=FRONTEND_GRANTS if uris else MACHINE_GRANTS,
        token_endpoint_auth_method=(
            repo.PUBLIC_AUTH_METHOD if public else repo.CONFIDENTIAL_AUTH_METHOD
        ),
    )
    client = await repo.client_by_client_id(conn, client_id)
    if client is None:  # pragma: no cover - inserted just above, in this transaction
        raise NotFound(f"no client with id {client_id!r}")
    return IssuedClient(client=client, client_secret=secret)


async def list_clients(conn: AsyncConnection) -> list[ClientRecord]:
    """Every client, revoked ones included; never their secrets."""
    return await repo.all_clients(conn)


async def revoke_client(
    conn: AsyncConnection, client_id: str, *, now: datetime | None = None
) -> ClientRecord:
    """Revoke a client: the API refuses its tokens from the next request on."""
    found = await repo.client_by_client_id(conn, client_id.strip(), lock=True)
    if found is None:
        raise NotFound(f"no client with id {client_id!r}")
    if found.revoked_at is not None:
        when = found.revoked_at.astimezone(UTC)
        raise Conflict(f"client {found.client_id} was already revoked on {when:%Y-%m-%d %H:%M} UTC")
    moment = now or datetime.now(UTC)
    await repo.set_revoked(conn, found.id, now=moment)
    return replace(found, revoked_at=moment)
