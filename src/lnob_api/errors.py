"""Domain errors. No framework imports: the GraphQL and HTTP layers translate these."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors that services raise on purpose."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Conflict(DomainError):
    code = "CONFLICT"


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
