"""User SQL for administration: accounts, memberships, coalition roles, and what ends a
user's sign-ins (unscoped)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth import repository as auth_repo
from lnob_api.db.rows import columns, first
from lnob_api.models.tables import coalition_user_roles as _roles
from lnob_api.models.tables import coalitions as _coalitions
from lnob_api.models.tables import organisation_users as _memberships
from lnob_api.models.tables import organisations as _organisations
from lnob_api.models.tables import refresh_tokens as _refresh
from lnob_api.models.tables import users as _users


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    email: str
    name: str
    is_partnership_admin: bool
    is_active: bool
    created_at: datetime
    organisations: tuple[str, ...] = ()
    # "KE:EDITOR", by coalition code
    roles: tuple[str, ...] = ()


async def email_taken(conn: AsyncConnection, email: str) -> bool:
    """True when a user has this e-mail address, compared case-insensitively."""
    stmt = sa.select(sa.literal(True)).where(sa.func.lower(_users.c.email) == email.lower())
    return (await conn.execute(stmt)).first() is not None


async def insert_user(
    conn: AsyncConnection,
    *,
    email: str,
    name: str,
    password_hash: str,
    is_partnership_admin: bool,
) -> int:
    stmt = (
        sa.insert(_users)
        .values(
            email=email,
            name=name,
            password_hash=password_hash,
            is_partnership_admin=is_partnership_admin,
        )
        .returning(_users.c.id)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def add_memberships(
    conn: AsyncConnection, user_id: int, organisation_ids: Iterable[int]
) -> None:
    rows = [{"user_id": user_id, "organisation_id": o} for o in organisation_ids]
    if rows:
        await conn.execute(sa.insert(_memberships), rows)


async def add_roles(conn: AsyncConnection, user_id: int, roles: Mapping[int, str]) -> None:
    """Give the user ``roles`` (coalition id → role)."""
    rows = [{"user_id": user_id, "coalition_id": c, "role": r} for c, r in roles.items()]
    if rows:
        await conn.execute(sa.insert(_roles), rows)


async def all_users(conn: AsyncConnection) -> list[UserRecord]:
    """Every user by id, with their organisations' slugs and their roles by coalition code."""
    organisations = sa.func.array(
        sa.select(_organisations.c.slug)
        .join(_memberships, _memberships.c.organisation_id == _organisations.c.id)
        .where(_memberships.c.user_id == _users.c.id)
        .order_by(_organisations.c.slug)
        .scalar_subquery()
    )
    roles = sa.func.array(
        sa.select(_coalitions.c.code + ":" + _roles.c.role)
        .join(_roles, _roles.c.coalition_id == _coalitions.c.id)
        .where(_roles.c.user_id == _users.c.id)
        .order_by(_coalitions.c.code)
        .scalar_subquery()
    )
    stmt = sa.select(
        *columns(UserRecord, _users, organisations=organisations, roles=roles)
    ).order_by(_users.c.id)
    return [
        UserRecord(
            **{k: v for k, v in row.items() if k not in ("organisations", "roles")},
            organisations=tuple(row["organisations"]),
            roles=tuple(row["roles"]),
        )
        for row in (await conn.execute(stmt)).mappings()
    ]


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    email: str
    name: str


async def user_by_email(conn: AsyncConnection, email: str) -> UserRef | None:
    """The user with this e-mail address, compared case-insensitively."""
    stmt = sa.select(_users.c.id, _users.c.email, _users.c.name).where(
        sa.func.lower(_users.c.email) == email.strip().lower()
    )
    return await first(conn, stmt, UserRef)


async def role_of(conn: AsyncConnection, coalition_id: int, user_id: int) -> str | None:
    stmt = sa.select(_roles.c.role).where(
        _roles.c.coalition_id == coalition_id, _roles.c.user_id == user_id
    )
    found = (await conn.execute(stmt.with_for_update())).scalar()
    return str(found) if found is not None else None


async def set_role(conn: AsyncConnection, coalition_id: int, user_id: int, role: str) -> None:
    """Give the user ``role`` in the coalition, replacing the one they held."""
    stmt = pg_insert(_roles).values(coalition_id=coalition_id, user_id=user_id, role=role)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[_roles.c.coalition_id, _roles.c.user_id],
            set_={"role": stmt.excluded.role, "updated_at": sa.func.now()},
        )
    )


async def delete_role(conn: AsyncConnection, coalition_id: int, user_id: int) -> None:
    await conn.execute(
        sa.delete(_roles).where(_roles.c.coalition_id == coalition_id, _roles.c.user_id == user_id)
    )


async def admin_count(conn: AsyncConnection, coalition_id: int) -> int:
    stmt = sa.select(sa.func.count()).where(
        _roles.c.coalition_id == coalition_id, _roles.c.role == "ADMIN"
    )
    return int((await conn.execute(stmt)).scalar_one())


@dataclass(frozen=True, slots=True)
class AccountState:
    id: int
    email: str
    name: str
    is_active: bool


async def lock_account(conn: AsyncConnection, email: str) -> AccountState | None:
    """The user with this e-mail address (case-insensitive), its row locked for a change."""
    stmt = (
        sa.select(_users.c.id, _users.c.email, _users.c.name, _users.c.is_active)
        .where(sa.func.lower(_users.c.email) == email.strip().lower())
        .with_for_update()
    )
    return await first(conn, stmt, AccountState)


async def set_active(conn: AsyncConnection, user_id: int, active: bool) -> None:
    await conn.execute(
        sa.update(_users)
        .where(_users.c.id == user_id)
        .values(is_active=active, updated_at=sa.func.now())
    )


async def set_password_hash(conn: AsyncConnection, user_id: int, password_hash: str) -> None:
    await conn.execute(
        sa.update(_users)
        .where(_users.c.id == user_id)
        .values(password_hash=password_hash, updated_at=sa.func.now())
    )


async def revoke_refresh_tokens(conn: AsyncConnection, user_id: int, *, now: datetime) -> int:
    """End every live refresh token of a user; returns how many there were."""
    return await auth_repo.revoke_refresh_tokens(conn, _refresh.c.user_id == user_id, now=now)
