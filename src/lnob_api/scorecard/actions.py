"""The joint action plan of a scorecard: actions with an owner, a due date and a status."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.db.rows import assign
from lnob_api.declare.statistics import SCORECARD_ACTION
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput, ValidationFailed, check_version
from lnob_api.models.common import mark_edited
from lnob_api.models.evidence import ActionStatus
from lnob_api.organisation import service as organisation_service
from lnob_api.scorecard import repository as repo
from lnob_api.scorecard.service import now, required_text, writable

# What an add and an update store, and their limits (declare.statistics.SCORECARD_ACTION).
ACTION_FIELDS = SCORECARD_ACTION.names(create=False)
LIMITS = SCORECARD_ACTION.limits


async def _check_action(
    session: AsyncSession,
    card: models.Scorecard,
    fields: dict[str, Any],
    problems: list[InvalidInput],
) -> None:
    required_text(fields, "text", LIMITS["text"], problems)
    if "owner_name" in fields:
        fields["owner_name"] = (fields["owner_name"] or "").strip()
        limit = LIMITS["owner_name"]
        if len(fields["owner_name"]) > limit:
            problems.append(
                InvalidInput("ownerName", f"at most {limit} characters", code="TOO_LONG")
            )
    owner_org = fields.get("owner_organisation_id")
    if owner_org is not None and not await organisation_service.exists(session, owner_org):
        problems.append(InvalidInput("ownerOrganisation", "no such organisation", code="NOT_FOUND"))
    criterion = fields.get("criterion_id")
    if criterion is not None and criterion not in {
        c.id for c in await repo.criteria_of(session, card.id)
    }:
        problems.append(
            InvalidInput("criterion", "no such criterion on this scorecard", code="NOT_FOUND")
        )


def _check_owner(owner_name: str, owner_org: int | None, problems: list[InvalidInput]) -> None:
    if not owner_name and owner_org is None:
        problems.append(
            InvalidInput("ownerName", "name an owner, or give ownerOrganisation", code="REQUIRED")
        )


async def add_action(
    session: AsyncSession, actor: Actor, *, scorecard_id: int, fields: dict[str, Any]
) -> models.ScorecardAction:
    """Add an action (status OPEN unless given) with an owner: a name or an organisation."""
    card = await writable(session, actor, scorecard_id, "scorecard")
    problems: list[InvalidInput] = []
    fields.setdefault("text", "")
    await _check_action(session, card, fields, problems)
    _check_owner(fields.get("owner_name", ""), fields.get("owner_organisation_id"), problems)
    if problems:
        raise ValidationFailed(problems)
    action = models.ScorecardAction(
        scorecard_id=card.id,
        status=fields.pop("status", None) or ActionStatus.OPEN,
        **{k: v for k, v in fields.items() if k in ACTION_FIELDS},
    )
    card.updated_at = now()
    return await writes.created(
        session, actor, "scorecard.action_add", action, coalition_id=card.coalition_id
    )


async def update_action(
    session: AsyncSession,
    actor: Actor,
    *,
    action_id: int,
    row_version: int,
    fields: dict[str, Any],
) -> models.ScorecardAction:
    """Edit an action (its status, owner, due date...); it keeps an owner."""
    action = await repo.lock_action(session, action_id)
    # A hidden scorecard's action answers exactly as a missing action does.
    if action is None or not await repo.is_visible(session, actor.principal, action.scorecard_id):
        raise InvalidInput("id", "no such action", code="NOT_FOUND")
    card = await writable(session, actor, action.scorecard_id, "id")
    check_version("action", action.row_version, row_version)
    if fields.get("status", "") is None:
        fields.pop("status")
    problems: list[InvalidInput] = []
    await _check_action(session, card, fields, problems)
    _check_owner(
        fields.get("owner_name", action.owner_name),
        fields.get("owner_organisation_id", action.owner_organisation_id),
        problems,
    )
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(action)
    assign(action, fields, ACTION_FIELDS)
    mark_edited(action)
    card.updated_at = action.updated_at
    await record_change(
        session, actor, "scorecard.action_update", action, before, coalition_id=card.coalition_id
    )
    return action
