"""``lnob-api clients``: register OAuth clients (the secret shown once), list and revoke them."""

from __future__ import annotations

import argparse
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.principal import Scope
from lnob_api.cli_admin.common import guarded, in_transaction, iso, print_json, print_table, when
from lnob_api.cli_admin.parsing import add_listing, command_group
from lnob_api.client import service as client_service
from lnob_api.config import Settings

if TYPE_CHECKING:
    from argparse import _SubParsersAction


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = command_group(sub, "clients", help="register, list and revoke OAuth clients")

    scopes = ", ".join(s.value for s in Scope)
    create = actions.add_parser(
        "create",
        help="register a client and print its id and secret (shown once)",
        description="Register an OAuth client of an organisation. Without --redirect-uri it is "
        "a machine client (client credentials); with one it signs users in (authorization "
        "code); --public makes a browser or mobile client without a secret (PKCE).",
    )
    create.add_argument("--name", required=True, help="what the client is, for people")
    create.add_argument("--organisation", required=True, metavar="SLUG", help="owner")
    create.add_argument(
        "--scopes", required=True, help=f"space-separated scopes it may ask for: {scopes}"
    )
    create.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        dest="redirect_uris",
        metavar="URI",
        help="an exact redirect URI for the authorization code flow (repeatable)",
    )
    create.add_argument(
        "--public", action="store_true", help="no secret: a browser or mobile frontend (PKCE)"
    )
    create.add_argument(
        "--json", action="store_true", help='print {"client_id": ..., "client_secret": ...}'
    )
    create.set_defaults(handler=guarded(cmd_create))

    add_listing(actions, cmd_list, help="list clients (never their secrets)")

    revoke = actions.add_parser("revoke", help="revoke a client: its tokens stop working now")
    revoke.add_argument("client_id", metavar="CLIENT_ID")
    revoke.set_defaults(handler=guarded(cmd_revoke))


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: AsyncConnection) -> client_service.IssuedClient:
        return await client_service.create_client(
            conn,
            name=args.name,
            organisation_slug=args.organisation,
            scopes=args.scopes,
            redirect_uris=args.redirect_uris,
            public=args.public,
        )

    issued = in_transaction(settings, work)
    if args.json:
        credentials = {"client_id": issued.client_id, "client_secret": issued.client_secret}
        print_json(credentials, compact=True)
        return 0
    client = issued.client
    flows = ", ".join(client.grant_types)
    if issued.client_secret is None:
        print(f"created public client {client.client_id} ({flows} with PKCE; no secret)")
    else:
        print(
            f"created client {client.client_id} ({flows}); "
            f"secret, shown only now: {issued.client_secret}"
        )
    return 0


def _kind(client: client_service.ClientRecord) -> str:
    return "public" if client.is_public else "confidential"


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    clients = in_transaction(settings, client_service.list_clients)
    if args.json:
        print_json(
            [
                {
                    "client_id": c.client_id,
                    "name": c.name,
                    "organisation": c.organisation_slug,
                    "type": _kind(c),
                    "scopes": list(c.scopes),
                    "grant_types": list(c.grant_types),
                    "redirect_uris": list(c.redirect_uris),
                    "created_at": iso(c.created_at),
                    "revoked_at": iso(c.revoked_at),
                }
                for c in clients
            ]
        )
        return 0
    rows = [
        [
            c.client_id,
            c.name,
            c.organisation_slug,
            _kind(c),
            " ".join(c.scopes),
            " ".join(c.redirect_uris) or "-",
            when(c.created_at),
            f"revoked {when(c.revoked_at)}" if c.revoked_at else "active",
        ]
        for c in clients
    ]
    headers = ["CLIENT_ID", "NAME", "ORGANISATION", "TYPE", "SCOPES", "REDIRECT_URIS"]
    print_table([*headers, "CREATED", "STATUS"], rows, empty="no clients")
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    client = in_transaction(
        settings, partial(client_service.revoke_client, client_id=args.client_id)
    )
    print(f"revoked client {client.client_id} ({client.name}): its tokens no longer work")
    return 0
