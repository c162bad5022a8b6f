"""The one mutation pipeline: one input, one payload with ``userErrors``.

A mutation states only what is particular to it: its input, the service call it makes (the
``work``) and how its payload shows the result; :func:`writes` declares one from that alone.
The rest is here. :func:`mutate` runs the work; a runner (:func:`row_payload`,
:func:`shown_payload`, :func:`payload_field`, :func:`deleted`) builds the payload from the
work's result, reading a written row back through visibility after the loader caches are
dropped; :func:`named` gives each mutation its own payload type name without an empty subclass
written out; :func:`user_errors` is the one place that turns a domain error into ``userErrors``
(``graphql/errors.py`` turns the rest into GraphQL errors and HTTP answers).

Each mutation runs in a savepoint of the request's transaction: an expected domain error
(invalid input, a conflict, a missing referenced record) undoes only that mutation's writes and
comes back as ``userErrors``; a missing scope or role is a GraphQL error with code FORBIDDEN
(and undoes the savepoint too). Loader caches are dropped afterwards so later reads in the same
request see the change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.permission import BasePermission

from lnob_api.audit.service import Actor
from lnob_api.errors import Conflict, InvalidInput, NotFound, ValidationFailed
from lnob_api.graphql.context import Info, Loaders
from lnob_api.graphql.loading import load_one
from lnob_api.read.relations import ToOne

T = TypeVar("T")
K = TypeVar("K")
P = TypeVar("P")
Work = Callable[[AsyncSession], Awaitable[T]]


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


# Unique constraints and indexes -> (input field, what collided). The message names only what
# the caller sent: an index over rows they may not see must not describe those rows.
_UNIQUE: dict[str, tuple[str | None, str]] = {
    "uq_grants_live_organisation": (
        "organisation",
        "the organisation already holds a live grant of this reach: revoke it first",
    ),
    "uq_grants_live_client": (
        "client",
        "the client already holds a live grant of this reach: revoke it first",
    ),
    "uq_datasets_open_version": (
        "id",
        "another change opened this dataset's next draft at the same time: reload it and retry",
    ),
    "uq_datasets_lineage_version": (
        "id",
        "another change opened this dataset's next version at the same time: reload and retry",
    ),
    "uq_datasets_slug_version": ("slug", "this slug is already used"),
    "uq_projects_slug": ("slug", "this slug is already used"),
    "uq_publications_slug": ("slug", "this slug is already used"),
    "uq_coalitions_slug": ("slug", "this slug is already used"),
    "uq_coalitions_code": ("code", "this country already has a coalition"),
    "pk_coalition_members": ("organisation", "already a member of the coalition"),
    "uq_organisations_slug": ("slug", "this slug is already used"),
    "uq_indicators_code": ("coalition", "another indicator took this code at the same time"),
    "pk_areas": ("code", "this area code already exists"),
    "uq_marginalised_groups_code": ("code", "this group code already exists"),
    "uq_quality_criteria_coalition_id_code": ("code", "the coalition already has this code"),
    "uq_scorecard_criteria_label": ("label", "the scorecard has this criterion"),
    "uq_scorecard_criteria_position": ("label", "another criterion was added at the same time"),
    "uq_scorecard_rounds_period": ("period", "this period is already recorded"),
    "uq_access_requests_pending_user": (
        "dataset",
        "you already have a pending request for this dataset",
    ),
    "uq_access_requests_pending_client": (
        "dataset",
        "you already have a pending request for this dataset",
    ),
    "uq_users_email_lower": ("email", "a user with this e-mail already exists"),
    "uq_oauth_clients_client_id": ("clientId", "this client id is already used"),
}
_UNIQUE_VIOLATION = "23505"


def _integrity_error(exc: IntegrityError) -> UserError:
    """A unique violation is NOT_UNIQUE on the input that collided; any other constraint (a
    referenced row deleted meanwhile) is a CONFLICT to retry."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _UNIQUE_VIOLATION:
        name = getattr(getattr(orig, "__cause__", None), "constraint_name", None) or ""
        field, message = _UNIQUE.get(name, (None, "a record with these values already exists"))
        path = ["input", field] if field else None
        return UserError(field=path, code=UserErrorCode.NOT_UNIQUE, message=message)
    return UserError(
        field=None,
        code=UserErrorCode.CONFLICT,
        message="the change conflicts with another change made at the same time; retry",
    )


def user_errors(exc: Exception) -> list[UserError]:
    if isinstance(exc, ValidationFailed):
        return [_error(p) for p in exc.problems]
    if isinstance(exc, InvalidInput):
        return [_error(exc)]
    if isinstance(exc, Conflict):
        return [UserError(field=None, code=UserErrorCode.CONFLICT, message=exc.message)]
    if isinstance(exc, NotFound):
        return [UserError(field=["input", "id"], code=UserErrorCode.NOT_FOUND, message=exc.message)]
    if isinstance(exc, IntegrityError):
        return [_integrity_error(exc)]
    return [
        UserError(
            field=None,
            code=UserErrorCode.CONFLICT,
            message="the change conflicts with another change made at the same time; retry",
        )
    ]


