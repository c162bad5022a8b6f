"""Root fields: removedObservations, removedDatasets (tombstones for incremental sync).

A mirror pulls ``observations(filter: {updatedSince: T})`` and ``removedObservations(since: T)``
with the same T, upserts the first and deletes the second, and keeps the new T. Datasets the
same way: ``removedDatasets(since: T)`` (drop the version's rows; drop its record unless
``listed``) and ``datasets(filter: {updatedSince: T})`` (upsert). The two sets of a pull never
overlap, so the order does not matter.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.sync.types import RemovedDataset, RemovedObservation
from lnob_api.sync import repository as sync_repo


def _removed_observations(since: datetime) -> Slice:
    return Slice(source=sync_repo.removed_observations_source(since))


def _removed_datasets(since: datetime) -> Slice:
    return Slice(source=sync_repo.removed_datasets_source(since))


@strawberry.type
class SyncQueries:
    removed_observations = connection(
        None,
        RemovedObservation,
        select=_removed_observations,
        description="Observations you could read and no longer can since `since` (retracted, "
        "superseded, withdrawn access...), oldest removal first.",
    )

    removed_datasets = connection(
        None,
        RemovedDataset,
        select=_removed_datasets,
        description="Dataset versions whose data left your view since `since` (retracted, "
        "superseded, consent withdrawn, access narrowed or ended), or whose record left your "
        "lists, oldest removal first; `listed` tells which.",
    )
