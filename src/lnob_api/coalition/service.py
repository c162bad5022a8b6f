"""Coalition use cases: create and edit coalitions, manage their member organisations.

Partnership admins create coalitions and edit everything about them; a coalition's own admins
may change its description and protection settings (suppression threshold, perturbation, rate
share, community validation), and manage its member organisations.
Also the checks every coalition-owned write shares (the coalition by code, text lengths,
optimistic locking). Every change writes an audit event in the same transaction; services
flush, never commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.coalition import write_repository as repo
from lnob_api.db.rows import assign, insert
from lnob_api.declare import DESCRIPTION_MAX
from lnob_api.declare.entities import COALITION
from lnob_api.disclosure import service as disclosure
from lnob_api.domain_kit import writes
from lnob_api.errors import Forbidden, InvalidInput, NotFound, ValidationFailed, check_version
from lnob_api.models.common import mark_edited
from lnob_api.models.enums import MemberRole
from lnob_api.organisation import service as organisation_service
from lnob_api.slugs import unique_slug
from lnob_api.sync import service as sync

__all__ = [
    "DESCRIPTION_MAX",
    "Actor",
    "add_member",
    "create",
    "remove_member",
    "update",
    "update_member",
]

# What a create and an update store (declare.entities.COALITION; the code and the slug are the
# create's own arguments), and what of it a coalition's own admins may change (``Edit.admins``):
# the rest is the partnership's.
CREATED = COALITION.names(create=True)
EDITABLE = COALITION.names(create=False)
ADMIN_EDITABLE = frozenset(
    f.name for f in COALITION.edits(create=False) if f.edit and f.edit.admins
)
# Settings that change what outsiders read of the coalition's cells: the suppression pattern
# is recomputed when one changes (perturbed counts are intervals to the attacker, not values).
PROTECTION = ("suppression_threshold", "perturbation", "rate_share")
FIRST_YEAR = 2000


def now() -> datetime:
    """The moment of a change, for ``updated_at``."""
    return datetime.now(UTC)


def camel(name: str) -> str:
    """The input field name of a column name: ``launched_year`` -> ``launchedYear``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def check_required(
    fields: Mapping[str, Any], names: Iterable[str], problems: list[InvalidInput]
) -> None:
    """Names present in ``fields`` must not be blank (absent ones are not being changed)."""
    for name in names:
        if name in fields and not (fields[name] or "").strip():
            problems.append(InvalidInput(camel(name), f"a {name} is required", code="REQUIRED"))


async def coalition_id(session: AsyncSession, code: str, *, field: str = "coalition") -> int:
    """The id of the coalition with this country code; INVALID_CODE on ``field`` otherwise."""
    found = await repo.coalition_id_by_code(session, code)
    if found is None:
        raise InvalidInput(field, f"unknown coalition {code!r}", code="INVALID_CODE")
    return found


async def coalition_ids(db: AsyncSession | AsyncConnection, codes: Iterable[str]) -> dict[str, int]:
    """Coalition id by country code, for the codes that name a coalition (the others are left
    out: the caller says what an unknown one means)."""
    return await repo.coalition_ids_by_code(db, codes)


