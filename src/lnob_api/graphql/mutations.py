"""The one mutation pipeline: one input, one payload with ``userErrors``.

A mutation states only what is particular to it: its input, the service call it makes (the
``work``) and what its payload shows. :func:`calls` declares one whose work is one service
call: the input's fields pass as the call's arguments of the same names
(:mod:`graphql.passed`), ``row`` adds the key and ``rowVersion`` of the row the input's ``id``
names, ``args`` the particular ones; a payload that shows one row is read back by itself:

    project_create = calls(
        service.create, ProjectCreateInput, ProjectCreatePayload,
        permission_classes=WRITE, description=...,
        args=lambda i: {"fields": created(PROJECT, i)},
    )

:func:`writes` declares one from a method when the work is more than that one call:

    @writes(ScorecardCriterionAddPayload, _criterion_run, permission_classes=WRITE, ...)
    async def scorecard_criterion_add(self, info, input, session) -> dict[str, int]:
        criterion = await service.add_criterion(session, actor(info), ...)
        return {"criterion": criterion.id, "scorecard": criterion.scorecard_id}

The rest is here, in this order: the scope gate (``permission_classes``: a GraphQL error
FORBIDDEN), the work in a savepoint of the request's transaction (the service loads the row
through visibility, so a hidden row is NOT_FOUND like a missing one, checks the role and the
row version of the row it writes, validates, writes and records the audit event in the same
transaction), then the payload. A runner builds it: :func:`parts` from :data:`Part` s --
:func:`row` reads a written row back through visibility after the loader caches are dropped,
:func:`shown` shows what the work returned; ``refused`` keeps what a failure still shows (the
report of a refused file, :func:`refused_report`). :func:`row_payload`, :func:`shown_payload`,
:func:`payload_field` and :data:`deleted` are the one-part runners. :func:`payload` (or
:func:`named`, from a base class) gives each mutation its own payload type without a class
written out; :class:`~lnob_api.graphql.ids_input.Versioned` and ``Edit`` are the base inputs
of a mutation that names a row and its ``rowVersion``; :func:`uploaded` reads an ``Upload``
field named ``file``, which :func:`writes` closes afterwards.

An expected domain error (invalid input, a conflict, a missing referenced record, a unique
violation) undoes only that mutation's writes and comes back as ``userErrors``:
:func:`user_errors` shows them as ``lnob_api.errors.problems`` says (the mapping the HTTP
answers share, ``http.errors.answer``); ``graphql/errors.py`` turns the rest into GraphQL
errors. Loader caches are dropped afterwards so later reads in the same request see the change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from enum import Enum
from typing import Any, Protocol, TypeVar, cast

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.permission import BasePermission

from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Scope
from lnob_api.errors import (
    RETRY,
    Conflict,
    InvalidInput,
    NotFound,
    Problem,
    ValidationFailed,
    problems,
)
from lnob_api.graphql import passed
from lnob_api.graphql.context import Info, Loaders
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.node import Node
from lnob_api.graphql.permissions import requires, requires_any
from lnob_api.read.relations import ToOne

T = TypeVar("T")
K = TypeVar("K")
P = TypeVar("P")
Work = Callable[[AsyncSession], Awaitable[T]]

# The scope gates (``permission_classes``) the mutations share.
WRITE = [requires(Scope.DATA_WRITE)]
COALITION_ADMIN = [requires(Scope.COALITION_ADMIN)]
PARTNERSHIP_ADMIN = [requires(Scope.PARTNERSHIP_ADMIN)]
ADMINS = [requires_any(Scope.COALITION_ADMIN, Scope.PARTNERSHIP_ADMIN)]


E = TypeVar("E", bound=Enum)


def codes(names: str) -> Callable[[type[E]], type[E]]:
    """The decorated enum with a member for each of the space-separated ``names``, in that
    order, each valued by its name (``Enum("Name", "A B C")``, but ``Name("A")`` is ``A``):
    the codes a mutation or a file import reports."""

    def make(cls: type[E]) -> type[E]:
        members = [(name, name) for name in names.split()]
        # the functional API with a name not written out here (mypy wants a literal)
        made = Enum(cls.__name__, members, module=cls.__module__, qualname=cls.__qualname__)  # type: ignore[misc]
        return cast(type[E], made)

    return make


# The problems of a file that every import reports first; each import's enum adds its own.
FILE_CODES = "INVALID_FILE MISSING_COLUMN TOO_MANY_ROWS REQUIRED"


@strawberry.enum(description="Why a mutation's input was refused.")
@codes(
    "REQUIRED TOO_LONG INVALID INVALID_CODE INVALID_ID INVALID_PERIOD INVALID_STATE INVALID_FILE"
    " NOT_UNIQUE NOT_FOUND CONFLICT"
)
class UserErrorCode(Enum):
    pass


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


def _error(problem: Problem) -> UserError:
    try:
        code = UserErrorCode(problem.reason)
    except ValueError:
        code = UserErrorCode("INVALID")
    path = problem.field.split(".") if problem.field else None
    if path and path[0] != "input":
        path = ["input", *path]
    return UserError(field=path, code=code, message=problem.message)


# Unique constraints and indexes -> (input field, what collided). The message names only what
# the caller sent: an index over rows they may not see must not describe those rows.
_SLUG_TAKEN = ("slug", "this slug is already used")
_PENDING = ("dataset", "you already have a pending request for this dataset")
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
    "uq_datasets_slug_version": _SLUG_TAKEN,
    "uq_projects_slug": _SLUG_TAKEN,
    "uq_publications_slug": _SLUG_TAKEN,
    "uq_coalitions_slug": _SLUG_TAKEN,
    "uq_coalitions_code": ("code", "this country already has a coalition"),
    "pk_coalition_members": ("organisation", "already a member of the coalition"),
    "uq_organisations_slug": _SLUG_TAKEN,
    "uq_indicators_code": ("coalition", "another indicator took this code at the same time"),
    "pk_areas": ("code", "this area code already exists"),
    "uq_marginalised_groups_code": ("code", "this group code already exists"),
    "uq_quality_criteria_coalition_id_code": ("code", "the coalition already has this code"),
    "uq_scorecard_criteria_label": ("label", "the scorecard has this criterion"),
    "uq_scorecard_criteria_position": ("label", "another criterion was added at the same time"),
    "uq_scorecard_rounds_period": ("period", "this period is already recorded"),
    "uq_access_requests_pending_user": _PENDING,
    "uq_access_requests_pending_client": _PENDING,
    "uq_users_email_lower": ("email", "a user with this e-mail already exists"),
    "uq_oauth_clients_client_id": ("clientId", "this client id is already used"),
}
_UNIQUE_VIOLATION = "23505"


def _integrity_problem(exc: IntegrityError) -> Problem:
    """A unique violation is NOT_UNIQUE on the input that collided; any other constraint (a
    referenced row deleted meanwhile) is a CONFLICT to retry."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _UNIQUE_VIOLATION:
        name = getattr(getattr(orig, "__cause__", None), "constraint_name", None) or ""
        field, message = _UNIQUE.get(name, (None, "a record with these values already exists"))
        return Problem(field, "NOT_UNIQUE", message)
    return Problem(None, "CONFLICT", RETRY)


