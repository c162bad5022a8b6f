"""Unique violations from the database become NOT_UNIQUE user errors on the input that
collided; the constraint names the mapping knows are the database's."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api import models
from lnob_api.graphql import mutations
from lnob_api.graphql.mutations import UserErrorCode, user_errors


class TestUniqueViolations:
    async def test_every_mapped_constraint_exists(self, conn: AsyncConnection) -> None:
        names = set(mutations._UNIQUE)
        found = set(
            (
                await conn.execute(
                    sa.text(
                        "SELECT conname FROM pg_constraint WHERE conname = ANY(:n)"
                        " UNION SELECT indexname FROM pg_indexes WHERE indexname = ANY(:n)"
                    ),
                    {"n": sorted(names)},
                )
            ).scalars()
        )
        assert found == names

    async def test_a_second_live_grant_is_not_unique_on_the_organisation(
        self, conn: AsyncConnection
    ) -> None:
        # given a live grant
        coalition = await f.create_coalition(conn)
        organisation = await f.create_organisation(conn)
        await f.create_grant(conn, coalition, organisation_id=organisation["id"])
        # when a second one of the same reach is inserted (as a racing request would)
        with pytest.raises(IntegrityError) as caught:
            async with conn.begin_nested():
                await f.create_grant(conn, coalition, organisation_id=organisation["id"])
        # then
        (error,) = user_errors(caught.value)
        assert (error.code, error.field) == (UserErrorCode.NOT_UNIQUE, ["input", "organisation"])
        assert "revoke it first" in error.message
        # and a revoked grant leaves room for a new one
        grants = models.Grant.__table__
        await conn.execute(sa.update(grants).values(revoked_at=sa.func.now()))
        await f.create_grant(conn, coalition, organisation_id=organisation["id"])

    async def test_other_constraint_failures_are_conflicts(self, conn: AsyncConnection) -> None:
        with pytest.raises(IntegrityError) as caught:
            async with conn.begin_nested():
                await conn.execute(
                    sa.insert(models.Grant.__table__).values(
                        coalition_id=987_654_321, organisation_id=987_654_321
                    )
                )
        (error,) = user_errors(caught.value)
        assert (error.code, error.field) == (UserErrorCode.CONFLICT, None)

    async def test_criterion_labels_differ_in_more_than_case(self, conn: AsyncConnection) -> None:
        coalition = await f.create_coalition(conn)
        area = await conn.scalar(
            sa.select(models.Area.code).where(models.Area.level == "COUNTRY").limit(1)
        )
        card = await conn.scalar(
            sa.insert(models.Scorecard.__table__)
            .values(
                coalition_id=coalition["id"],
                title="Clinic",
                service="Health",
                area_code=area,
                period="2024",
                period_start=date(2024, 1, 1),
                period_end=date(2024, 12, 31),
            )
            .returning(models.Scorecard.__table__.c.id)
        )
        criteria = models.ScorecardCriterion.__table__
        values = {"scorecard_id": card, "target_code": "1.1"}
        await conn.execute(sa.insert(criteria).values(position=1, label="Water", **values))
        with pytest.raises(IntegrityError) as caught:
            async with conn.begin_nested():
                await conn.execute(sa.insert(criteria).values(position=2, label="WATER", **values))
        (error,) = user_errors(caught.value)
        assert (error.code, error.field) == (UserErrorCode.NOT_UNIQUE, ["input", "label"])