async def lock(session: AsyncSession, coalition_id: int) -> models.Coalition | None:
    """The coalition, its row locked for the rest of the transaction: other domains serialise
    their per-coalition changes (code numbering, role changes) through it."""
    return await repo.lock(session, coalition_id)


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    for name in ("name", "description", "cohort"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    return fields


def _validate(fields: dict[str, Any], problems: list[InvalidInput]) -> None:
    check_required(fields, ("name",), problems)
    year = fields.get("launched_year")
    if year is not None and not FIRST_YEAR <= year <= now().year + 1:
        problems.append(
            InvalidInput(
                "launchedYear", f"a year from {FIRST_YEAR} to {now().year + 1}", code="INVALID"
            )
        )
    if (
        "requires_community_validation" in fields
        and fields["requires_community_validation"] is None
    ):
        problems.append(
            InvalidInput("requiresCommunityValidation", "say true or false", code="REQUIRED")
        )
    if "suppression_threshold" in fields:
        threshold = fields["suppression_threshold"]
        if threshold is None:
            problems.append(
                InvalidInput("suppressionThreshold", "a threshold is required", code="REQUIRED")
            )
        elif threshold < 0:
            problems.append(
                InvalidInput("suppressionThreshold", "must be 0 or more", code="INVALID")
            )
    _validate_protection(fields, problems)
    COALITION.check_edits(fields, problems)


def _validate_protection(fields: dict[str, Any], problems: list[InvalidInput]) -> None:
    if "perturbation" in fields and fields["perturbation"] is None:
        problems.append(
            InvalidInput("perturbation", "say NONE, ROUND_3, ROUND_5 or CELL_KEY", code="REQUIRED")
        )
    if "rate_share" in fields:
        share = fields["rate_share"]
        if share is None:
            problems.append(InvalidInput("rateShare", "a share is required", code="REQUIRED"))
        elif not math.isfinite(share) or not 0 <= share < 1:
            problems.append(
                InvalidInput(
                    "rateShare", "a share from 0 up to (not including) 1, e.g. 0.1", code="INVALID"
                )
            )


async def _slug(session: AsyncSession, wanted: str | None, name: str) -> str:
    return await unique_slug(
        wanted,
        name,
        taken=lambda s: repo.slug_taken(session, s),
        max_length=COALITION.limits["slug"],
        fallback="coalition",
    )


async def create(
    session: AsyncSession, actor: Actor, *, code: str, slug: str | None, fields: dict[str, Any]
) -> models.Coalition:
    """Partnership admins open a coalition for a country that has none yet."""
    checks.require_partnership_admin(actor.principal)
    code = code.strip().upper()
    problems: list[InvalidInput] = []
    if not await repo.country_exists(session, code):
        problems.append(
            InvalidInput(
                "code", f"{code!r} is not an ISO 3166-1 alpha-2 country", code="INVALID_CODE"
            )
        )
    elif await repo.code_taken(session, code):
        problems.append(InvalidInput("code", f"{code} already has a coalition", code="NOT_UNIQUE"))
    fields = _normalise(fields)
    _validate(fields, problems)
    if problems:
        raise ValidationFailed(problems)
    coalition = models.Coalition(
        code=code,
        slug=await _slug(session, slug, fields["name"]),
        **{k: v for k, v in fields.items() if k in CREATED},
    )
    await insert(session, coalition)
    await record_change(
        session, actor, "coalition.create", coalition, None, coalition_id=coalition.id
    )
    return coalition


async def update(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_id: int,
    row_version: int,
    fields: dict[str, Any],
) -> models.Coalition:
    """Partnership admins change anything but the code; coalition admins change the
    description and the suppression threshold of their own coalition."""
    coalition = await repo.lock(session, coalition_id)
    if coalition is None:
        raise NotFound("no such coalition")
    checks.require_coalition_admin(actor.principal, coalition.id)
    beyond = sorted(set(fields) - ADMIN_EDITABLE)
    if beyond and not actor.principal.acts_as_partnership_admin:
        raise Forbidden(
            "a coalition admin may change only the description and the protection settings;"
            f" {', '.join(camel(b) for b in beyond)} need a partnership admin"
        )
    check_version("coalition", coalition.row_version, row_version)
    fields = _normalise(fields)
    problems: list[InvalidInput] = []
    _validate(fields, problems)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(coalition)
    old_threshold = coalition.suppression_threshold
    old_protection = [getattr(coalition, name) for name in PROTECTION]
    assign(coalition, fields, EDITABLE)
    mark_edited(coalition)
    if [getattr(coalition, name) for name in PROTECTION] != old_protection:
        # New small cells need their complements hidden too (secondary suppression).
        await session.flush()
        recomputed = await disclosure.recompute_coalition(session, coalition.id)
        if coalition.perturbation != old_protection[1]:
            # Every count outsiders read now reads otherwise: a sync event of every dataset.
            await sync.pattern_changed(session, [r.dataset_id for r in recomputed])
        # Primary suppression follows the threshold at read time: a sync event too.
        await sync.threshold_changed(
            session,
            coalition_id=coalition.id,
            old=int(old_threshold),
            new=int(coalition.suppression_threshold),
        )
    await record_change(
        session, actor, "coalition.update", coalition, before, coalition_id=coalition.id
    )
    return coalition


async def _member(
    session: AsyncSession,
    actor: Actor,
    coalition_code: str,
    organisation: organisation_service.OrganisationRef,
) -> tuple[int, int, models.CoalitionMember | None]:
    """(coalition id, organisation id, membership or None), once the caller may manage it."""
    cid = await coalition_id(session, coalition_code)
    checks.require_coalition_admin(actor.principal, cid)
    await repo.lock(session, cid)
    conn = await session.connection()
    found = await organisation_service.find(conn, organisation, field="organisation")
    return cid, found.id, await repo.membership(session, cid, found.id)


async def add_member(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    organisation: organisation_service.OrganisationRef,
    role: MemberRole,
) -> models.CoalitionMember:
    """Make an organisation a member (LEAD, MEMBER or OBSERVER) of a coalition."""
    cid, organisation_id, existing = await _member(session, actor, coalition_code, organisation)
    if existing is not None:
        raise InvalidInput(
            "organisation",
            f"already a member of the coalition (as {existing.role})",
            code="NOT_UNIQUE",
        )
    member = models.CoalitionMember(coalition_id=cid, organisation_id=organisation_id, role=role)
    await insert(session, member)
    # Its clients now read the coalition's data as insiders: a sync event.
    await sync.membership_changed(session, coalition_id=cid, organisation_id=None)
    await record_change(session, actor, "coalition_member.add", member, None)
    return member


def _not_a_member() -> InvalidInput:
    return InvalidInput(
        "organisation", "the organisation is not a member of the coalition", code="NOT_FOUND"
    )


async def update_member(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    organisation: organisation_service.OrganisationRef,
    role: MemberRole,
) -> models.CoalitionMember:
    """Change a member organisation's role in the coalition."""
    _, _, member = await _member(session, actor, coalition_code, organisation)
    if member is None:
        raise _not_a_member()
    before = audit.snapshot(member)
    member.role = role
    member.updated_at = now()
    await record_change(session, actor, "coalition_member.update", member, before)
    return member


async def remove_member(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    organisation: organisation_service.OrganisationRef,
) -> models.CoalitionMember:
    """End an organisation's membership; returns it as it was."""
    _, _, member = await _member(session, actor, coalition_code, organisation)
    if member is None:
        raise _not_a_member()
    await writes.deleted(session, actor, "coalition_member.remove", member)
    # What its clients read as insiders leaves or reads withheld: tombstones, a sync event.
    await sync.membership_changed(
        session, coalition_id=member.coalition_id, organisation_id=member.organisation_id
    )
    return member
