"""User use cases: create an account with memberships and roles, list (operator's command);
grant and revoke a user's role in a coalition (coalition admins, through the API, audited).

Services validate, write through the repository and never commit: the caller owns the
transaction. Passwords are hashed here (argon2id) and never stored or returned in clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api.access import checks
from lnob_api.audit.change import record_state
from lnob_api.audit.service import Actor
from lnob_api.auth.secrets import hash_password
from lnob_api.coalition import service as coalition_service
from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.models.enums import CoalitionRole
from lnob_api.organisation import service as organisation_service
from lnob_api.user import repository as repo
from lnob_api.user.repository import UserRecord

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 320
NAME_MAX = 200

__all__ = [
    "Actor",
    "RoleAssignment",
    "UserRecord",
    "create_user",
    "grant_role",
    "hash_new_password",
    "list_users",
    "parse_coalition_role",
    "parse_coalition_roles",
    "revoke_role",
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


def hash_new_password(password: str) -> str:
    """The argon2id hash of a new password; InvalidInput when it is not acceptable."""
    return _hash(password)


async def _coalition_roles(
    conn: AsyncConnection, roles: Mapping[str, CoalitionRole | str]
) -> dict[int, str]:
    """Coalition id → role, from coalition code → role; NotFound for an unknown code."""
    wanted: dict[str, CoalitionRole] = {}
    for code, role in roles.items():
        parsed_code, parsed_role = parse_coalition_role(f"{code}:{role}")
        wanted[parsed_code] = parsed_role
    ids = await coalition_service.coalition_ids(conn, wanted)
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


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """A user's role in a coalition (as it is now, or as it was before a revocation)."""

    coalition_id: int
    user_id: int
    email: str
    name: str
    role: CoalitionRole


async def _role_change(
    session: AsyncSession, actor: Actor, coalition_code: str, email: str
) -> tuple[AsyncConnection, int, repo.UserRef, CoalitionRole | None]:
    """The coalition's id (its row locked, so that role changes in it are serialised), the
    user and the role they hold, once the caller may manage the coalition's roles."""
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    checks.require_coalition_admin(actor.principal, coalition_id)
    await coalition_service.lock(session, coalition_id)
    conn = await session.connection()
    user = await repo.user_by_email(conn, email)
    if user is None:
        raise InvalidInput("user", f"no user with e-mail {email.strip()!r}", code="NOT_FOUND")
    current = await repo.role_of(conn, coalition_id, user.id)
    return conn, coalition_id, user, CoalitionRole(current) if current is not None else None


async def _keep_an_admin(conn: AsyncConnection, coalition_id: int, user: repo.UserRef) -> None:
    if await repo.admin_count(conn, coalition_id) <= 1:
        raise InvalidInput(
            "user",
            f"{user.email} is the coalition's last ADMIN: make someone else ADMIN first",
            code="INVALID_STATE",
        )


async def _audit_role(
    session: AsyncSession,
    actor: Actor,
    action: str,
    coalition_id: int,
    user: repo.UserRef,
    before: CoalitionRole | None,
    after: CoalitionRole | None,
) -> None:
    def state(role: CoalitionRole | None) -> dict[str, Any] | None:
        if role is None:
            return None
        return {"coalition_id": coalition_id, "user_id": user.id, "role": role.value}

    await record_state(
        session,
        actor,
        action,
        entity_type="CoalitionUserRole",
        entity_id=f"{coalition_id}:{user.id}",
        coalition_id=coalition_id,
        before=state(before),
        after=state(after),
    )


async def grant_role(
    session: AsyncSession, actor: Actor, *, coalition_code: str, email: str, role: CoalitionRole
) -> RoleAssignment:
    """Give a user ``role`` in a coalition, replacing the role they held there. The coalition's
    last ADMIN cannot be turned into something less."""
    conn, coalition_id, user, current = await _role_change(session, actor, coalition_code, email)
    if current is CoalitionRole.ADMIN and role is not CoalitionRole.ADMIN:
        await _keep_an_admin(conn, coalition_id, user)
    await repo.set_role(conn, coalition_id, user.id, role.value)
    await _audit_role(session, actor, "coalition_role.grant", coalition_id, user, current, role)
    return RoleAssignment(coalition_id, user.id, user.email, user.name, role)


async def revoke_role(
    session: AsyncSession, actor: Actor, *, coalition_code: str, email: str
) -> RoleAssignment:
    """Take a user's role in a coalition away; returns it as it was. The coalition's last
    ADMIN cannot be removed."""
    conn, coalition_id, user, current = await _role_change(session, actor, coalition_code, email)
    if current is None:
        raise InvalidInput("user", f"{user.email} has no role in the coalition", code="NOT_FOUND")
    if current is CoalitionRole.ADMIN:
        await _keep_an_admin(conn, coalition_id, user)
    await repo.delete_role(conn, coalition_id, user.id)
    await _audit_role(session, actor, "coalition_role.revoke", coalition_id, user, current, None)
    return RoleAssignment(coalition_id, user.id, user.email, user.name, current)
