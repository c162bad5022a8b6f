"""``lnob-api users``: create accounts (the password never on the command line) and list them."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.cli_admin.common import (
    CommandError,
    guarded,
    in_transaction,
    iso,
    print_json,
    print_table,
    when,
)
from lnob_api.config import Settings
from lnob_api.user import service as user_service

if TYPE_CHECKING:
    from argparse import _SubParsersAction


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="create and list user accounts")
    actions = users.add_subparsers(dest="action", required=True)

    create = actions.add_parser(
        "create",
        help="create a user",
        description="Create a user. The password is read from standard input (its first line) "
        "when that is not a terminal, otherwise asked for twice; it is never an argument.",
    )
    create.add_argument("--email", required=True, help="e-mail address (the login)")
    create.add_argument("--name", required=True, help="display name")
    create.add_argument(
        "--organisation",
        action="append",
        default=[],
        metavar="SLUG",
        help="make the user a member of this organisation (repeatable)",
    )
    create.add_argument(
        "--coalition",
        action="append",
        default=[],
        metavar="CODE:ROLE",
        help="a role in a coalition, e.g. KE:EDITOR (VIEWER, EDITOR or ADMIN; repeatable)",
    )
    create.add_argument(
        "--partnership-admin", action="store_true", help="administers the whole partnership"
    )
    create.set_defaults(handler=guarded(cmd_create))

    listing = actions.add_parser("list", help="list users with organisations and roles")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=guarded(cmd_list))


def read_password(email: str) -> str:
    """The first line of standard input when it is not a terminal, else asked for twice."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise CommandError("no password on standard input")
        return line.rstrip("\r\n")
    try:
        first = getpass.getpass(f"Password for {email}: ")
        second = getpass.getpass("Repeat the password: ")
    except EOFError:
        raise CommandError("no password given") from None
    if first != second:
        raise CommandError("the passwords do not match")
    return first


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    roles = user_service.parse_coalition_roles(args.coalition)
    password = read_password(args.email)

    async def work(conn: AsyncConnection) -> int:
        return await user_service.create_user(
            conn,
            email=args.email,
            name=args.name,
            password=password,
            organisation_slugs=args.organisation,
            coalition_roles=roles,
            partnership_admin=args.partnership_admin,
        )

    user_id = in_transaction(settings, work)
    print(f"created user {user_id} ({args.email.strip()})")
    return 0


def _flags(user: user_service.UserRecord) -> str:
    flags = ["partnership-admin"] if user.is_partnership_admin else []
    if not user.is_active:
        flags.append("inactive")
    return ",".join(flags) or "-"


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    users = in_transaction(settings, user_service.list_users)
    if args.json:
        print_json(
            [
                {
                    "id": u.id,
                    "email": u.email,
                    "name": u.name,
                    "partnership_admin": u.is_partnership_admin,
                    "active": u.is_active,
                    "organisations": list(u.organisations),
                    "roles": dict(r.split(":", 1) for r in u.roles),
                    "created_at": iso(u.created_at),
                }
                for u in users
            ]
        )
        return 0
    rows = [
        [
            str(u.id),
            u.email,
            u.name,
            _flags(u),
            ",".join(u.organisations) or "-",
            ",".join(u.roles) or "-",
            when(u.created_at),
        ]
        for u in users
    ]
    headers = ["ID", "EMAIL", "NAME", "FLAGS", "ORGANISATIONS", "ROLES", "CREATED"]
    print_table(headers, rows, empty="no users")
    return 0