def user_errors(exc: Exception) -> list[UserError]:
    """The ``userErrors`` of a failed mutation (``lnob_api.errors.problems``; a constraint the
    database refused, from the constraint's name)."""
    if isinstance(exc, IntegrityError):
        return [_error(_integrity_problem(exc))]
    return [_error(p) for p in problems(exc)]


async def _attempt(
    info: Info, work: Callable[[AsyncSession], Awaitable[T]], upload: object
) -> tuple[T | None, Exception | None]:
    """Run ``work`` in a savepoint: its result, or the expected failure that undid it."""
    try:
        session = await info.context.db.session()
        async with session.begin_nested():
            result = await work(session)
            await session.flush()
    except (InvalidInput, ValidationFailed, Conflict, NotFound, IntegrityError) as exc:
        return None, exc
    finally:
        info.context.loaders = Loaders()
        close = getattr(upload, "close", None)
        if close is not None:
            await close()
    return result, None


async def mutate(
    info: Info, work: Callable[[AsyncSession], Awaitable[T]], *, upload: object = None
) -> tuple[T | None, list[UserError]]:
    """Run ``work`` in a savepoint; expected failures become user errors. ``upload``: a file
    the work reads, closed afterwards whatever happens."""
    result, failure = await _attempt(info, work, upload)
    return result, user_errors(failure) if failure is not None else []


