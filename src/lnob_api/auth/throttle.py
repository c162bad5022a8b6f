"""Sign-in throttling with growing delays instead of a lock-out.

Password guessing is slowed per (account, client address): after ``FREE_FAILURES`` wrong
attempts in a row, each further failure doubles the time before the next attempt from that
address is even checked (1 s, 2 s, 4 s ... up to ``MAX_DELAY``). Another address is not
affected, so whoever knows an admin's e-mail address cannot keep the admin out from elsewhere
(OWASP Authentication Cheat Sheet: "account lockout" is a denial of service; prefer delays).

Across all addresses a much looser ceiling holds (NIST SP 800-63B §5.2.2: at most 100
consecutive failures per account): past ``ACCOUNT_FREE_FAILURES`` the account-wide delay
grows the same way, which stops a guessing campaign spread over many addresses. Addresses the
account signed in from within ``KNOWN_ADDRESS`` are exempt from that ceiling, so even such a
campaign does not lock the owner out of their usual place. A success resets both counts;
failures older than ``MEMORY`` are forgotten. ``account`` names what is guessed:
``user:<e-mail>`` on the sign-in form, ``client:<client_id>`` at the token endpoint.

IPv6 clients are counted per /64 (one host usually holds a whole /64).
"""

from __future__ import annotations

import ipaddress
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth import throttle_repository as repo
from lnob_api.auth.throttle_repository import EVERY_ADDRESS, ThrottleRow

FREE_FAILURES = 3
ACCOUNT_FREE_FAILURES = 100
BASE_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(minutes=15)
MEMORY = timedelta(hours=24)
KNOWN_ADDRESS = timedelta(days=30)
PRUNE_ONE_IN = 50  # failures that also sweep forgotten rows


def user_account(email: str) -> str:
    return f"user:{email.strip().lower()}"


def client_account(client_id: str) -> str:
    return f"client:{client_id}"


def address_key(host: str | None) -> str:
    """The client address a throttle counts by: the IPv4 address, or the IPv6 /64."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def delay_after(failures: int, free: int) -> timedelta:
    """How long to wait after ``failures`` consecutive failures (``free`` cost nothing)."""
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, 20)  # 2**20 s is far past MAX_DELAY already
    delay: timedelta = BASE_DELAY * 2**doublings
    return min(delay, MAX_DELAY)


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    if moment is None or moment <= now:
        return 0
    return max(1, math.ceil((moment - now).total_seconds()))


def _recent_failures(row: ThrottleRow | None, now: datetime) -> int:
    if row is None or row.last_failure_at is None or row.last_failure_at <= now - MEMORY:
        return 0
    return row.failures


async def wait_before_attempt(
    conn: AsyncConnection, account: str, address: str, *, now: datetime
) -> int:
    """Seconds to wait before this attempt may be checked (0: check it now).

    Locks the (account, address) row for the rest of the transaction: attempts from one
    address are checked one at a time, each seeing the delay the previous one set.
    """
    row = await repo.lock(conn, account, address)
    wait = _seconds_until(row.next_attempt_at, now)
    known = row.last_success_at is not None and row.last_success_at > now - KNOWN_ADDRESS
    if not known:
        overall = await repo.account_wide(conn, account)
        wait = max(wait, _seconds_until(overall.next_attempt_at if overall else None, now))
    return wait


async def record_failure(
    conn: AsyncConnection, account: str, address: str, *, now: datetime
) -> int:
    """Count a failed attempt; returns the seconds the next attempt from here must wait."""
    row = await repo.lock(conn, account, address)
    failures = _recent_failures(row, now) + 1
    delay = delay_after(failures, FREE_FAILURES)
    await repo.save_failure(
        conn, account, address, failures=failures, now=now, next_attempt_at=now + delay
    )
    overall = await repo.account_wide(conn, account)
    overall_failures = _recent_failures(overall, now) + 1
    overall_delay = delay_after(overall_failures, ACCOUNT_FREE_FAILURES)
    await repo.save_failure(
        conn,
        account,
        EVERY_ADDRESS,
        failures=overall_failures,
        now=now,
        next_attempt_at=now + overall_delay if overall_delay else None,
    )
    if secrets.randbelow(PRUNE_ONE_IN) == 0:
        await repo.prune(conn, failures_before=now - MEMORY, known_before=now - KNOWN_ADDRESS)
    known = row.last_success_at is not None and row.last_success_at > now - KNOWN_ADDRESS
    return int(max(delay, timedelta(0) if known else overall_delay).total_seconds())


async def record_success(
    conn: AsyncConnection, account: str, address: str, *, now: datetime
) -> None:
    """Reset the account's counts and remember the address it signed in from."""
    await repo.save_success(conn, account, address, now=now)


async def clear(conn: AsyncConnection, account: str) -> int:
    """Lift every delay on an account (the operator's ``users unlock``)."""
    return await repo.clear(conn, account)
