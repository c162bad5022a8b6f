"""Scorecard use cases: create and edit a scorecard, add its criteria (rounds of scores in
``scores``, the joint action plan in ``actions``).

Editors of the owning coalition write; a visibility other than COALITION needs a coalition
admin (as for datasets). A scorecard the caller may not see is "not found", never "forbidden".
Each change writes an audit event in the same transaction. Services flush, never commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.coalition import service as coalition_service
from lnob_api.dataset import service as dataset_service
from lnob_api.db.rows import assign
from lnob_api.declare.statistics import SCORECARD, SCORECARD_CRITERION
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput, ValidationFailed, check_version
from lnob_api.models.enums import CoalitionRole, Visibility
from lnob_api.observation.periods import period_bounds
from lnob_api.organisation import service as organisation_service
from lnob_api.scorecard import repository as repo

__all__ = ["Actor"]

# What a create and an update store, and their limits (declare.statistics.SCORECARD).
EDITABLE = SCORECARD.names(create=False)
LIMITS = SCORECARD.limits
CRITERION_LIMITS = SCORECARD_CRITERION.limits


def now() -> datetime:
    """The current instant (UTC), for updated_at."""
    return datetime.now(UTC)


def required_text(
    fields: dict[str, Any], name: str, limit: int, problems: list[InvalidInput]
) -> None:
    """Strip ``fields[name]`` when given; log it when empty or longer than ``limit``."""
    if name not in fields:
        return
    value = (fields[name] or "").strip()
    fields[name] = value
    if not value:
        problems.append(InvalidInput(name, f"a {name} is required", code="REQUIRED"))
    elif len(value) > limit:
        problems.append(InvalidInput(name, f"at most {limit} characters", code="TOO_LONG"))


async def _validate(
    session: AsyncSession,
    coalition: tuple[int, str],
    fields: dict[str, Any],
    problems: list[InvalidInput],
) -> None:
    coalition_id, country = coalition
    required_text(fields, "title", LIMITS["title"], problems)
    required_text(fields, "service", LIMITS["service"], problems)
    if "description" in fields:
        fields["description"] = fields["description"] or ""
    if "area_code" in fields:
        code = (fields["area_code"] or "").strip().upper()
        fields["area_code"] = code
        found = await repo.area_country(session, code) if code else None
        if found is None:
            problems.append(
                InvalidInput("area", f"unknown area code {code!r}", code="INVALID_CODE")
            )
        elif found[0] != country or found[1] not in (None, coalition_id):
            problems.append(
                InvalidInput("area", f"{code} is not an area of {country}", code="INVALID_CODE")
            )
    if "period" in fields:
        period = (fields["period"] or "").strip()
        try:
            fields["period_start"], fields["period_end"] = period_bounds(period)
            fields["period"] = period
        except InvalidInput as exc:
            problems.append(exc)
    project_id = fields.get("project_id")
    if project_id is not None and await repo.project_coalition(session, project_id) != coalition_id:
        problems.append(
            InvalidInput("project", "no such project in this coalition", code="NOT_FOUND")
        )
    dataset_id = fields.get("dataset_id")
    if dataset_id is not None and (
        await dataset_service.coalition_of(session, dataset_id) != coalition_id
    ):
        problems.append(
            InvalidInput("dataset", "no such dataset in this coalition", code="NOT_FOUND")
        )
    facilitator = fields.get("facilitator_organisation_id")
    if facilitator is not None and not await organisation_service.exists(session, facilitator):
        problems.append(InvalidInput("facilitator", "no such organisation", code="NOT_FOUND"))


def _check_scale(low: float, high: float, problems: list[InvalidInput]) -> None:
    if high <= low:
        problems.append(
            InvalidInput("scaleMax", f"must be above scaleMin ({low:g})", code="INVALID")
        )


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    fields: dict[str, Any],
    visibility: Visibility | None,
) -> models.Scorecard:
    """A new scorecard of the coalition (scale default 1-5, visibility default COALITION)."""
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    checks.require_role(actor.principal, coalition_id, CoalitionRole.EDITOR)
    if visibility is not None and visibility is not Visibility.COALITION:
        checks.require_coalition_admin(actor.principal, coalition_id)
    problems: list[InvalidInput] = []
    await _validate(session, (coalition_id, coalition_code.strip().upper()), fields, problems)
    _check_scale(fields.get("scale_min", 1.0), fields.get("scale_max", 5.0), problems)
    if problems:
        raise ValidationFailed(problems)
    card = models.Scorecard(
        coalition_id=coalition_id,
        visibility=visibility or Visibility.COALITION,
        **{k: v for k, v in fields.items() if k in EDITABLE},
    )
    return await writes.created(session, actor, "scorecard.create", card)


async def writable(
    session: AsyncSession, actor: Actor, scorecard_id: int, field: str
) -> models.Scorecard:
    """The scorecard, locked, when the caller may see it and edits its coalition's records."""
    card = await repo.lock(session, scorecard_id)
    if card is None or not await repo.is_visible(session, actor.principal, scorecard_id):
        raise InvalidInput(field, "no such scorecard", code="NOT_FOUND")
    checks.require_role(actor.principal, card.coalition_id, CoalitionRole.EDITOR)
    return card


