"""Recording what left or entered callers' view, for incremental sync.

Two kinds of sync event (docs/stewardship.md):
- a *removal* (``repository.record``): data some callers could read and may not now; it gives
  tombstones (``removedObservations``, ``removedDatasets``) to exactly those callers;
- a *sync time* bump (``repository.touch_access``): some audience now sees a dataset's rows
  differently (more readers, another suppression pattern, an embargo's end); incremental
  pulls from before that time re-send every row of the dataset, withheld cells as withheld.
The sync time moves to ``greatest(now, release_at, its old value)``: never backwards, and never
before an embargo ends, so embargoed data enters every incremental channel at its release.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api import models
from lnob_api.models.tables import datasets
from lnob_api.sync import repository

# Visibility levels from narrowest to widest.
_WIDTH = {"COALITION": 0, "PARTNERSHIP": 1, "PUBLIC": 2}


async def dataset_removed(
    session: AsyncSession | AsyncConnection,
    dataset: models.Dataset,
    *,
    reason: str,
    prior_status: str | None = None,
    prior_visibility: str | None = None,
    observation_ids: list[int] | None = None,
) -> None:
    """Every observation of ``dataset`` (or just ``observation_ids``) left some callers' view."""
    await repository.record(
        session,
        reason=reason,
        coalition_id=dataset.coalition_id,
        dataset_id=dataset.id,
        observation_ids=observation_ids,
        prior_status=str(prior_status or dataset.status),
        prior_visibility=str(prior_visibility or dataset.visibility),
    )


async def visibility_changed(
    session: AsyncSession | AsyncConnection,
    dataset_ids: list[int],
    versions: list[models.Dataset],
    *,
    before: str,
    after: str,
) -> None:
    """Narrowing removes data from some callers; widening makes rows newly visible."""
    if _WIDTH[after] < _WIDTH[before]:
        for version in versions:
            await dataset_removed(
                session,
                version,
                reason="visibility",
                prior_visibility=before,
            )
    # Either way the remaining readers' suppression pattern may change (it is recomputed).
    await repository.touch_access(session, dataset_ids=dataset_ids)


async def record_removal(session: AsyncSession | AsyncConnection, **values: object) -> None:
    await repository.record(session, **values)


async def _insiders_data_removed(
    session: AsyncSession | AsyncConnection,
    reason: str,
    coalition_id: int,
    dataset_id: int | None,
    organisation_id: int | None,
    client_pk: int | None,
) -> None:
    """A removal of the coalition's published COALITION data (a version, or all of it: None)
    for the organisation or client that read it as a member or grantee."""
    await repository.record(
        session,
        reason=reason,
        coalition_id=coalition_id,
        dataset_id=dataset_id,
        prior_status="PUBLISHED",
        prior_visibility="COALITION",
        grant_organisation_id=organisation_id,
        grant_client_id=client_pk,
    )


async def grant_revoked(
    session: AsyncSession | AsyncConnection,
    *,
    coalition_id: int,
    dataset_id: int | None,
    organisation_id: int | None,
    client_pk: int | None,
) -> None:
    """A grant names one version and covers every version of its lineage: one event each
    (a coalition-wide grant: one event without a version)."""
    versions: list[int | None] = [None]
    if dataset_id is not None:
        lineage = sa.select(datasets.c.lineage_id).where(datasets.c.id == dataset_id)
        found = await session.scalars(
            sa.select(datasets.c.id).where(datasets.c.lineage_id == lineage.scalar_subquery())
        )
        versions = [int(v) for v in found] or [dataset_id]
    for version in versions:
        await _insiders_data_removed(
            session, "grant_revoked", coalition_id, version, organisation_id, client_pk
        )


async def grant_given(
    session: AsyncSession | AsyncConnection, *, coalition_id: int, dataset_id: int | None
) -> None:
    """A grant on one version opens every version of its lineage."""
    if dataset_id is not None:
        lineage = await session.scalar(
            sa.select(datasets.c.lineage_id).where(datasets.c.id == dataset_id)
        )
        await repository.touch_access(session, lineage_id=int(lineage or dataset_id))
    else:
        await repository.touch_access(session, coalition_id=coalition_id)


async def pattern_changed(
    session: AsyncSession | AsyncConnection, dataset_ids: Collection[int]
) -> None:
    """Secondary-suppression flags of these datasets changed (a recomputed pattern)."""
    await repository.touch_access(session, dataset_ids=dataset_ids)


async def threshold_changed(
    session: AsyncSession | AsyncConnection, *, coalition_id: int, old: int, new: int
) -> None:
    """Primary suppression follows the threshold at read time: the datasets holding a cell the
    change moves across the threshold get a new sync time."""
    await repository.touch_primary_changed(session, coalition_id=coalition_id, old=old, new=new)


async def consent_changed(session: AsyncSession | AsyncConnection, *, lineage_id: int) -> None:
    """A consent was recorded or withdrawn: the record changed (``updatedAt`` moves) and who
    reads the data too."""
    await repository.touch_record(session, lineage_id=lineage_id)


async def membership_changed(
    session: AsyncSession | AsyncConnection, *, coalition_id: int, organisation_id: int | None
) -> None:
    """An organisation joined (``organisation_id`` None) or left the coalition. Leaving takes
    the coalition's data its members read as insiders away: a removal for that organisation
    (tombstones for whatever its clients cannot read now)."""
    if organisation_id is not None:
        await _insiders_data_removed(
            session, "membership_ended", coalition_id, None, organisation_id, None
        )
    await repository.touch_access(session, coalition_id=coalition_id)


async def published(
    session: AsyncSession | AsyncConnection, dataset_id: int, *, release_at: datetime | None
) -> None:
    await repository.touch_access(session, dataset_ids=[dataset_id], at=release_at)
