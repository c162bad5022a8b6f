"""Scorecards: scoped sources and relations, list filters, and the SQL their writes need.

Every read starts from ``visibility.scorecard_visible``: criteria, rounds, scores and actions
are scoped through their scorecard. Scores are group judgements (a community meeting, a
providers' session, the joint meeting), so no small-cell suppression applies to them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.db.rows import lock_by_id
from lnob_api.declare.conditions import Conditions, coalition_coded, equal, linked_to_target, words
from lnob_api.declare.statistics import SCORECARD
from lnob_api.domain_kit.sql import exists, oldest_first
from lnob_api.errors import InvalidInput
from lnob_api.models.tables import areas, coalitions, indicators, scorecards
from lnob_api.models.tables import scorecard_actions as actions
from lnob_api.models.tables import scorecard_criteria as criteria
from lnob_api.models.tables import scorecard_rounds as rounds
from lnob_api.models.tables import scorecard_scores as scores
from lnob_api.observation.periods import period_bounds
from lnob_api.read.keyset import OrderKey
from lnob_api.read.relations import Source, ToMany, ToOne, order_by, scoped_by


def _part_of(table: sa.Table) -> Any:
    return scoped_by(
        table, lambda principal: visibility.scorecard_part_visible(principal, table.c.scorecard_id)
    )


def _scores(principal: Principal) -> sa.Select[Any]:
    """Scores with their round's period and their criterion's position (for both orders)."""
    return (
        sa.select(
            scores,
            rounds.c.scorecard_id,
            rounds.c.period,
            rounds.c.period_start,
            criteria.c.position.label("criterion_position"),
        )
        .select_from(
            scores.join(rounds, rounds.c.id == scores.c.round_id).join(
                criteria, criteria.c.id == scores.c.criterion_id
            )
        )
        .where(visibility.scorecard_part_visible(principal, rounds.c.scorecard_id))
    )


SCORECARDS = oldest_first("Scorecard", scorecards, visibility.scorecard_visible)
SCORECARD_BY_ID = ToOne(SCORECARDS)

CRITERIA = Source(
    "ScorecardCriterion", criteria, _part_of(criteria), order_by(criteria, "position", "id")
)
CRITERION_BY_ID = ToOne(CRITERIA)
CRITERIA_BY_SCORECARD = ToMany(CRITERIA, "scorecard_id")

ROUNDS = Source(
    "ScorecardRound", rounds, _part_of(rounds), order_by(rounds, "period_start", "period", "id")
)
ROUND_BY_ID = ToOne(ROUNDS)
# Over time: a scorecard's rounds in the order of their periods.
ROUNDS_BY_SCORECARD = ToMany(ROUNDS, "scorecard_id")

_BY_CRITERION = (
    OrderKey(criteria.c.position, "criterion_position"),
    OrderKey(scores.c.criterion_id, "criterion_id"),
)
_BY_PERIOD = (
    OrderKey(rounds.c.period_start, "period_start"),
    OrderKey(rounds.c.period, "period"),
    OrderKey(scores.c.round_id, "round_id"),
)
SCORES = Source("ScorecardScore", scores, _scores, _BY_CRITERION, key="round_id")
# Side by side: one round's scores in criterion order.
SCORES_BY_ROUND = ToMany(SCORES, "round_id")
# Over time: one criterion's scores in period order.
SCORES_BY_CRITERION = ToMany(SCORES, "criterion_id", order=_BY_PERIOD)

ACTIONS = Source("ScorecardAction", actions, _part_of(actions), order_by(actions, "id"))
ACTION_BY_ID = ToOne(ACTIONS)
ACTIONS_BY_SCORECARD = ToMany(ACTIONS, "scorecard_id")


def _edge(period: str, field: str, *, end: bool = False) -> date:
    try:
        start, last = period_bounds(period.strip())
    except InvalidInput as exc:
        raise InvalidInput(field, f"{period!r} is not a valid period", code=exc.reason) from None
    return last if end else start


def _within_area(code: str) -> ColumnElement[bool]:
    """In that area or any area below it."""
    code = code.strip().upper()
    return scorecards.c.area_code.in_(
        sa.select(areas.c.code).where(
            sa.or_(areas.c.code == code, areas.c.ancestors.overlap([code]))
        )
    )


# The ``scorecards`` filter (all given conditions must hold). ``area_code`` matches that area
# and every area below it; ``target_code`` matches scorecards with a criterion linked to that
# target; ``service`` matches words of the service assessed, case-insensitively;
# ``period_from``/``period_to`` (SDMX periods) keep scorecards starting on or after the first's
# start and ending on or before the second's end. A malformed period raises ``InvalidInput``.
filters = Conditions(
    coalition_code=coalition_coded(scorecards.c.coalition_id),
    area_code=_within_area,
    target_code=linked_to_target(scorecards.c.id, criteria, "scorecard_id"),
    service=words(scorecards.c.service),
    period_from=lambda period: scorecards.c.period_start >= _edge(period, "filter.periodFrom"),
    period_to=lambda period: scorecards.c.period_end <= _edge(period, "filter.periodTo", end=True),
    project_id=equal(scorecards.c.project_id),
    dataset_id=equal(scorecards.c.dataset_id),
    **SCORECARD.conditions.conditions,
)


# Writes ---------------------------------------------------------------------------------------


async def lock(session: AsyncSession, scorecard_id: int) -> models.Scorecard | None:
    """The scorecard row, locked for the rest of the transaction."""
    return await lock_by_id(session, models.Scorecard, scorecard_id, refresh=False)


async def lock_action(session: AsyncSession, action_id: int) -> models.ScorecardAction | None:
    return await lock_by_id(session, models.ScorecardAction, action_id, refresh=False)


async def is_visible(session: AsyncSession, principal: Principal, scorecard_id: int) -> bool:
    """Whether the principal may see the scorecard (writes to unseen ones look like misses)."""
    return await exists(
        session, scorecards.c.id == scorecard_id, visibility.scorecard_visible(principal)
    )


async def area_country(session: AsyncSession, code: str) -> tuple[str, int | None] | None:
    """An area's country code and owning coalition (local areas), or None when unknown."""
    row = (
        await session.execute(
            sa.select(areas.c.country_code, areas.c.coalition_id).where(areas.c.code == code)
        )
    ).first()
    return (str(row.country_code), row.coalition_id) if row is not None else None


