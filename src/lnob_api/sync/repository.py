"""Removal events and the tombstone queries built on them.

A tombstone goes to a caller only for data they could read when it was removed (judged by the
state the event recorded, through ``visibility.could_have_seen``) and cannot read now, so a
tombstone never reveals a row that was hidden from that caller all along.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.read.keyset import OrderKey
from lnob_api.read.relations import Source

removals = models.Removal.__table__
datasets = models.Dataset.__table__
observations = models.Observation.__table__
grants = models.Grant.__table__


async def record(session: AsyncSession | AsyncConnection, **values: Any) -> None:
    await session.execute(sa.insert(removals).values(**values))


async def touch_access(
    session: AsyncSession | AsyncConnection,
    *,
    dataset_ids: list[int] | None = None,
    coalition_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Mark datasets as readable by more callers from now (or from ``at``, an embargo's end)."""
    when = sa.func.greatest(sa.func.clock_timestamp(), at) if at else sa.func.clock_timestamp()
    stmt = sa.update(datasets).values(access_changed_at=when)
    if dataset_ids is not None:
        stmt = stmt.where(datasets.c.id.in_(dataset_ids))
    elif coalition_id is not None:
        stmt = stmt.where(datasets.c.coalition_id == coalition_id)
    else:
        raise ValueError("name the datasets or the coalition")
    await session.execute(stmt)


def _events(principal: Principal, since: datetime) -> sa.Subquery:
    """Removal events after ``since`` the principal is owed, plus expiries of its grants."""
    recorded = sa.select(
        removals.c.occurred_at,
        removals.c.coalition_id,
        removals.c.dataset_id,
        removals.c.observation_ids,
        removals.c.reason,
    ).where(removals.c.occurred_at > since, visibility.could_have_seen(principal, removals))
    expired = sa.select(
        grants.c.expires_at.label("occurred_at"),
        grants.c.coalition_id,
        grants.c.dataset_id,
        sa.null().cast(removals.c.observation_ids.type).label("observation_ids"),
        sa.literal("grant_expired").label("reason"),
    ).where(
        grants.c.expires_at > since,
        grants.c.expires_at <= sa.func.now(),
        grants.c.revoked_at.is_(None),
        visibility.held_by(principal, grants),
    )
    consents = models.Consent.__table__
    lapsed = (
        sa.select(
            consents.c.expires_at.label("occurred_at"),
            datasets.c.coalition_id,
            datasets.c.id,
            sa.null().cast(removals.c.observation_ids.type).label("observation_ids"),
            sa.literal("consent_expired").label("reason"),
        )
        .select_from(consents.join(datasets, datasets.c.lineage_id == consents.c.lineage_id))
        .where(
            consents.c.expires_at > since,
            consents.c.expires_at <= sa.func.now(),
            consents.c.withdrawn_at.is_(None),
            visibility.data_audience(principal, datasets),
            visibility.consent_admits(principal, consents, datasets.c.coalition_id),
        )
    )
    return sa.union_all(recorded, expired, lapsed).subquery("events")


def removed_observations_source(since: datetime) -> Source:
    """Tombstones of observations: (id, dataset_id, removed_at), newest removal per row."""

    def scoped(principal: Principal) -> sa.Select[Any]:
        ev = _events(principal, since)
        listed = sa.select(
            sa.func.unnest(ev.c.observation_ids).label("id"), ev.c.dataset_id, ev.c.occurred_at
        ).where(ev.c.observation_ids.is_not(None))
        whole = (
            sa.select(observations.c.id, observations.c.dataset_id, ev.c.occurred_at)
            .select_from(
                ev.join(
                    datasets,
                    sa.or_(
                        datasets.c.id == ev.c.dataset_id,
                        sa.and_(
                            ev.c.dataset_id.is_(None), datasets.c.coalition_id == ev.c.coalition_id
                        ),
                    ),
                ).join(observations, observations.c.dataset_id == datasets.c.id)
            )
            .where(ev.c.observation_ids.is_(None))
        )
        hits = sa.union_all(listed, whole).subquery("hits")
        still = sa.select(observations.c.id).where(
            visibility.observation_visible(principal), observations.c.id == hits.c.id
        )
        grouped = (
            sa.select(
                hits.c.id,
                sa.func.max(hits.c.dataset_id).label("dataset_id"),
                sa.func.max(hits.c.occurred_at).label("removed_at"),
            )
            .where(~sa.exists(still))
            .group_by(hits.c.id)
            .subquery("tombstones")
        )
        return sa.select(grouped)

    return _source("RemovedObservation", scoped)


def removed_datasets_source(since: datetime) -> Source:
    """Tombstones of datasets: no longer visible, or superseded by a newer version."""

    def scoped(principal: Principal) -> sa.Select[Any]:
        ev = _events(principal, since)
        hits = (
            sa.select(datasets.c.id, ev.c.occurred_at, ev.c.reason, datasets.c.superseded_at)
            .select_from(
                ev.join(
                    datasets,
                    sa.or_(
                        datasets.c.id == ev.c.dataset_id,
                        sa.and_(
                            ev.c.dataset_id.is_(None), datasets.c.coalition_id == ev.c.coalition_id
                        ),
                    ),
                )
            )
            .subquery("hits")
        )
        deleted = sa.select(
            ev.c.dataset_id.label("id"),
            ev.c.occurred_at,
            ev.c.reason,
            sa.null().cast(sa.DateTime(timezone=True)).label("superseded_at"),
        ).where(ev.c.reason == "deleted", ev.c.dataset_id.is_not(None))
        candidates = sa.union_all(sa.select(hits), deleted).subquery("candidates")
        visible_now = sa.select(datasets.c.id).where(
            visibility.dataset_visible(principal),
            visibility.current_version(datasets),
            datasets.c.id == candidates.c.id,
        )
        grouped = (
            sa.select(
                candidates.c.id,
                sa.func.max(candidates.c.occurred_at).label("removed_at"),
                sa.func.max(candidates.c.reason).label("reason"),
            )
            .where(~sa.exists(visible_now))
            .group_by(candidates.c.id)
            .subquery("tombstones")
        )
        return sa.select(grouped)

    return _source("RemovedDataset", scoped)


def _source(name: str, scoped: Callable[[Principal], sa.Select[Any]]) -> Source:
    """A root-only source over the computed ``tombstones`` relation, in removal order."""
    order = (
        OrderKey(
            sa.literal_column("tombstones.removed_at", sa.DateTime(timezone=True)), "removed_at"
        ),
        OrderKey(sa.literal_column("tombstones.id", sa.BigInteger), "id"),
    )
    return Source(name, removals, scoped, order)
