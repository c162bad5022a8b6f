"""User use cases for administration: create an account with memberships and roles, list.

Services validate, write through the repository and never commit: the caller owns the
transaction. Passwords are hashed here (argon2id) and never stored or returned in clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.secrets import hash_password
from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.models.enums import CoalitionRole
from lnob_api.organisation import service as organisation_service
from lnob_api.user import repository as repo
from lnob_api.user.repository import UserRecord

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 320
NAME_MAX = 200

__all__ = [
    "UserRecord",
    "create_user",
    "list_users",
    "parse_coalition_role",
    "parse_coalition_roles",
]


def parse_coalition_role(text: str) -> tuple[str, CoalitionRole]:
    """``"KE:EDITOR"`` → ``("KE", CoalitionRole.EDITOR)``; codes and roles in any case."""
    code, sep, role = text.partition(":")
    code, role = code.strip().upper(), role.strip().upper()
    if not sep or not code or not role:
        raise InvalidInput("coalition", f"expected CODE:ROLE such as KE:EDITOR, got {text!r}")
    try:
        return code, CoalitionRole(role)
    except ValueError:
        raise InvalidInput(
            "coalition", f"unknown role {role!r} (expected VIEWER, EDITOR or ADMIN)"
        ) from None


def parse_coalition_roles(texts: Iterable[str]) -> dict[str, CoalitionRole]:
    """Coalition code → role from ``CODE:ROLE`` texts; a coalition may appear only once."""
    roles: dict[str, CoalitionRole] = {}
    for text in texts:
        code, role = parse_coalition_role(text)
        if code in roles and roles[code] is not role:
            raise InvalidInput("coalition", f"{code} is given twice with different roles")
        roles[code] = role
    return roles


def _check_email(email: str) -> str:
    email = email.strip()
    if not EMAIL.match(email) or len(email) > EMAIL_MAX:
        raise InvalidInput("email", f"{email!r} is not an e-mail address")
    return email


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name", "a name is required")
    if len(name) > NAME_MAX:
        raise InvalidInput("name", f"at most {NAME_MAX} characters")
    return name


def _hash(password: str) -> str:
    try:
        return hash_password(password)
    except ValueError as exc:
        raise InvalidInput("password", str(exc)) from None


async def _coalition_roles(
    conn: AsyncConnection, roles: Mapping[str, CoalitionRole | str]
) -> dict[int, str]:
    """Coalition id → role, from coalition code → role; NotFound for an unknown code."""
    wanted: dict[str, CoalitionRole] = {}
    for code, role in roles.items():
        parsed_code, parsed_role = parse_coalition_role(f"{code}:{role}")
        wanted[parsed_code] = parsed_role
    ids = await repo.coalition_ids_by_code(conn, wanted)
    missing = sorted(set(wanted) - set(ids))
    if missing:
        raise NotFound(f"no coalition with code {', '.join(map(repr, missing))}")
    return {ids[code]: role.value for code, role in wanted.items()}


async def create_user(
    conn: AsyncConnection,
    *,
    email: str,
    name: str,
    password: str,
    organisation_slugs: Iterable[str] = (),
    coalition_roles: Mapping[str, CoalitionRole | str] | None = None,
    partnership_admin: bool = False,
) -> int:
    """Add a user, member of ``organisation_slugs``, with ``coalition_roles`` (code → role).

    Returns the new user's id. The e-mail must be unused (compared case-insensitively) and the
    password long enough; only its argon2id hash is stored.
    """
    email = _check_email(email)
    name = _check_name(name)
    password_hash = _hash(password)
    organisation_ids = []
    for slug in dict.fromkeys(organisation_slugs):
        organisation_ids.append((await organisation_service.organisation_by_slug(conn, slug)).id)
    roles = await _coalition_roles(conn, coalition_roles or {})
    if await repo.email_taken(conn, email):
        raise Conflict(f"a user with e-mail {email!r} already exists")
    user_id = await repo.insert_user(
        conn,
        email=email,
        name=name,
        password_hash=password_hash,
        is_partnership_admin=partnership_admin,
    )
    await repo.add_memberships(conn, user_id, organisation_ids)
    await repo.add_roles(conn, user_id, roles)
    return user_id


async def list_users(conn: AsyncConnection) -> list[UserRecord]:
    """Every user, with organisations and coalition roles; never password hashes."""
    return await repo.all_users(conn)