def uploaded(upload: object) -> Any:
    """The readable file of an ``Upload`` input field, or INVALID_FILE on ``file`` when the
    request did not send it as a multipart part."""
    file = getattr(upload, "file", None)
    if file is None:
        raise InvalidInput("file", "send the file as a multipart request part", code="INVALID_FILE")
    return file


def payload(name: str, description: str | None = None, **parts: Any) -> Any:
    """A payload type called ``name``: a field for each of ``parts``, null when the mutation
    failed, then ``userErrors``. A part is its GraphQL type, or ``(type, description)``. One
    line per mutation, no class written out."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__}
    for field, part in parts.items():
        kind, about = part if isinstance(part, tuple) else (part, None)
        annotations[field] = kind | None
        if about is not None:
            namespace[field] = strawberry.field(description=about)
    annotations["user_errors"] = list[UserError]
    return strawberry.type(type(name, (), namespace), name=name, description=description)


def named(base: type[P], name: str, description: str | None = None) -> type[P]:
    """A payload type called ``name`` with exactly ``base``'s fields.

    Each mutation keeps its own payload type name in the schema (``ProjectCreatePayload``,
    ``ProjectUpdatePayload``, ...) while the fields are declared once on ``base``. Use the result
    as the mutation's ``graphql_type`` and as the class :func:`respond` builds."""
    cls = type(name, (base,), {"__module__": base.__module__, "__doc__": base.__doc__})
    return strawberry.type(cls, name=name, description=description)


# One part of a payload: what the work returned for it (None when the work failed) -> shown.
Part = Callable[[Info, Any], Awaitable[Any]]


class Runner(Protocol):
    """Runs a mutation's work and builds its payload of type ``kind`` from the result."""

    def __call__(self, info: Info, kind: type[P], work: Work[Any], /) -> Awaitable[P]: ...


def row(relation: ToOne, node: type[Any]) -> Part:
    """A payload part that shows the row of ``relation`` whose key the work returned, as a
    ``node``, read back through visibility (a row the caller may not see is null)."""

    async def load(info: Info, key: Hashable | None) -> Any:
        return await load_one(info, relation, key, node)

    return load


def shown(show: Callable[[Any], Any] = lambda value: value) -> Part:
    """A payload part that shows what the work returned for it (no row to read back), turned
    into its GraphQL value by ``show``; null when the work returned none for it (or failed)."""

    async def load(_info: Info, value: Any) -> Any:
        return show(value) if value is not None else None

    return load


def refused_report(failure: Exception) -> dict[str, Any]:
    """The ``refused`` of a file import: the report a refused file's failure carries (its
    problems, by row), shown beside the ``userErrors``; none for any other failure."""
    return {"report": getattr(failure, "report", None)}


Refused = Callable[[Exception], Mapping[str, Any]]


def parts(refused: Refused | None = None, **fields: Part) -> Runner:
    """The runner of a payload made of ``fields`` (payload field -> :data:`Part`) and
    ``userErrors``. With one field the work returns that field's value (a key, for a
    :func:`row`); with several, a mapping of them. ``refused`` gives the values still shown
    when the work failed (e.g. the report of a refused file), from the failure itself."""
    return _runner(fields, refused)


def _runner(fields: Mapping[str, Part], refused: Refused | None = None) -> Runner:
    async def run(info: Info, kind: type[P], work: Work[Any]) -> P:
        done, failure = await _attempt(info, work, None)
        values: Mapping[str, Any] = {}
        if failure is not None:
            values = refused(failure) if refused is not None else {}
        elif len(fields) == 1:
            values = {next(iter(fields)): done}
        elif done is not None:
            values = done
        shown_parts = {name: await part(info, values.get(name)) for name, part in fields.items()}
        errors = user_errors(failure) if failure is not None else []
        build: Any = kind
        return build(**shown_parts, user_errors=errors)  # type: ignore[no-any-return]

    return run


