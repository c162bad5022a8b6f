"""Recommendations: scoped sources and relations, list filters, and the SQL their writes need.

Every read starts from ``visibility.recommendation_visible``; responses and the status history
are scoped through their recommendation. Who recorded a response or a status change is a
person's name: it is shown to members of the owning coalition only (NULL to others, in SQL).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.db.rows import lock_by_id
from lnob_api.declare.conditions import Conditions, coalition_coded, equal, linked_to_target, words
from lnob_api.declare.statistics import RECOMMENDATION
from lnob_api.domain_kit.sql import exists, oldest_first, replace_link_rows
from lnob_api.models.tables import oauth_clients as clients
from lnob_api.models.tables import (
    publication_coalitions,
    publications,
    recommendation_targets,
    recommendations,
    users,
)
from lnob_api.models.tables import recommendation_responses as responses
from lnob_api.models.tables import recommendation_status_changes as changes
from lnob_api.read.relations import Source, Through, ToMany, ToOne, order_by
from lnob_api.sdg import repository as sdg_repo

RECORDED_BY = "recorded_by"


def _with_recorder(table: sa.Table) -> Any:
    """Rows of ``table`` (a child of a recommendation) with ``recorded_by``: the recording
    user's (or client's) name, for insiders of the owning coalition only."""
    owner = recommendations.alias("owner")

    def scoped(principal: Principal) -> sa.Select[Any]:
        name = sa.func.coalesce(
            sa.select(users.c.name)
            .where(users.c.id == table.c.recorded_by_user_id)
            .scalar_subquery(),
            sa.select(clients.c.name)
            .where(clients.c.client_id == table.c.recorded_by_client_id)
            .scalar_subquery(),
        )
        shown = visibility.coalition_insider(principal, owner.c.coalition_id)
        return (
            sa.select(table, sa.case((shown, name), else_=sa.null()).label(RECORDED_BY))
            .select_from(table.join(owner, owner.c.id == table.c.recommendation_id))
            .where(visibility.recommendation_part_visible(principal, table.c.recommendation_id))
        )

    return scoped


RECOMMENDATIONS = oldest_first("Recommendation", recommendations, visibility.recommendation_visible)
RECOMMENDATION_BY_ID = ToOne(RECOMMENDATIONS)
RECOMMENDATIONS_BY_PUBLICATION = ToMany(RECOMMENDATIONS, "publication_id")
RECOMMENDATIONS_BY_DATASET = ToMany(RECOMMENDATIONS, "dataset_id")

RESPONSES = Source(
    "RecommendationResponse",
    responses,
    _with_recorder(responses),
    order_by(responses, "responded_on", "id"),
)
RESPONSES_BY_RECOMMENDATION = ToMany(RESPONSES, "recommendation_id")
RESPONSE_BY_ID = ToOne(RESPONSES)

STATUS_CHANGES = Source(
    "RecommendationStatusChange",
    changes,
    _with_recorder(changes),
    order_by(changes, "id"),
)
# Oldest first, in the order they were recorded.
STATUS_HISTORY_BY_RECOMMENDATION = ToMany(STATUS_CHANGES, "recommendation_id")

# SDG targets a recommendation addresses (public reference rows).
TARGETS_BY_RECOMMENDATION = Through(
    sdg_repo.TARGETS, recommendation_targets, "recommendation_id", "target_code", "code"
)


# The ``recommendations`` filter (all given conditions must hold); ``authority`` matches words
# of the authority's name, case-insensitively.
filters = Conditions(
    coalition_code=coalition_coded(recommendations.c.coalition_id),
    status=equal(recommendations.c.status),
    target_code=linked_to_target(recommendations.c.id, recommendation_targets, "recommendation_id"),
    authority=words(recommendations.c.authority_name),
    **RECOMMENDATION.conditions.conditions,
)


# Writes ---------------------------------------------------------------------------------------


async def lock(session: AsyncSession, recommendation_id: int) -> models.Recommendation | None:
    return await lock_by_id(session, models.Recommendation, recommendation_id, refresh=False)


async def is_visible(session: AsyncSession, principal: Principal, recommendation_id: int) -> bool:
    return await exists(
        session,
        recommendations.c.id == recommendation_id,
        visibility.recommendation_visible(principal),
    )


async def publication_belongs(
    session: AsyncSession, publication_id: int, coalition_id: int
) -> bool:
    """The publication is the coalition's own, or names the coalition among those it is about."""
    owned = sa.exists().where(
        publications.c.id == publication_id, publications.c.coalition_id == coalition_id
    )
    about = sa.exists().where(
        publication_coalitions.c.publication_id == publication_id,
        publication_coalitions.c.coalition_id == coalition_id,
    )
    return bool(await session.scalar(sa.select(sa.or_(owned, about))))


async def target_codes(session: AsyncSession, recommendation_id: int) -> list[str]:
    found = await session.scalars(
        sa.select(recommendation_targets.c.target_code)
        .where(recommendation_targets.c.recommendation_id == recommendation_id)
        .order_by(recommendation_targets.c.target_code)
    )
    return list(found)


async def replace_targets(session: AsyncSession, recommendation_id: int, codes: list[str]) -> None:
    owner = ("recommendation_id", recommendation_id)
    await replace_link_rows(session, recommendation_targets, owner, "target_code", codes)