async def update(
    session: AsyncSession,
    actor: Actor,
    *,
    scorecard_id: int,
    row_version: int,
    fields: dict[str, Any],
    visibility: Visibility | None,
) -> models.Scorecard:
    """Edit a scorecard; a narrower scale must still hold every recorded score."""
    card = await writable(session, actor, scorecard_id, "id")
    check_version("scorecard", card.row_version, row_version)
    if visibility is not None and visibility != card.visibility:
        checks.require_coalition_admin(actor.principal, card.coalition_id)
    country = await repo.coalition_code(session, card.coalition_id)
    problems: list[InvalidInput] = []
    await _validate(session, (card.coalition_id, country), fields, problems)
    low = fields.get("scale_min", card.scale_min)
    high = fields.get("scale_max", card.scale_max)
    _check_scale(low, high, problems)
    rescaled = not problems and (low, high) != (card.scale_min, card.scale_max)
    if rescaled and await repo.scores_outside(session, card.id, low, high):
        problems.append(
            InvalidInput(
                "scaleMin",
                f"recorded scores fall outside {low:g}-{high:g}; correct them first",
                code="INVALID_STATE",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(card)
    assign(card, fields, EDITABLE)
    if visibility is not None:
        card.visibility = visibility
    return await writes.edited(session, actor, "scorecard.update", card, before)


async def add_criterion(
    session: AsyncSession,
    actor: Actor,
    *,
    scorecard_id: int,
    label: str,
    description: str,
    target_code: str,
    indicator_code: str | None,
) -> models.ScorecardCriterion:
    """Add a criterion after the others; an indicator, if named, must measure its target."""
    card = await writable(session, actor, scorecard_id, "scorecard")
    existing = await repo.criteria_of(session, card.id)
    fields: dict[str, Any] = {"label": label}
    problems: list[InvalidInput] = []
    required_text(fields, "label", CRITERION_LIMITS["label"], problems)
    if any(c.label.lower() == fields["label"].lower() for c in existing):
        problems.append(
            InvalidInput("label", "the scorecard has this criterion", code="NOT_UNIQUE")
        )
    target = target_code.strip().lower()
    if not await repo.target_exists(session, target):
        problems.append(
            InvalidInput("target", f"unknown SDG target {target_code!r}", code="INVALID_CODE")
        )
    indicator_id = None
    if indicator_code:
        found = await repo.indicator_by_code(session, indicator_code)
        if found is None or found.coalition_id not in (None, card.coalition_id):
            problems.append(
                InvalidInput(
                    "indicator", f"unknown indicator {indicator_code!r}", code="INVALID_CODE"
                )
            )
        elif found.target_code != target:
            problems.append(
                InvalidInput(
                    "indicator",
                    f"{indicator_code} measures target {found.target_code}, not {target}",
                    code="INVALID",
                )
            )
        else:
            indicator_id = int(found.id)
    if problems:
        raise ValidationFailed(problems)
    criterion = models.ScorecardCriterion(
        scorecard_id=card.id,
        position=max((c.position for c in existing), default=0) + 1,
        label=fields["label"],
        description=description or "",
        target_code=target,
        indicator_id=indicator_id,
    )
    session.add(criterion)
    card.updated_at = now()
    await session.flush()
    await record_change(
        session, actor, "scorecard.criterion_add", card, None, after=audit.snapshot(criterion)
    )
    return criterion