def payload_field(field: str, load: Part) -> Runner:
    """The runner of a payload that shows one written row in ``field``, read back by ``load``
    from the key the work returns (through visibility)."""
    return _runner({field: load})


def row_payload(field: str, relation: ToOne, node: type[Any]) -> Runner:
    """The runner of a payload that shows the row of ``relation`` with the key the work
    returns, as a ``node``, in ``field``."""
    return _runner({field: row(relation, node)})


def shown_payload(field: str, show: Callable[[Any], Any]) -> Runner:
    """The runner of a payload that shows the work's own result in ``field``, turned into its
    GraphQL type by ``show`` (null when the work failed)."""
    return _runner({field: shown(show)})


def _echoed(done: Any) -> strawberry.ID:
    return strawberry.ID(str(done))


# The runner of a delete whose work returns the id it was given: the payload's ``deletedId``
# echoes it once the row is gone (null when nothing was deleted).
deleted = parts(deleted_id=shown(_echoed))


# The relation each Node type's rows are read back by after a write, one per type (its loader
# is one per relation and request).
_READ_BACK: dict[type, ToOne] = {}


def _read_back(node: type[Node]) -> ToOne:
    found = _READ_BACK.get(node)
    if found is None:
        found = _READ_BACK[node] = ToOne(node._source, key=node._source.key)
    return found


def _shown_nodes(payload: type) -> list[tuple[str, type[Node] | None]]:
    """The payload's fields besides ``userErrors``: each one's name and its type when a Node."""
    fields = payload.__strawberry_definition__.fields  # type: ignore[attr-defined]
    found: list[tuple[str, type[Node] | None]] = []
    for f in fields:
        if f.python_name == "user_errors":
            continue
        kind = getattr(f.type, "of_type", f.type)
        found.append(
            (f.python_name, kind if isinstance(kind, type) and issubclass(kind, Node) else None)
        )
    return found


def shows_row(payload: type) -> Runner:
    """The runner a payload's type implies: a delete's ``deletedId`` (:data:`deleted`), or its
    Node fields, each the row with the key the work returns for it read back through
    visibility (a row the caller may not see is null); the work of a payload of several
    returns their keys by field name. Any other payload names its runner."""
    shown = _shown_nodes(payload)
    if [name for name, _node in shown] == ["deleted_id"]:
        return deleted
    fields: dict[str, Part] = {}
    for name, node in shown:
        if node is None:
            raise TypeError(f"{payload.__name__}.{name} is not a Node: give its runner")
        fields[name] = row(_read_back(node), node)
    return _runner(fields)


def _row_key(payload: type) -> Callable[[Any], Any]:
    """What the work of a mutation whose payload shows one row returns: the written row's key
    (``id``, or the code of a type keyed by code)."""
    shown = _shown_nodes(payload)
    if len(shown) != 1:
        raise TypeError(f"{payload.__name__} shows {len(shown)} fields: give its returns")
    node = shown[0][1]
    key = node._source.key if node is not None else "id"
    return lambda done: getattr(done, key)


def writes(
    payload: type[P],
    run: Runner | None = None,
    *,
    permission_classes: list[type[BasePermission]],
    description: str,
) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """Declare a mutation by its work alone.

    The decorated method ``(self, info, input, session) -> key`` is the service call; the
    mutation built from it takes ``input`` (of the type the method's ``input`` is annotated
    with), is gated by ``permission_classes`` (the scope gate: a GraphQL error FORBIDDEN), runs
    the work in a savepoint (:func:`mutate`: domain errors become ``userErrors``) and answers
    ``payload`` as ``run`` builds it from the key the work returned (by default the runner the
    payload implies, :func:`shows_row`). The service does the rest
    in the same transaction: it loads the row through visibility (a hidden row is NOT_FOUND,
    like a missing one), checks the role and the row version of the row it writes, validates,
    writes and records the audit event."""

    def decorate(body: Callable[..., Awaitable[Any]]) -> Any:
        hint = body.__annotations__["input"]
        input_type = eval(hint, body.__globals__) if isinstance(hint, str) else hint  # noqa: S307
        shows = run if run is not None else shows_row(payload)
        return _mutation(body, input_type, payload, shows, permission_classes, description)

    return decorate


