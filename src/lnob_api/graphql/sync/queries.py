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

from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import root_page
from lnob_api.graphql.pagination import Connection
from lnob_api.graphql.sync.types import RemovedDataset, RemovedObservation
from lnob_api.sync import repository as sync_repo


@strawberry.type
class SyncQueries:
    @strawberry.field(
        description="Observations you could read and no longer can since `since` (retracted, "
        "superseded, withdrawn access...), oldest removal first."
    )
    async def removed_observations(
        self,
        info: Info,
        since: datetime,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[RemovedObservation]:
        source = sync_repo.removed_observations_source(since)
        return await root_page(
            info, source, RemovedObservation, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description="Dataset versions whose data left your view since `since` (retracted, "
        "superseded, consent withdrawn, access narrowed or ended), or whose record left your "
        "lists, oldest removal first; `listed` tells which."
    )
    async def removed_datasets(
        self,
        info: Info,
        since: datetime,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[RemovedDataset]:
        source = sync_repo.removed_datasets_source(since)
        return await root_page(
            info, source, RemovedDataset, first=first, after=after, last=last, before=before
        )
