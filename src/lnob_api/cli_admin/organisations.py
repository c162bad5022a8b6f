"""``lnob-api organisations``: create and list organisations."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.cli_admin.common import guarded, in_transaction, iso, print_json, print_table
from lnob_api.cli_admin.parsing import add_listing, command_group
from lnob_api.config import Settings
from lnob_api.models.enums import OrganisationKind
from lnob_api.organisation import service as organisation_service

if TYPE_CHECKING:
    from argparse import _SubParsersAction


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = command_group(sub, "organisations", help="create and list organisations")

    create = actions.add_parser("create", help="create an organisation")
    create.add_argument("--slug", required=True, help="its key: lower-case letters, digits, -")
    create.add_argument("--name", required=True, help="its full name")
    create.add_argument(
        "--kind",
        default=OrganisationKind.OTHER.value,
        help=f"one of {', '.join(k.value for k in OrganisationKind)} (default OTHER)",
    )
    create.add_argument("--country", metavar="CC", help="ISO 3166-1 alpha-2 country code")
    create.set_defaults(handler=guarded(cmd_create))

    add_listing(actions, cmd_list, help="list organisations")


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    kind = organisation_service.parse_kind(args.kind)

    async def work(conn: AsyncConnection) -> organisation_service.OrganisationRecord:
        return await organisation_service.create_organisation(
            conn, slug=args.slug, name=args.name, kind=kind, country_code=args.country
        )

    created = in_transaction(settings, work)
    print(f"created organisation {created.slug} (id {created.id}, {created.kind})")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    organisations = in_transaction(settings, organisation_service.list_organisations)
    if args.json:
        print_json(
            [
                {
                    "id": o.id,
                    "slug": o.slug,
                    "name": o.name,
                    "kind": o.kind,
                    "country": o.country_code,
                    "users": o.users,
                    "clients": o.clients,
                    "created_at": iso(o.created_at),
                }
                for o in organisations
            ]
        )
        return 0
    rows = [
        [o.slug, o.name, o.kind, o.country_code or "-", str(o.users), str(o.clients)]
        for o in organisations
    ]
    headers = ["SLUG", "NAME", "KIND", "COUNTRY", "USERS", "CLIENTS"]
    print_table(headers, rows, empty="no organisations")
    return 0
