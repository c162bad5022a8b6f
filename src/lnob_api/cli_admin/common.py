"""What every admin command shares: one transaction, one-line errors, tables and JSON."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Principal
from lnob_api.config import ConfigError, Settings
from lnob_api.errors import DomainError

T = TypeVar("T")
Handler = Callable[[argparse.Namespace, Settings], int]

NOT_MIGRATED = "database not migrated: run `lnob-api migrate`"
_UNDEFINED_TABLE = "42P01"
_UNDEFINED_COLUMN = "42703"


class CommandError(Exception):
    """A problem the command reports in one line before exiting with status 1."""


def fail(message: str) -> int:
    print(f"lnob-api: {message}", file=sys.stderr)
    return 1


def guarded(handler: Handler) -> Handler:
    """Turn the errors an operator can cause into one line on stderr and exit status 1."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return handler(args, settings)
        except (DomainError, CommandError) as exc:
            return fail(str(exc))
        except ConfigError as exc:
            return fail(f"configuration error: {exc}")
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if state == _UNDEFINED_TABLE:
                return fail(NOT_MIGRATED)
            behind = state == _UNDEFINED_COLUMN
            hint = " (an older schema? run `lnob-api migrate`)" if behind else ""
            return fail(f"database error: {_first_line(exc.orig)}{hint}")

    return run


def _first_line(error: BaseException | None) -> str:
    text = str(error or "unknown error").strip()
    return text.splitlines()[0] if text else type(error).__name__


# Who the audit log names for the operator's commands: no user, no OAuth client.
OPERATOR = Actor(Principal(client_id="lnob-api command line"))


def audited(settings: Settings, work: Callable[[AsyncSession, Actor], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction with a session for the audit log, as the operator."""

    async def go(conn: AsyncConnection) -> T:
        session = AsyncSession(bind=conn)
        try:
            return await work(session, OPERATOR)
        finally:
            await session.close()

    return in_transaction(settings, go)


def in_transaction(settings: Settings, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the configured (or embedded) database; commit if it
    returns, roll back if it raises. A missing embedded cluster is never created here: the
    command exits with status 2 saying where it looked (``cli.NoDatabase``)."""
    from lnob_api.cache.leases import acknowledged
    from lnob_api.cli import database_url
    from lnob_api.db import create_engine

    url = database_url(settings, create=False)

    async def go() -> T:
        engine = create_engine(url, pool_size=1)
        try:
            # Done once every serving worker has heard it (a revoked token, client, user...)
            lease = settings.response_cache_lease
            async with acknowledged(engine, lease=lease), engine.begin() as conn:
                done = await work(conn)
            return done
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except OSError as exc:  # refused, unreachable, no such socket
        raise CommandError(f"cannot reach the database: {exc}") from None


def when(moment: datetime | float | None, *, empty: str = "-") -> str:
    """A moment for people: ``2026-11-25 14:30:00 UTC``."""
    if moment is None:
        return empty
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def iso(moment: datetime | float | None) -> str | None:
    """A moment for programs: ISO 8601 in UTC, ``Z`` suffix."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def print_json(value: Any, *, compact: bool = False) -> None:
    print(json.dumps(value, indent=None if compact else 2, ensure_ascii=False))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, empty: str) -> None:
    """Aligned columns, or ``empty`` when there are no rows."""
    if not rows:
        print(empty)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
