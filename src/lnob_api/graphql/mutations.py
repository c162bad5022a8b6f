"""The shape every mutation shares: one input, one payload with ``userErrors``.

Each mutation runs in a savepoint of the request's transaction: an expected domain error
(invalid input, a conflict, a missing referenced record) undoes only that mutation's writes and
comes back as ``userErrors``; a missing scope or role is a GraphQL error with code FORBIDDEN
(and undoes the savepoint too). Loader caches are dropped afterwards so later reads in the same
request see the change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.audit.service import Actor
from lnob_api.errors import Conflict, InvalidInput, NotFound, ValidationFailed
from lnob_api.graphql.context import Info, Loaders

T = TypeVar("T")


@strawberry.enum(description="Why a mutation's input was refused.")
class UserErrorCode(Enum):
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    INVALID_CODE = "INVALID_CODE"
    INVALID_ID = "INVALID_ID"
    INVALID_PERIOD = "INVALID_PERIOD"
    INVALID_STATE = "INVALID_STATE"
    INVALID_FILE = "INVALID_FILE"
    NOT_UNIQUE = "NOT_UNIQUE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"


@strawberry.type(description="A problem with a mutation's input; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "title"].'
    )
    code: UserErrorCode
    message: str


def actor(info: Info) -> Actor:
    """The writer behind this request, for services and the audit log."""
    return Actor(info.context.principal, info.context.request_id)


def _error(problem: InvalidInput) -> UserError:
    try:
        code = UserErrorCode(problem.reason)
    except ValueError:
        code = UserErrorCode.INVALID
    path = problem.field.split(".") if problem.field else None
    if path and path[0] != "input":
        path = ["input", *path]
    return UserError(field=path, code=code, message=problem.message)


def user_errors(exc: Exception) -> list[UserError]:
    if isinstance(exc, ValidationFailed):
        return [_error(p) for p in exc.problems]
    if isinstance(exc, InvalidInput):
        return [_error(exc)]
    if isinstance(exc, Conflict):
        return [UserError(field=None, code=UserErrorCode.CONFLICT, message=exc.message)]
    if isinstance(exc, NotFound):
        return [UserError(field=["input", "id"], code=UserErrorCode.NOT_FOUND, message=exc.message)]
    return [
        UserError(
            field=None,
            code=UserErrorCode.CONFLICT,
            message="the change conflicts with another change made at the same time; retry",
        )
    ]


async def mutate(
    info: Info, work: Callable[[AsyncSession], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run ``work`` in a savepoint; expected failures become user errors."""
    session = await info.context.db.session()
    try:
        async with session.begin_nested():
            result = await work(session)
            await session.flush()
    except (InvalidInput, ValidationFailed, Conflict, NotFound, IntegrityError) as exc:
        return None, user_errors(exc)
    finally:
        info.context.loaders = Loaders()
    return result, []
