"""Removal events and the tombstone queries built on them.

A tombstone goes to a caller only for data they could read when it was removed (judged by the
state the event recorded, through ``visibility.could_have_seen``) and cannot read now, so a
tombstone never reveals a row that was hidden from that caller all along.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.disclosure.primary import primary_sql
from lnob_api.models.enums import PRE_RELEASE
from lnob_api.models.tables import consents, datasets, grants, observations, removals
from lnob_api.read.keyset import OrderKey
from lnob_api.read.relations import Source


async def record(session: AsyncSession | AsyncConnection, **values: Any) -> None:
    await session.execute(sa.insert(removals).values(**values))


def sync_time(at: datetime | None = None) -> ColumnElement[datetime]:
    """A dataset's new sync time: now, never before its embargo's end (``release_at``, or
    ``at`` for a release being set), never backwards. ``greatest`` ignores NULLs."""
    parts: list[ColumnElement[Any]] = [
        sa.func.clock_timestamp(),
        datasets.c.release_at,
        datasets.c.access_changed_at,
    ]
    if at is not None:
        parts.append(sa.literal(at, sa.DateTime(timezone=True)))
    return sa.func.greatest(*parts)


async def touch_access(
    session: AsyncSession | AsyncConnection,
    *,
    dataset_ids: Collection[int] | None = None,
    coalition_id: int | None = None,
    lineage_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Move the sync time (``access_changed_at``) of datasets whose rows some audience now
    sees differently (more readers, another suppression pattern, an embargo's end): an
    incremental pull (``updatedSince``/``updatedAfter``) from before that time re-sends every
    row of the dataset, as a full pull shows it to that caller."""
    stmt = sa.update(datasets).values(access_changed_at=sync_time(at))
    if dataset_ids is not None:
        if not dataset_ids:
            return
        stmt = stmt.where(datasets.c.id.in_(sorted(set(dataset_ids))))
    elif lineage_id is not None:
        stmt = stmt.where(datasets.c.lineage_id == lineage_id)
    elif coalition_id is not None:
        stmt = stmt.where(datasets.c.coalition_id == coalition_id)
    else:
        raise ValueError("name the datasets, the lineage or the coalition")
    await session.execute(stmt)


async def touch_record(session: AsyncSession | AsyncConnection, *, lineage_id: int) -> None:
    """The datasets' own record changed for their readers (e.g. consent): ``updatedAt`` moves
    (by the wall clock, like removal events) and so does the sync time."""
    await session.execute(
        sa.update(datasets)
        .where(datasets.c.lineage_id == lineage_id)
        .values(
            updated_at=sa.func.greatest(sa.func.clock_timestamp(), datasets.c.updated_at),
            access_changed_at=sync_time(),
        )
    )


async def touch_primary_changed(
    session: AsyncSession | AsyncConnection, *, coalition_id: int, old: int, new: int
) -> list[int]:
    """After a threshold change: move the sync time of the coalition's datasets holding a cell
    whose primary status differs between the ``old`` and the ``new`` threshold. Returns them."""

    def primary(threshold: int) -> ColumnElement[bool]:
        return primary_sql(
            unit=observations.c.unit,
            value=observations.c.value,
            sample_size=observations.c.sample_size,
            threshold=sa.literal(threshold, sa.Integer),
            provenance_n=datasets.c.sample_size,
        )

    changed = sa.exists().where(
        observations.c.dataset_id == datasets.c.id,
        primary(old) != primary(new),
    )
    stmt = (
        sa.update(datasets)
        .where(datasets.c.coalition_id == coalition_id, changed)
        .values(access_changed_at=sync_time())
        .returning(datasets.c.id)
    )
    return [int(i) for i in (await session.execute(stmt)).scalars()]


