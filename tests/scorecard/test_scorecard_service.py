"""Scorecard services directly: a corrected round keeps its history in the audit log, role
rules, and the visibility predicate at the SQL level."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from tests import factories as f

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import ANONYMOUS, Principal, PrincipalKind
from lnob_api.dataset.service import Actor
from lnob_api.errors import Forbidden, InvalidInput
from lnob_api.models.enums import CoalitionRole
from lnob_api.scorecard import scores, service


@pytest.fixture
async def session(conn: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(bind=conn, join_transaction_mode="create_savepoint") as s:
        yield s


def _user(coalition: Any, role: CoalitionRole, user_id: int) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        user_id=user_id,
        coalition_roles={coalition["id"]: role},
        member_coalition_ids=frozenset({coalition["id"]}),
        scopes=frozenset({"data:read", "data:write"}),
    )


async def _card(session: AsyncSession, actor: Actor, coalition: Any) -> models.Scorecard:
    area = await session.scalar(
        sa.select(models.Area.code).where(models.Area.country_code == coalition["code"]).limit(1)
    )
    return await service.create(
        session,
        actor,
        coalition_code=coalition["code"],
        fields={"title": "t", "service": "Clinic", "area_code": area, "period": "2020"},
        visibility=None,
    )


class TestRecordScores:
    async def test_a_corrected_round_is_audited_with_its_old_scores(
        self, conn: AsyncConnection, session: AsyncSession
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        user = await f.create_user(conn)
        actor = Actor(_user(coalition, CoalitionRole.EDITOR, user["id"]))
        card = await _card(session, actor, coalition)
        criterion = await service.add_criterion(
            session,
            actor,
            scorecard_id=card.id,
            label="Queue",
            description="",
            target_code="6.1",
            indicator_code=None,
        )

        async def record(value: float, *, replace: bool) -> models.ScorecardRound:
            entry = scores.ScoreEntry(index=0, criterion_id=criterion.id, agreed_score=value)
            return await scores.record_scores(
                session,
                actor,
                scorecard_id=card.id,
                period="2020-Q1",
                held_on=None,
                note="",
                entries=[entry],
                replace=replace,
            )

        # when
        first = await record(2, replace=False)
        second = await record(4, replace=True)
        # then
        assert first.id == second.id
        events = (
            await session.scalars(
                sa.select(models.AuditEvent)
                .where(models.AuditEvent.action == "scorecard.scores_record")
                .order_by(models.AuditEvent.id)
            )
        ).all()
        assert events[0].before is None
        assert events[1].before is not None
        assert events[1].before["scores"][0]["agreed_score"] == 2
        assert events[1].after is not None and events[1].after["scores"][0]["agreed_score"] == 4

    async def test_viewers_may_not_record(
        self, conn: AsyncConnection, session: AsyncSession
    ) -> None:
        coalition = await f.create_coalition(conn)
        user = await f.create_user(conn)
        card = await _card(
            session, Actor(_user(coalition, CoalitionRole.EDITOR, user["id"])), coalition
        )
        viewer = Actor(_user(coalition, CoalitionRole.VIEWER, user["id"]))
        with pytest.raises(Forbidden):
            await scores.record_scores(
                session,
                viewer,
                scorecard_id=card.id,
                period="2020",
                held_on=None,
                note="",
                entries=[],
                replace=False,
            )
        with pytest.raises(InvalidInput) as missing:
            await scores.record_scores(
                session,
                Actor(ANONYMOUS),
                scorecard_id=card.id,
                period="2020",
                held_on=None,
                note="",
                entries=[],
                replace=False,
            )
        assert missing.value.reason == "NOT_FOUND"


class TestVisibilityPredicate:
    async def test_parts_follow_their_scorecard(
        self, conn: AsyncConnection, session: AsyncSession
    ) -> None:
        coalition = await f.create_coalition(conn)
        user = await f.create_user(conn)
        editor = _user(coalition, CoalitionRole.EDITOR, user["id"])
        card = await _card(session, Actor(editor), coalition)
        await session.flush()
        cards = models.Scorecard.__table__

        async def seen(principal: Principal) -> list[int]:
            rows = await session.scalars(
                sa.select(cards.c.id).where(
                    cards.c.id == card.id, visibility.scorecard_visible(principal)
                )
            )
            return list(rows)

        assert await seen(editor) == [card.id]
        assert await seen(ANONYMOUS) == []
        card.visibility = models.Visibility.PUBLIC
        await session.flush()
        assert await seen(ANONYMOUS) == [card.id]
