"""The steps the write use cases of coalition-owned records share.

A coalition's EDITORs write its records and its ADMINs govern them (visibility); the
partnership admins do both for a record of no coalition (a partnership publication). A record
the caller may not see is not found, exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Principal
from lnob_api.db.rows import insert
from lnob_api.errors import InvalidInput, NotFound, check_version
from lnob_api.models.common import mark_edited
from lnob_api.models.enums import CoalitionRole, Visibility
from lnob_api.slugs import unique_slug


class Owned(Protocol):
    """A coalition's record, versioned for optimistic locking."""

    @property
    def coalition_id(self) -> int | None: ...

    @property
    def row_version(self) -> int: ...


Record = TypeVar("Record", bound=Owned)
Row = TypeVar("Row")


class _Editable(Protocol):
    row_version: int
    updated_at: datetime


Versioned = TypeVar("Versioned", bound=_Editable)
Key = TypeVar("Key")


def require_writer(principal: Principal, coalition_id: int | None, *, admin: bool = False) -> None:
    """The caller writes the records of ``coalition_id`` (an EDITOR), or governs them with
    ``admin`` (an ADMIN); partnership admins, with ``coalition_id`` None."""
    if coalition_id is None:
        checks.require_partnership_admin(principal)
    elif admin:
        checks.require_coalition_admin(principal, coalition_id)
    else:
        checks.require_role(principal, coalition_id, CoalitionRole.EDITOR)


def require_adder(
    principal: Principal, coalition_id: int | None, visibility: Visibility | None
) -> None:
    """The caller adds a record to ``coalition_id``: its writers do, and only its governors
    give it a visibility other than COALITION (the default)."""
    require_writer(principal, coalition_id)
    if visibility is not None and visibility is not Visibility.COALITION:
        require_writer(principal, coalition_id, admin=True)


def for_change(
    record: Record | None,
    what: str,
    principal: Principal,
    row_version: int | None,
    *,
    admin: bool = False,
) -> Record:
    """``record`` (locked; None when it is missing or the caller may not see it) once the caller
    may change it, checked in this order: a missing ``what`` is not found, then the role
    (:func:`require_writer`), then a stale ``row_version`` (None: checked later) is a conflict."""
    if record is None:
        raise NotFound(f"no such {what}")
    require_writer(principal, record.coalition_id, admin=admin)
    check_version(what, record.row_version, row_version)
    return record


@dataclass(frozen=True, slots=True)
class Slugs:
    """How a kind of record gets its slug: ``taken(session, slug)`` tells whether a slug is in
    use, a slug is at most ``max_length`` long, ``fallback`` stands in for a title that makes
    none."""

    taken: Callable[[AsyncSession, str], Awaitable[bool]]
    max_length: int
    fallback: str

    async def make(
        self, session: AsyncSession, coalition_code: str | None, wanted: str | None, title: str
    ) -> str:
        """A new record's slug (``wanted``, else one made from ``title``: ``unique_slug``), in
        its coalition's namespace: the coalition's code, ``lnob`` for the partnership's own."""
        return await unique_slug(
            wanted,
            title,
            taken=partial(self.taken, session),
            max_length=self.max_length,
            fallback=self.fallback,
            namespace=coalition_code.strip().lower() if coalition_code is not None else "lnob",
        )


async def created(session: AsyncSession, actor: Actor, action: str, row: Row, **event: Any) -> Row:
    """Insert the new ORM ``row`` and record its audit event ``action`` (``event``: the
    keywords of ``record_change``); the row as stored."""
    await insert(session, row)
    await record_change(session, actor, action, row, None, **event)
    return row


async def edited(
    session: AsyncSession, actor: Actor, action: str, row: Versioned, before: dict[str, Any]
) -> Versioned:
    """Mark the changed ORM ``row`` edited (its row version up, ``updated_at`` now) and record
    the audit event ``action`` of the change from ``before``; the row."""
    mark_edited(row)
    await record_change(session, actor, action, row, before)
    return row


async def deleted(
    session: AsyncSession,
    actor: Actor,
    action: str,
    row: object,
    before: dict[str, Any] | None = None,
) -> None:
    """Record the audit event ``action`` of deleting the ORM ``row`` (``before``: its state,
    by default its snapshot now), then delete it."""
    state = audit.snapshot(row) if before is None else before
    await record_change(session, actor, action, row, state, after=None)
    await session.delete(row)


def resolve_codes(
    codes: Sequence[str],
    found: Mapping[str, Key],
    problems: list[InvalidInput],
    *,
    field: str,
    what: str,
) -> list[Key]:
    """What ``found`` holds for ``codes`` (the ids of the records with those codes), each once,
    in their order; an INVALID_CODE problem on ``field.<index>`` for each code it lacks."""
    for i, code in enumerate(codes):
        if code not in found:
            problems.append(
                InvalidInput(f"{field}.{i}", f"unknown {what} {code!r}", code="INVALID_CODE")
            )
    return list(dict.fromkeys(found[code] for code in codes if code in found))