async def coalition_code(session: AsyncSession, coalition_id: int) -> str:
    found = await session.scalar(
        sa.select(coalitions.c.code).where(coalitions.c.id == coalition_id)
    )
    return str(found or "")


async def target_exists(session: AsyncSession, code: str) -> bool:
    return await exists(session, models.SdgTarget.code == code.strip().lower())


async def project_coalition(session: AsyncSession, project_id: int) -> int | None:
    found = await session.scalar(
        sa.select(models.Project.coalition_id).where(models.Project.id == project_id)
    )
    return int(found) if found is not None else None


async def criteria_of(session: AsyncSession, scorecard_id: int) -> list[models.ScorecardCriterion]:
    rows = await session.scalars(
        sa.select(models.ScorecardCriterion)
        .where(models.ScorecardCriterion.scorecard_id == scorecard_id)
        .order_by(models.ScorecardCriterion.position)
    )
    return list(rows)


async def round_for(
    session: AsyncSession, scorecard_id: int, period: str
) -> models.ScorecardRound | None:
    result = await session.execute(
        sa.select(models.ScorecardRound).where(
            models.ScorecardRound.scorecard_id == scorecard_id,
            models.ScorecardRound.period == period,
        )
    )
    return result.scalar_one_or_none()


async def round_scores(session: AsyncSession, round_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        sa.select(scores).where(scores.c.round_id == round_id).order_by(scores.c.criterion_id)
    )
    return [dict(r._mapping) for r in rows]


async def replace_scores(
    session: AsyncSession, round_id: int, values: list[dict[str, Any]]
) -> None:
    await session.execute(sa.delete(scores).where(scores.c.round_id == round_id))
    if values:
        await session.execute(sa.insert(scores), [v | {"round_id": round_id} for v in values])


async def scores_outside(session: AsyncSession, scorecard_id: int, low: float, high: float) -> int:
    """How many recorded scores of the scorecard fall outside [low, high]."""
    outside = sa.or_(
        *(
            sa.or_(column < low, column > high)
            for column in (
                scores.c.community_score,
                scores.c.provider_score,
                scores.c.agreed_score,
            )
        )
    )
    stmt = (
        sa.select(sa.func.count())
        .select_from(scores.join(rounds, rounds.c.id == scores.c.round_id))
        .where(rounds.c.scorecard_id == scorecard_id, outside)
    )
    return int(await session.scalar(stmt) or 0)


async def indicator_by_code(session: AsyncSession, code: str) -> Any | None:
    """An indicator's id, owning coalition (custom ones) and target, by code."""
    return (
        await session.execute(
            sa.select(indicators.c.id, indicators.c.coalition_id, indicators.c.target_code).where(
                indicators.c.code == code.strip()
            )
        )
    ).first()
