"""``lnob-api grants``: open a dataset or a coalition's data to a grantee, list, revoke."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.cli_admin.common import guarded, in_transaction, iso, print_json, print_table, when
from lnob_api.cli_admin.parsing import add_listing, command_group
from lnob_api.config import Settings
from lnob_api.grant import service as grant_service

if TYPE_CHECKING:
    from argparse import _SubParsersAction


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = command_group(sub, "grants", help="give, list and revoke access grants")

    create = actions.add_parser(
        "create",
        help="open a dataset, or all of a coalition's data, to an organisation or a client",
    )
    create.add_argument("--coalition", required=True, metavar="CODE", help="country code, KE")
    grantee = create.add_mutually_exclusive_group(required=True)
    grantee.add_argument("--organisation", metavar="SLUG", help="the organisation granted")
    grantee.add_argument("--client", metavar="CLIENT_ID", help="the OAuth client granted")
    create.add_argument(
        "--dataset", metavar="SLUG", help="only this dataset of the coalition (default: all)"
    )
    create.add_argument(
        "--expires",
        metavar="WHEN",
        help="YYYY-MM-DD (the grant lasts through that day, UTC) or an ISO 8601 date and time",
    )
    create.add_argument("--note", default="", help="why the access was given")
    create.set_defaults(handler=guarded(cmd_create))

    listing = add_listing(actions, cmd_list, help="list grants with their status")
    listing.add_argument("--coalition", metavar="CODE", help="only this coalition's grants")

    revoke = actions.add_parser("revoke", help="revoke a grant")
    revoke.add_argument("grant_id", type=int, metavar="GRANT_ID")
    revoke.set_defaults(handler=guarded(cmd_revoke))


def _reach(grant: grant_service.GrantRecord) -> str:
    return f"dataset {grant.dataset_slug}" if grant.dataset_slug else "all data"


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    expires = grant_service.parse_expiry(args.expires) if args.expires else None

    async def work(conn: AsyncConnection) -> grant_service.GrantRecord:
        return await grant_service.create_grant(
            conn,
            coalition_code=args.coalition,
            organisation_slug=args.organisation,
            client_id=args.client,
            dataset_slug=args.dataset,
            expires_at=expires,
            note=args.note,
        )

    grant = in_transaction(settings, work)
    until = f"until {when(grant.expires_at)}" if grant.expires_at else "with no expiry"
    print(
        f"created grant {grant.id}: {grant.coalition_code} {_reach(grant)}"
        f" to {grant.grantee}, {until}"
    )
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    grants = in_transaction(
        settings, partial(grant_service.list_grants, coalition_code=args.coalition)
    )
    now = datetime.now(UTC)
    if args.json:
        print_json(
            [
                {
                    "id": g.id,
                    "coalition": g.coalition_code,
                    "dataset": g.dataset_slug,
                    "organisation": g.organisation_slug,
                    "client_id": g.client_id,
                    "expires_at": iso(g.expires_at),
                    "revoked_at": iso(g.revoked_at),
                    "status": grant_service.grant_status(g, now).value,
                    "note": g.note,
                    "created_at": iso(g.created_at),
                }
                for g in grants
            ]
        )
        return 0
    rows = [
        [
            str(g.id),
            g.coalition_code,
            g.dataset_slug or "(all)",
            g.grantee,
            when(g.expires_at, empty="never"),
            grant_service.grant_status(g, now).value,
            g.note,
        ]
        for g in grants
    ]
    headers = ["ID", "COALITION", "DATASET", "GRANTEE", "EXPIRES", "STATUS", "NOTE"]
    print_table(headers, rows, empty="no grants")
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    grant = in_transaction(settings, partial(grant_service.revoke_grant, grant_id=args.grant_id))
    print(f"revoked grant {grant.id} ({grant.coalition_code} {_reach(grant)} to {grant.grantee})")
    return 0
