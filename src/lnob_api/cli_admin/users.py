"""``lnob-api users``: create and list accounts; unlock, set a password, disable and enable
them (audited). A password is never a command-line argument."""

from __future__ import annotations

import argparse
import getpass
import sys
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.cli_admin.common import (
    CommandError,
    audited,
    guarded,
    in_transaction,
    iso,
    print_json,
    print_table,
    when,
)
from lnob_api.cli_admin.parsing import add_listing, command_group
from lnob_api.config import Settings
from lnob_api.user import account
from lnob_api.user import service as user_service

if TYPE_CHECKING:
    from argparse import _SubParsersAction


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = command_group(
        sub, "users", help="create, list, unlock, disable and enable user accounts; set passwords"
    )

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

    add_listing(actions, cmd_list, help="list users with organisations and roles")

    for name, help_text, handler in (
        ("unlock", "lift the sign-in delays of failed passwords, on every address", cmd_unlock),
        (
            "set-password",
            "set a new password (from standard input or asked twice); signs out their apps",
            cmd_set_password,
        ),
        ("disable", "stop a user now: no sign-in, their tokens refused", cmd_disable),
        ("enable", "let a disabled user sign in again", cmd_enable),
    ):
        action = actions.add_parser(name, help=help_text, description=f"{help_text.capitalize()}.")
        action.add_argument("email", metavar="EMAIL")
        action.set_defaults(handler=guarded(handler))


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
        flags.append("disabled")
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


def _tokens(count: int) -> str:
    return f"{count} refresh token{'' if count == 1 else 's'} revoked"


def cmd_unlock(args: argparse.Namespace, settings: Settings) -> int:
    change = audited(settings, partial(account.unlock, email=args.email))
    if change.delays_lifted:
        print(f"unlocked {change.user.email}: sign-in delays lifted on every address")
    else:
        print(f"{change.user.email} had no sign-in delays; nothing to lift")
    return 0


def cmd_set_password(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password(args.email.strip())

    change = audited(settings, partial(account.set_password, email=args.email, password=password))
    print(
        f"password of {change.user.email} changed; {_tokens(change.refresh_tokens_revoked)}"
        " (signed-in apps must sign in again)"
    )
    return 0


def cmd_disable(args: argparse.Namespace, settings: Settings) -> int:
    change = audited(settings, partial(account.disable, email=args.email))
    print(
        f"disabled {change.user.email}: sign-in refused and their tokens stop working now;"
        f" {_tokens(change.refresh_tokens_revoked)}"
    )
    return 0


def cmd_enable(args: argparse.Namespace, settings: Settings) -> int:
    change = audited(settings, partial(account.enable, email=args.email))
    print(f"enabled {change.user.email}: they can sign in again")
    return 0
