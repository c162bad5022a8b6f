"""OAuth client use cases: register, list, revoke (operator's command), and the API's create
and revoke (partnership admins, audited).

A confidential client without redirect URIs is a machine (client credentials); with redirect
URIs it is a server-side frontend (authorization code). A public client (browser or mobile
frontend) has no secret and must use the authorization code flow with PKCE. The secret is
returned once, at creation; only its hash is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api.access import checks
from lnob_api.audit.change import record_state
from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Scope
from lnob_api.auth.secrets import hash_secret, new_client_id, new_client_secret
from lnob_api.client import repository as repo
from lnob_api.client.repository import ClientRecord
from lnob_api.errors import Conflict, InvalidInput, NotFound, ValidationFailed
from lnob_api.organisation import service as organisation_service

NAME_MAX = 200
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Private-use URI schemes of native apps are reverse domain names (RFC 8252, section 7.1).
_PRIVATE_SCHEME = re.compile(r"^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$")

# partnership:admin belongs to people, not to clients: the token of a flagged user carries it
# (through a frontend such as GraphiQL), a client's own registration never does.
UNREGISTRABLE_MESSAGE = (
    "partnership:admin cannot be given to a client: it goes only to users flagged as"
    " partnership admins, when they sign in"
)

MACHINE_GRANTS = ("client_credentials", "refresh_token")
FRONTEND_GRANTS = ("authorization_code", "refresh_token")

__all__ = [
    "Actor",
    "ClientRecord",
    "IssuedClient",
    "create",
    "create_client",
    "list_clients",
    "parse_scopes",
    "revoke",
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
        raise InvalidInput("scopes", "at least one scope is required", code="REQUIRED")
    if Scope.PARTNERSHIP_ADMIN.value in items:
        raise InvalidInput("scopes", UNREGISTRABLE_MESSAGE)
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
        raise InvalidInput("name", "a name is required", code="REQUIRED")
    if len(name) > NAME_MAX:
        raise InvalidInput("name", f"at most {NAME_MAX} characters", code="TOO_LONG")
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
            "redirect_uri",
            "a public client needs at least one redirect URI (authorization code)",
            code="REQUIRED",
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


def _collect(problems: list[InvalidInput], field: str | None, check: Callable[[], object]) -> None:
    """Run ``check``; a problem it raises joins ``problems`` (on ``field`` when given)."""
    try:
        check()
    except InvalidInput as exc:
        if field is None:
            problems.append(exc)
        else:
            message = exc.message.removeprefix(f"{exc.field}: ")
            problems.append(InvalidInput(field, message, code=exc.reason))


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    client: ClientRecord,
    before: ClientRecord | None,
) -> None:
    await record_state(
        session,
        actor,
        action,
        entity_type="OAuthClient",
        entity_id=client.client_id,
        coalition_id=None,
        before=before,
        after=client,
    )


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    organisation: organisation_service.OrganisationRef,
    name: str,
    scopes: list[str],
    redirect_uris: list[str],
    public: bool,
) -> IssuedClient:
    """Partnership admins register a client; its secret is in the result, and nowhere else."""
    checks.require_partnership_admin(actor.principal)
    conn = await session.connection()
    problems: list[InvalidInput] = []
    found = None
    try:
        found = await organisation_service.find(conn, organisation, field="organisation")
    except InvalidInput as exc:
        problems.append(exc)
    _collect(problems, None, lambda: _check_name(name))
    _collect(problems, None, lambda: parse_scopes(scopes))
    for i, uri in enumerate(redirect_uris):
        _collect(problems, f"redirectUris.{i}", partial(check_redirect_uri, uri.strip()))
    if public and not redirect_uris:
        problems.append(
            InvalidInput(
                "redirectUris", "a public client needs at least one redirect URI", code="REQUIRED"
            )
        )
    if problems or found is None:
        raise ValidationFailed(problems)
    issued = await create_client(
        conn,
        name=name,
        organisation_slug=found.slug,
        scopes=scopes,
        redirect_uris=redirect_uris,
        public=public,
    )
    await _audit(session, actor, "client.create", issued.client, None)
    return issued


async def revoke(session: AsyncSession, actor: Actor, *, client_id: str) -> ClientRecord:
    """Partnership admins revoke a client: its tokens stop working with the next request."""
    checks.require_partnership_admin(actor.principal)
    conn = await session.connection()
    before = await repo.client_by_client_id(conn, client_id.strip())
    if before is None:
        raise InvalidInput("clientId", f"no client {client_id!r}", code="NOT_FOUND")
    try:
        revoked = await revoke_client(conn, client_id)
    except Conflict as exc:
        raise InvalidInput("clientId", exc.message, code="INVALID_STATE") from None
    await _audit(session, actor, "client.revoke", revoked, before)
    return revoked
