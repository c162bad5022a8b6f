"""Tombstones: what left the caller's view since a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from lnob_api.graphql.ids import global_id
from lnob_api.graphql.node import copied


@strawberry.type(description="An observation you could read before and cannot now: delete it.")
class RemovedObservation:
    id: strawberry.ID = strawberry.field(description="The observation's global id.")
    dataset_id: strawberry.ID = strawberry.field(description="Its dataset's global id.")
    removed_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> RemovedObservation:
        return cls(
            id=global_id("Observation", row["id"]),
            dataset_id=global_id("Dataset", row["dataset_id"]),
            removed_at=row["removed_at"],
        )


@strawberry.type(
    description="A dataset version whose data you could read and cannot now, or whose record "
    "left your lists: delete its observations from a mirror, and the record too unless "
    "`listed`."
)
class RemovedDataset:
    id: strawberry.ID = strawberry.field(description="The dataset version's global id.")
    removed_at: datetime
    reason: str = strawberry.field(
        description="The latest cause: retracted, superseded, visibility, metadata_visibility, "
        "grant_revoked, grant_expired, membership_ended, consent_withdrawn, consent_expired, "
        "consent_scope or deleted."
    )
    listed: bool = strawberry.field(
        description="The record is still in your lists (a retracted dataset keeps its reason; "
        "a dataset without consent keeps its description): only its data left your view. "
        "Its new state arrives through `datasets(filter: {updatedSince})`."
    )

    @classmethod
    def from_row(cls, row: Any) -> RemovedDataset:
        return copied(cls, row, id=global_id("Dataset", row["id"]), listed=bool(row["listed"]))
