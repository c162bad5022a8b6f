"""Telling an unreachable or stalled database apart from other errors.

The HTTP layer answers 503 with ``Retry-After`` when a request failed because PostgreSQL was
down, refused the connection, restarted under it, or did not answer within the time bounds;
every other error keeps its own handling. A request's failures are noted in a context
variable that the outage middleware sets up, so that a failure caught deep inside GraphQL
execution (where it becomes a field error) still decides the HTTP answer.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import exc as sa_exc


class Failure(enum.Enum):
    """Why the database could not serve a request."""

    UNAVAILABLE = "SERVICE_UNAVAILABLE"  # down, unreachable, restarting, pool exhausted
    TIMEOUT = "TIMEOUT"  # a statement or the request ran past its own time bound


MESSAGES = {
    Failure.UNAVAILABLE: "The database is unavailable; retry later.",
    Failure.TIMEOUT: "The request took too long and was stopped; retry later or ask for less.",
}

# SQLSTATE classes and codes of a database that cannot serve now (PostgreSQL appendix A).
_UNAVAILABLE_CLASSES = ("08", "53", "57P", "28", "3D")
_QUERY_CANCELED = "57014"
# SQLAlchemy's code for "Can't reconnect until invalid transaction is rolled back".
_LOST_IN_TRANSACTION = "8s2b"


def failure_of(error: BaseException | None) -> Failure | None:
    """The kind of database failure ``error`` is, or ``None`` for any other error."""
    seen = 0
    while error is not None and seen < 5:
        seen += 1
        if isinstance(error, sa_exc.TimeoutError):  # no pooled connection in time
            return Failure.UNAVAILABLE
        if isinstance(error, sa_exc.PendingRollbackError) and error.code == _LOST_IN_TRANSACTION:
            # The connection was invalidated (lost, or discarded as stuck) inside the
            # transaction, which ends rolled back: nothing of the request was kept.
            return Failure.UNAVAILABLE
        if isinstance(error, sa_exc.DBAPIError):
            if error.connection_invalidated:
                return Failure.UNAVAILABLE
            error = error.orig
            continue
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            if state == _QUERY_CANCELED:
                return Failure.TIMEOUT
            if state.startswith(_UNAVAILABLE_CLASSES):
                return Failure.UNAVAILABLE
        # OSError covers refused and reset connections and asyncpg's connect and command
        # timeouts (TimeoutError): a server that does not answer is unavailable.
        if isinstance(error, OSError) or _is_closed_connection(error):
            return Failure.UNAVAILABLE
        error = error.__cause__
    return None


def _is_closed_connection(error: BaseException) -> bool:
    # asyncpg's ConnectionDoesNotExistError and "connection is closed" InterfaceErrors
    # carry no SQLSTATE; match them by type name to keep asyncpg out of the imports.
    name = type(error).__name__
    return name in ("ConnectionDoesNotExistError", "ConnectionFailureError") or (
        name == "InterfaceError" and "closed" in str(error)
    )


@dataclass(eq=False)
class RequestHealth:
    """What one request learned about the database, and what it still has to release."""

    failure: Failure | None = None
    detail: str = ""
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Called as soon as the client leaves, while the request may still be stuck in a statement
    # that its cancellation cannot reach: each asks PostgreSQL to cancel one.
    cancels: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


CURRENT: ContextVar[RequestHealth | None] = ContextVar("lnob_request_health", default=None)


def note(error: BaseException) -> Failure | None:
    """Record ``error`` on the current request when it is a database failure."""
    failure = failure_of(error)
    health = CURRENT.get()
    if failure is not None and health is not None and health.failure is None:
        health.failure = failure
        health.detail = one_line(error)
    return failure


def one_line(error: BaseException) -> str:
    """``Type: first line of the message`` of the innermost cause, for logs and the CLI."""
    inner = error
    while isinstance(inner, sa_exc.DBAPIError) and inner.orig is not None:
        inner = inner.orig.__cause__ or inner.orig
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0]}" if text else type(inner).__name__