def _mutation(
    body: Callable[..., Awaitable[Any]],
    input_type: type,
    payload: type[P],
    run: Runner,
    permission_classes: list[type[BasePermission]],
    description: str,
) -> Any:
    async def resolver(self: Any, info: Info, input: Any) -> Any:
        async def work(session: AsyncSession) -> Any:
            return await body(self, info, input, session)

        try:
            return await run(info, payload, work)
        finally:  # a file the input brought (an ``Upload`` field named ``file``)
            close = getattr(getattr(input, "file", None), "close", None)
            if close is not None:
                await close()

    resolver.__annotations__ = {"info": Info, "input": input_type, "return": payload}
    resolver.__name__ = body.__name__
    resolver.__qualname__ = body.__qualname__
    resolver.__module__ = body.__module__
    return strawberry.mutation(
        resolver=resolver, permission_classes=permission_classes, description=description
    )


def row_id(done: Any) -> Any:
    """What the work of most mutations returns: the written row's ``id``, for a :func:`row`."""
    return done.id


def itself(done: Any) -> Any:
    """The service call's result as it is, for a :func:`shown` part."""
    return done


def calls(
    call: Callable[..., Awaitable[Any]],
    input: type,
    payload: type[P],
    run: Runner | None = None,
    *,
    permission_classes: list[type[BasePermission]],
    description: str,
    row: str | None = None,
    key: str | None = None,
    args: Callable[[Any], Mapping[str, Any]] | None = None,
    returns: Callable[[Any], Any] | None = None,
    gone: bool = False,
    versioned: bool = True,
) -> Any:
    """The mutation (a class attribute of the mutations type) whose work is one service call,
    ``call(session, actor, **arguments)``, as :func:`writes` runs it.

    The arguments: the input's fields that name the call's keyword arguments
    (:mod:`graphql.passed`: ``visibility``, ``coalition`` as ``coalition_code``...); with
    ``row`` (a type name), the key of the row the input's ``id`` names (INVALID_ID unless a
    ``row`` id) as ``key`` (default ``<row>_id``) and, unless not ``versioned`` (a table
    without ``row_version``), the input's ``rowVersion`` as ``row_version``; then what ``args``
    reads from the input (only the particular ones). ``run`` builds the payload: by default
    the one the payload type implies (:func:`shows_row`). The work returns what ``returns``
    makes of the call's result (by default the written row's key: its ``id``, or the key of
    the row the payload shows), or with ``gone`` (a delete) the input's ``id``."""
    argument = key or (snake(row) + "_id" if row is not None else "")
    passes = passed.by_name(call, input)
    shows = run if run is not None else shows_row(payload)
    key_of = returns or (row_id if run is not None or gone else _row_key(payload))

    async def body(_self: Any, info: Info, data: Any, session: AsyncSession) -> Any:
        arguments = passed.read(data, passes)
        if row is not None:
            arguments[argument] = pk_of(getattr(data, "id"), row, "id")  # noqa: B009
            if versioned:
                arguments["row_version"] = getattr(data, "row_version")  # noqa: B009
        if args is not None:
            arguments.update(args(data))
        done = await call(session, actor(info), **arguments)
        return getattr(data, "id") if gone else key_of(done)  # noqa: B009

    body.__name__ = body.__qualname__ = call.__name__
    body.__module__ = input.__module__
    body.passes = passes  # type: ignore[attr-defined]
    return _mutation(body, input, payload, shows, permission_classes, description)


def snake(name: str) -> str:
    """A type's name in snake case (``ScorecardRound`` -> ``scorecard_round``)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
