"""``lnob-api tokens create``: a user's access token from the shell, for an administrator.

The token is the same RFC 9068 JWT the authorization server issues (same signing keys, issuer,
audience, claims), for the user named by ``--user`` through the public client ``lnob-cli`` (all
scopes, no grant type and no redirect URI, so no OAuth flow can use it), created on first use in
the partnership's organisation. The server narrows it at each request like any token: a
deactivated user, a revoked ``lnob-cli`` or a revoked ``jti`` stops it. Each token issued is an
audit event (``token.issue``) naming the account at the shell as the actor; the token itself is
printed on stdout only, never stored or logged.
"""

from __future__ import annotations

import argparse
import os
import pwd
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api.cli_admin.common import CommandError, guarded, in_transaction, iso, print_json
from lnob_api.cli_admin.parsing import command_group
from lnob_api.config import Settings

if TYPE_CHECKING:
    from argparse import _SubParsersAction

    from lnob_api.auth.repository import UserRecord

CLIENT_ID = "lnob-cli"
CLIENT_NAME = "lnob-api command line (tokens create)"
MIN_TTL = 60
MAX_TTL = 30 * 24 * 3600


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = command_group(sub, "tokens", help="issue a user's access token from the shell")
    create = actions.add_parser(
        "create",
        help="print a signed access token for a user (audited)",
        description="Print an access token for USER on stdout, signed like every token of "
        "this service: use it as `Authorization: Bearer <token>`. The user's roles still "
        "decide where it may act; its scopes what it may do.",
    )
    create.add_argument("--user", required=True, metavar="EMAIL", help="the user it acts for")
    create.add_argument(
        "--scopes",
        required=True,
        nargs="+",
        metavar="SCOPE",
        help="one or more of data:read data:write coalition:admin partnership:admin "
        "(spaces or commas)",
    )
    create.add_argument(
        "--ttl",
        type=_ttl,
        default=None,
        metavar="SECONDS",
        help=f"lifetime (default LNOB_ACCESS_TOKEN_TTL; {MIN_TTL} to {MAX_TTL})",
    )
    create.add_argument(
        "--issuer",
        default=None,
        metavar="URL",
        help="the server's issuer (default LNOB_ISSUER, else http://127.0.0.1:LNOB_PORT): a "
        "server on another port (serve --port) only accepts its own",
    )
    create.add_argument("--json", action="store_true", help="print the token and its claims")
    create.set_defaults(handler=guarded(cmd_create))


def _ttl(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not MIN_TTL <= value <= MAX_TTL:
        raise argparse.ArgumentTypeError(f"expected {MIN_TTL} to {MAX_TTL} seconds, got {value}")
    return value


def parse_scopes(values: list[str]) -> list[str]:
    """The requested scopes, each known; CommandError names the first unknown one."""
    from lnob_api.auth.principal import Scope

    known = [s.value for s in Scope]
    wanted = [part for value in values for part in value.replace(",", " ").split()]
    if not wanted:
        raise CommandError(f"--scopes: give one or more of {', '.join(known)}")
    for scope in wanted:
        if scope not in known:
            raise CommandError(f"--scopes: unknown scope {scope!r}; expected {', '.join(known)}")
    return sorted(set(wanted))


def shell_actor_name() -> str:
    """Who is at the shell: the effective account, and the account behind sudo if any."""
    try:
        name = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        name = f"uid {os.geteuid()}"
    behind = os.environ.get("SUDO_USER")
    return f"{name} (sudo from {behind})" if behind and behind != name else name


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    from lnob_api.auth.keys import KeyStore
    from lnob_api.auth.tokens import issue_access_token, user_subject

    scopes = parse_scopes(args.scopes)
    ttl = args.ttl or settings.access_token_ttl
    issuer = (args.issuer or settings.issuer).rstrip("/")
    if not issuer.startswith(("http://", "https://")):
        raise CommandError(f"--issuer: expected an http(s):// URL, got {args.issuer!r}")

    async def work(conn: AsyncConnection) -> tuple[str, dict[str, object]]:
        user = await _user(conn, args.user, scopes)
        client_id = await _ensure_client(conn)
        keys = KeyStore.load(settings)  # the server's keys (created here if it never ran)
        token, claims = issue_access_token(
            keys,
            issuer=issuer,
            audience=settings.audience,
            subject=user_subject(user.id),
            client_id=client_id,
            scopes=scopes,
            ttl=ttl,
        )
        facts: dict[str, object] = {
            "user": user.email,
            "client_id": client_id,
            "scopes": scopes,
            "jti": claims.jti,
            "issuer": claims.issuer,
            "expires_at": iso(datetime.fromtimestamp(claims.expires_at, UTC)),
        }
        await _audit(conn, user.id, facts)
        return token, facts

    token, facts = in_transaction(settings, work)
    if args.json:
        print_json({"access_token": token, "token_type": "Bearer", "expires_in": ttl, **facts})
    else:
        print(token)
    return 0


async def _user(conn: AsyncConnection, email: str, scopes: list[str]) -> UserRecord:
    from lnob_api.auth import repository as auth_repo
    from lnob_api.auth.principal import Scope

    user = await auth_repo.user_by_email(conn, email.strip())
    if user is None or not user.is_active:
        raise CommandError(f"--user: no active user {email!r}")
    if Scope.PARTNERSHIP_ADMIN.value in scopes and not user.is_partnership_admin:
        raise CommandError(
            f"--scopes: {email} is not a partnership admin, so partnership:admin cannot be granted"
        )
    return user


async def _ensure_client(conn: AsyncConnection) -> str:
    """The ``lnob-cli`` client, registered on first use; refused when an admin revoked it."""
    from lnob_api.graphiql import repository as repo
    from lnob_api.graphiql import service as graphiql
    from lnob_api.graphiql.repository import ClientSettings
    from lnob_api.models.enums import OrganisationKind

    stored = await repo.client_by_client_id(conn, CLIENT_ID)
    if stored is None:
        organisation_id = await repo.ensure_organisation(
            conn,
            slug=graphiql.ORGANISATION_SLUG,
            name=graphiql.ORGANISATION_NAME,
            kind=OrganisationKind.ICSO,
            description=graphiql.ORGANISATION_DESCRIPTION,
        )
        wanted = ClientSettings(
            scopes=graphiql.SCOPES, redirect_uris=(), grant_types=(), auth_method="none"
        )
        await repo.insert_client(
            conn,
            client_id=CLIENT_ID,
            name=CLIENT_NAME,
            organisation_id=organisation_id,
            settings=wanted,
        )
        stored = await repo.client_by_client_id(conn, CLIENT_ID)
    assert stored is not None
    if stored.revoked_at is not None:
        raise CommandError(f"the OAuth client {CLIENT_ID!r} is revoked: no token can be issued")
    return CLIENT_ID


async def _audit(conn: AsyncConnection, user_id: int, facts: dict[str, object]) -> None:
    from lnob_api.audit.service import record
    from lnob_api.auth.principal import Principal

    # audit_events.client_id holds 64 characters
    actor = Principal(client_id=f"lnob-api command line: {shell_actor_name()}"[:64])
    session = AsyncSession(bind=conn)
    try:
        await record(
            session,
            actor,
            action="token.issue",
            entity_type="User",
            entity_id=user_id,
            coalition_id=None,
            before=None,
            after=facts,
            request_id=None,
        )
        await session.flush()
    finally:
        await session.close()
