"""The operator's account actions: lift sign-in delays, set a password, disable and enable a
user. Each is audited; none commits (the caller owns the transaction).

Disabling takes effect at once: every request builds its principal from the user's row, so a
disabled user's access tokens are refused from the next request on (401), sign-in and refresh
are refused, and their refresh tokens are revoked so that enabling the account later does not
bring old sessions back. A new password also revokes the refresh tokens (after a leak, every
signed-in app must sign in again) and lifts the sign-in delays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.audit.change import record_state
from lnob_api.audit.service import Actor
from lnob_api.auth import throttle
from lnob_api.errors import Conflict, NotFound
from lnob_api.user import repository as repo
from lnob_api.user.repository import AccountState
from lnob_api.user.service import hash_new_password

__all__ = ["AccountChange", "disable", "enable", "set_password", "unlock"]


@dataclass(frozen=True, slots=True)
class AccountChange:
    """What an account action did."""

    user: AccountState
    refresh_tokens_revoked: int = 0
    delays_lifted: int = 0


async def _account(session: AsyncSession, email: str) -> AccountState:
    conn = await session.connection()
    found = await repo.lock_account(conn, email)
    if found is None:
        raise NotFound(f"no user with e-mail {email.strip()!r}")
    return found


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    user: AccountState,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    await record_state(
        session,
        actor,
        action,
        entity_type="User",
        entity_id=user.id,
        coalition_id=None,
        before=before,
        after={"email": user.email} | after,
    )


async def unlock(session: AsyncSession, actor: Actor, *, email: str) -> AccountChange:
    """Lift every sign-in delay on the account, from every address."""
    user = await _account(session, email)
    lifted = await throttle.clear(await session.connection(), throttle.user_account(user.email))
    await _audit(session, actor, "user.unlock", user, None, {"delays_lifted": lifted})
    return AccountChange(user, delays_lifted=lifted)


async def set_password(
    session: AsyncSession, actor: Actor, *, email: str, password: str
) -> AccountChange:
    """Give the user a new password (only its hash is stored)."""
    password_hash = hash_new_password(password)
    user = await _account(session, email)
    conn = await session.connection()
    await repo.set_password_hash(conn, user.id, password_hash)
    revoked = await repo.revoke_refresh_tokens(conn, user.id, now=datetime.now(UTC))
    lifted = await throttle.clear(conn, throttle.user_account(user.email))
    after = {"password": "changed", "refresh_tokens_revoked": revoked}
    await _audit(session, actor, "user.set_password", user, None, after)
    return AccountChange(user, refresh_tokens_revoked=revoked, delays_lifted=lifted)


async def disable(session: AsyncSession, actor: Actor, *, email: str) -> AccountChange:
    """Stop the user at once: no sign-in, no refresh, their live tokens refused."""
    user = await _account(session, email)
    if not user.is_active:
        raise Conflict(f"{user.email} is already disabled")
    conn = await session.connection()
    await repo.set_active(conn, user.id, False)
    revoked = await repo.revoke_refresh_tokens(conn, user.id, now=datetime.now(UTC))
    after = {"is_active": False, "refresh_tokens_revoked": revoked}
    await _audit(session, actor, "user.disable", user, {"is_active": True}, after)
    return AccountChange(user, refresh_tokens_revoked=revoked)


async def enable(session: AsyncSession, actor: Actor, *, email: str) -> AccountChange:
    """Let a disabled user sign in again (old refresh tokens stay revoked)."""
    user = await _account(session, email)
    if user.is_active:
        raise Conflict(f"{user.email} is not disabled")
    await repo.set_active(await session.connection(), user.id, True)
    await _audit(session, actor, "user.enable", user, {"is_active": False}, {"is_active": True})
    return AccountChange(user)