async def mutate(
    info: Info, work: Callable[[AsyncSession], Awaitable[T]], *, upload: object = None
) -> tuple[T | None, list[UserError]]:
    """Run ``work`` in a savepoint; expected failures become user errors. ``upload``: a file
    the work reads, closed afterwards whatever happens."""
    try:
        session = await info.context.db.session()
        async with session.begin_nested():
            result = await work(session)
            await session.flush()
    except (InvalidInput, ValidationFailed, Conflict, NotFound, IntegrityError) as exc:
        return None, user_errors(exc)
    finally:
        info.context.loaders = Loaders()
        close = getattr(upload, "close", None)
        if close is not None:
            await close()
    return result, []


def named(base: type[P], name: str, description: str | None = None) -> type[P]:
    """A payload type called ``name`` with exactly ``base``'s fields.

    Each mutation keeps its own payload type name in the schema (``ProjectCreatePayload``,
    ``ProjectUpdatePayload``, ...) while the fields are declared once on ``base``. Use the result
    as the mutation's ``graphql_type`` and as the class :func:`respond` builds."""
    cls = type(name, (base,), {"__module__": base.__module__, "__doc__": base.__doc__})
    return strawberry.type(cls, name=name, description=description)


def payload_field(
    field: str, load: Callable[[Info, K | None], Awaitable[Any]]
) -> Callable[[Info, type[P], Work[K]], Awaitable[P]]:
    """The runner of a domain whose payloads show one written row in ``field``.

    ``load`` reads the row back by the key the work returns (through visibility, so a row the
    caller may not see comes back null, like a missing one)."""

    async def run(info: Info, kind: type[P], work: Work[K]) -> P:
        key, errors = await mutate(info, work)
        return kind(**{field: await load(info, key), "user_errors": errors})

    return run


def row_payload(
    field: str, relation: ToOne, node: type[Any]
) -> Callable[[Info, type[P], Work[Hashable]], Awaitable[P]]:
    """The runner of a domain whose payloads show the row of ``relation`` with the key the work
    returns, as a ``node``, in ``field``."""

    async def load(info: Info, key: Hashable | None) -> Any:
        return await load_one(info, relation, key, node)

    return payload_field(field, load)


async def deleted(info: Info, kind: type[P], work: Work[Any]) -> P:
    """Run a delete whose work returns the id it was given; the payload's ``deletedId`` echoes
    it once the row is gone (null when nothing was deleted)."""
    done, errors = await mutate(info, work)
    gone = strawberry.ID(str(done)) if done is not None else None
    return kind(**{"deleted_id": gone, "user_errors": errors})


def shown_payload(
    field: str, show: Callable[[K | None], Any]
) -> Callable[[Info, type[P], Work[K]], Awaitable[P]]:
    """The runner of a domain whose payloads show the work's own result (no row to read back),
    turned into its GraphQL type by ``show`` (which gets None when the work failed)."""

    async def load(_info: Info, key: K | None) -> Any:
        return show(key)

    return payload_field(field, load)


def writes(
    payload: type[P],
    run: Callable[[Info, type[P], Work[Any]], Awaitable[P]],
    *,
    permission_classes: list[type[BasePermission]],
    description: str,
) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """Declare a mutation by its work alone.

    The decorated method ``(self, info, input, session) -> key`` is the service call; the
    mutation built from it takes ``input`` (of the type the method's ``input`` is annotated
    with), is gated by ``permission_classes`` (the scope gate: a GraphQL error FORBIDDEN), runs
    the work in a savepoint (:func:`mutate`: domain errors become ``userErrors``) and answers
    ``payload`` as ``run`` builds it from the key the work returned. The service does the rest
    in the same transaction: it loads the row through visibility (a hidden row is NOT_FOUND,
    like a missing one), checks the role and the row version of the row it writes, validates,
    writes and records the audit event."""

    def decorate(body: Callable[..., Awaitable[Any]]) -> Any:
        hint = body.__annotations__["input"]
        input_type = eval(hint, body.__globals__) if isinstance(hint, str) else hint  # noqa: S307

        async def resolver(self: Any, info: Info, input: Any) -> Any:
            async def work(session: AsyncSession) -> Any:
                return await body(self, info, input, session)

            return await run(info, payload, work)

        resolver.__annotations__ = {"info": Info, "input": input_type, "return": payload}
        resolver.__name__ = body.__name__
        resolver.__qualname__ = body.__qualname__
        resolver.__module__ = body.__module__
        return strawberry.mutation(
            resolver=resolver, permission_classes=permission_classes, description=description
        )

    return decorate