def _event_parts(principal: Principal, since: datetime) -> list[sa.Select[Any]]:
    """Removal events after ``since`` the principal is owed, expiries of its grants and
    lapses of the consents it read under: one query each."""
    recorded = sa.select(
        removals.c.occurred_at,
        removals.c.coalition_id,
        removals.c.dataset_id,
        removals.c.observation_ids,
        removals.c.reason,
        removals.c.prior_status,
    ).where(removals.c.occurred_at > since, visibility.could_have_seen(principal, removals))
    # A grant names one version and covers every version of its lineage: one event each.
    granted = datasets.alias("granted")
    covered = datasets.alias("covered")
    expired = (
        sa.select(
            grants.c.expires_at.label("occurred_at"),
            grants.c.coalition_id,
            covered.c.id.label("dataset_id"),
            sa.null().cast(removals.c.observation_ids.type).label("observation_ids"),
            sa.literal("grant_expired").label("reason"),
            sa.literal("PUBLISHED").label("prior_status"),
        )
        .select_from(
            grants.outerjoin(granted, granted.c.id == grants.c.dataset_id).outerjoin(
                covered, covered.c.lineage_id == granted.c.lineage_id
            )
        )
        .where(
            grants.c.expires_at > since,
            grants.c.expires_at <= sa.func.now(),
            grants.c.revoked_at.is_(None),
            visibility.held_by(principal, grants),
        )
    )
    lapsed = (
        sa.select(
            consents.c.expires_at.label("occurred_at"),
            datasets.c.coalition_id,
            datasets.c.id,
            sa.null().cast(removals.c.observation_ids.type).label("observation_ids"),
            sa.literal("consent_expired").label("reason"),
            sa.literal("PUBLISHED").label("prior_status"),
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
    return [recorded, expired, lapsed]


def _events(principal: Principal, since: datetime) -> sa.Subquery:
    """Removal events after ``since`` the principal is owed, plus expiries of its grants."""
    return sa.union_all(*_event_parts(principal, since)).subquery("events")


def _affected(principal: Principal, ev: sa.Subquery) -> ColumnElement[bool]:
    """Join condition: the dataset versions an event took data of, as far as the caller
    could read them when it happened. An event names a version, or (no version) every
    version of the coalition that was released by then and still current then: a version
    published later (a draft then), superseded before, or still under embargo then (for a
    caller outside the coalition), was never read under the access the event ended, and its
    tombstone would reveal a dataset the caller never could read."""
    when = ev.c.occurred_at
    unreleased = ev.c.prior_status.in_([s.value for s in PRE_RELEASE])
    out_of_embargo = sa.or_(
        datasets.c.release_at.is_(None),
        datasets.c.release_at <= when,
        ev.c.reason == "membership_ended",  # an insider until then
        visibility.coalition_insider(principal, datasets.c.coalition_id),
    )
    named = sa.and_(
        datasets.c.id == ev.c.dataset_id,
        sa.or_(unreleased, sa.and_(datasets.c.published_at <= when, out_of_embargo)),
    )
    coalition_wide = sa.and_(
        ev.c.dataset_id.is_(None),
        datasets.c.coalition_id == ev.c.coalition_id,
        datasets.c.published_at <= when,
        sa.or_(datasets.c.superseded_at.is_(None), datasets.c.superseded_at > when),
        out_of_embargo,
    )
    return sa.or_(named, coalition_wide)


def lapsed_since(table: sa.Table, since: datetime) -> ColumnElement[bool]:
    """A grant covering the dataset (any version of its lineage) or a consent of its lineage
    ran out after ``since``, by now: a change of the record's ``dataReadable`` that wrote
    nothing, so that ``datasets(updatedSince)`` re-sends the record."""
    version = datasets.alias("lapsed_version")
    grant_lapsed = sa.exists().where(
        grants.c.coalition_id == table.c.coalition_id,
        sa.or_(
            grants.c.dataset_id.is_(None),
            grants.c.dataset_id.in_(
                sa.select(version.c.id).where(version.c.lineage_id == table.c.lineage_id)
            ),
        ),
        grants.c.revoked_at.is_(None),
        grants.c.expires_at > since,
        grants.c.expires_at <= sa.func.now(),
    )
    consent_lapsed = sa.exists().where(
        consents.c.lineage_id == table.c.lineage_id,
        consents.c.withdrawn_at.is_(None),
        consents.c.expires_at > since,
        consents.c.expires_at <= sa.func.now(),
    )
    return sa.or_(grant_lapsed, consent_lapsed)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def latest_sync_event(
    principal: Principal, dataset_where: Sequence[ColumnElement[bool]] = ()
) -> sa.ScalarSelect[Any]:
    """When the principal's rows last changed without a row changing: the latest removal
    event owed to the principal (tombstones, grant and consent expiries) and the latest sync
    time of the datasets it sees, both up to now (a future embargo end does not count yet).
    Export validators take it in, so that ``Last-Modified`` and ``ETag`` move on removals."""
    # One max per kind of event (on its own table, so that PostgreSQL reads the newest rows of
    # its time index first); the statement's time, not now(): a transaction may be long.
    up_to = sa.func.statement_timestamp()
    latest = []
    for part in _event_parts(principal, EPOCH):
        when = part.selected_columns.occurred_at
        inner = when.element if isinstance(when, sa.Label) else when
        latest.append(part.with_only_columns(sa.func.max(inner)).where(inner <= up_to))
    latest.append(
        sa.select(sa.func.max(datasets.c.access_changed_at)).where(
            visibility.dataset_visible(principal),
            datasets.c.access_changed_at <= up_to,
            *dataset_where,
        )
    )
    return sa.select(sa.func.greatest(*(q.scalar_subquery() for q in latest))).scalar_subquery()


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
                ev.join(datasets, _affected(principal, ev)).join(
                    observations, observations.c.dataset_id == datasets.c.id
                )
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
    """Tombstones of datasets: versions whose data left the caller's view (retracted,
    superseded, withdrawn consent, narrower visibility, revoked or expired access...) or whose
    record left the caller's lists. ``listed`` says whether the record itself is still in the
    caller's lists (a retracted dataset keeps its record, for its reason; a dataset whose
    consent was withdrawn keeps its description): then only its data is gone. Only events
    about data the caller could read give a tombstone (``could_have_seen``), so a dataset the
    caller never could read never shows up here."""

    def scoped(principal: Principal) -> sa.Select[Any]:
        ev = _events(principal, since)
        # An event with an empty id list is about the record only (metadata_visibility).
        about_data = sa.or_(
            ev.c.observation_ids.is_(None), sa.func.cardinality(ev.c.observation_ids) > 0
        )
        hits = sa.select(
            datasets.c.id,
            ev.c.occurred_at,
            ev.c.reason,
            about_data.label("about_data"),
        ).select_from(ev.join(datasets, _affected(principal, ev)))
        deleted = sa.select(
            ev.c.dataset_id.label("id"),
            ev.c.occurred_at,
            ev.c.reason,
            sa.true().label("about_data"),
        ).where(ev.c.reason == "deleted", ev.c.dataset_id.is_not(None))
        candidates = sa.union_all(hits, deleted).subquery("candidates")
        listed_now = sa.exists(
            sa.select(datasets.c.id).where(
                visibility.dataset_visible(principal),
                visibility.current_version(datasets),
                datasets.c.id == candidates.c.id,
            )
        )
        data_now = sa.exists(
            sa.select(datasets.c.id).where(
                visibility.dataset_data_visible(principal),
                datasets.c.id == candidates.c.id,
            )
        )
        latest_reason = sa.func.array_agg(
            pg.aggregate_order_by(
                candidates.c.reason, candidates.c.occurred_at.desc(), candidates.c.reason
            ),
            type_=pg.ARRAY(sa.String),
        )[1]
        gone = sa.or_(~listed_now, sa.and_(candidates.c.about_data, ~data_now))
        grouped = (
            sa.select(
                candidates.c.id,
                sa.func.max(candidates.c.occurred_at).label("removed_at"),
                latest_reason.label("reason"),
                sa.func.bool_or(listed_now).label("listed"),
            )
            .where(gone)
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
