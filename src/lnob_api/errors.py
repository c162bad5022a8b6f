"""Domain errors, and the one place that says what each means to a client.

No framework imports: a service raises these; :func:`problems` says what a mutation's
``userErrors`` show of one (``graphql.mutations.user_errors`` wraps them in GraphQL types),
:func:`http_status` and :func:`shown` what an HTTP answer says (``http.errors.answer``; a route
with its own error format, such as SDMX's, takes the status and text from here too), and each
class's ``code`` is the GraphQL error's ``extensions.code`` (``graphql.errors.classify``).
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of the errors that services raise on purpose."""

    code = "DOMAIN_ERROR"
    # The HTTP status of an answer that reports it (None: the route's own, 400 by default).
    status: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status = 403


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409


class InvalidInput(DomainError):
    """Bad input from a client; ``field`` names the argument or input path that was wrong."""

    code = "BAD_USER_INPUT"

    def __init__(self, field: str, message: str, *, code: str = "INVALID") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = code


class ValidationFailed(DomainError):
    """Several input problems found at once; each becomes one user error."""

    code = "BAD_USER_INPUT"

    def __init__(self, problems: list[InvalidInput]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Problem:
    """One user error of a refused mutation: the input path at fault (dotted, from the input's
    root; None: the change as a whole), why (a ``UserErrorCode`` value) and what to do."""

    field: str | None
    reason: str
    message: str


# What the change as a whole meets when it lost a race, or another failure of the same kind.
RETRY = "the change conflicts with another change made at the same time; retry"


def problems(exc: Exception) -> list[Problem]:
    """The user errors a failed mutation shows for ``exc``: each problem of a validation, the
    field and reason of an invalid input, a conflict as CONFLICT, a missing row as NOT_FOUND on
    ``id`` (the row the mutation named: hidden rows look exactly like missing ones)."""
    if isinstance(exc, ValidationFailed):
        return [q for p in exc.problems for q in problems(p)]
    if isinstance(exc, InvalidInput):
        return [Problem(exc.field or None, exc.reason, exc.message)]
    if isinstance(exc, Conflict):
        return [Problem(None, "CONFLICT", exc.message)]
    if isinstance(exc, NotFound):
        return [Problem("id", "NOT_FOUND", exc.message)]
    return [Problem(None, "CONFLICT", RETRY)]


def http_status(exc: Exception, default: int = 400) -> int:
    """The status of an HTTP answer reporting ``exc``: its class's (404 NotFound, 403
    Forbidden, 409 Conflict), else ``default`` (a bad request)."""
    status = exc.status if isinstance(exc, DomainError) else None
    return status if status is not None else default


def shown(exc: Exception) -> str:
    """The text an HTTP answer gives for ``exc``: a domain error's message (it names what was
    wrong), else the exception's own text."""
    return exc.message if isinstance(exc, DomainError) else str(exc)


def check_version(what: str, current: object, expected: object | None) -> None:
    """Optimistic locking, on a row the caller has locked (``SELECT ... FOR UPDATE``): a change
    made from a stale read (``expected`` is not ``current``) is a Conflict. ``None``: unchecked."""
    if expected is None or current == expected:
        return
    if hasattr(current, "isoformat") and hasattr(expected, "isoformat"):
        shown = f"at {expected.isoformat()}, now {current.isoformat()}"
    else:
        shown = f"version {expected}, now {current}"
    raise Conflict(
        f"the {what} changed since you read it ({shown}); reload it and apply your change again"
    )
