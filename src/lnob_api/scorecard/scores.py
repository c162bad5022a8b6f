"""Recording a round of scorecard scores: every criterion at once, within the scale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.observation.periods import period_bounds
from lnob_api.scorecard import repository as repo
from lnob_api.scorecard.service import now, writable

# Column names and their input field names.
SCORE_FIELDS = {
    "community_score": "communityScore",
    "provider_score": "providerScore",
    "agreed_score": "agreedScore",
}


@dataclass(frozen=True, slots=True)
class ScoreEntry:
    """One criterion's scores in a round; ``index`` is its place in the input list."""

    index: int
    criterion_id: int
    community_score: float | None = None
    provider_score: float | None = None
    agreed_score: float | None = None
    note: str = ""


def _check_entries(
    card: models.Scorecard,
    known: dict[int, models.ScorecardCriterion],
    entries: list[ScoreEntry],
    problems: list[InvalidInput],
) -> None:
    seen: set[int] = set()
    for entry in entries:
        at = f"scores.{entry.index}"
        if entry.criterion_id not in known:
            problems.append(
                InvalidInput(
                    f"{at}.criterion", "no such criterion on this scorecard", code="NOT_FOUND"
                )
            )
        elif entry.criterion_id in seen:
            problems.append(
                InvalidInput(f"{at}.criterion", "this criterion is scored twice", code="NOT_UNIQUE")
            )
        seen.add(entry.criterion_id)
        values = {name: getattr(entry, name) for name in SCORE_FIELDS}
        if all(v is None for v in values.values()):
            problems.append(
                InvalidInput(at, "give at least one of the three scores", code="REQUIRED")
            )
        for name, value in values.items():
            if value is not None and not card.scale_min <= value <= card.scale_max:
                problems.append(
                    InvalidInput(
                        f"{at}.{SCORE_FIELDS[name]}",
                        f"{value:g} is outside the scale {card.scale_min:g}-{card.scale_max:g}",
                        code="INVALID",
                    )
                )
    missing = [c.label for pk, c in known.items() if pk not in seen]
    if missing:
        problems.append(
            InvalidInput(
                "scores", f"score every criterion; missing: {', '.join(missing)}", code="REQUIRED"
            )
        )


async def record_scores(
    session: AsyncSession,
    actor: Actor,
    *,
    scorecard_id: int,
    period: str,
    held_on: date | None,
    note: str,
    entries: list[ScoreEntry],
    replace: bool,
) -> models.ScorecardRound:
    """One round: every criterion at once, each score within the scorecard's scale. A round
    already recorded for the period is refused unless ``replace`` (a correction)."""
    card = await writable(session, actor, scorecard_id, "scorecard")
    known = {c.id: c for c in await repo.criteria_of(session, card.id)}
    if not known:
        raise InvalidInput("scorecard", "add the scorecard's criteria first", code="INVALID_STATE")
    problems: list[InvalidInput] = []
    period = period.strip()
    bounds: tuple[date, date] | None = None
    try:
        bounds = period_bounds(period)
    except InvalidInput as exc:
        problems.append(exc)
    _check_entries(card, known, entries, problems)
    existing = await repo.round_for(session, card.id, period) if bounds else None
    if existing is not None and not replace:
        problems.append(
            InvalidInput(
                "period",
                f"a round for {period} is recorded; send replace: true to correct it",
                code="NOT_UNIQUE",
            )
        )
    if problems or bounds is None:
        raise ValidationFailed(problems)
    before = None
    if existing is None:
        existing = models.ScorecardRound(
            scorecard_id=card.id, period=period, period_start=bounds[0], period_end=bounds[1]
        )
        session.add(existing)
    else:
        before = {
            "round": audit.snapshot(existing),
            "scores": await repo.round_scores(session, existing.id),
        }
    existing.held_on = held_on
    existing.note = note or ""
    await session.flush()
    values = [
        {"criterion_id": e.criterion_id, "note": e.note or ""}
        | {name: getattr(e, name) for name in SCORE_FIELDS}
        for e in entries
    ]
    await repo.replace_scores(session, existing.id, values)
    card.updated_at = now()
    after = {"round": audit.snapshot(existing), "scores": values}
    await record_change(session, actor, "scorecard.scores_record", card, before, after=after)
    return existing
