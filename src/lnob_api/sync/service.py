"""Recording what left or entered callers' view, for incremental sync."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api import models
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
    elif _WIDTH[after] > _WIDTH[before]:
        await repository.touch_access(session, dataset_ids=dataset_ids)


async def record_removal(session: AsyncSession | AsyncConnection, **values: object) -> None:
    await repository.record(session, **values)


async def grant_revoked(
    session: AsyncSession | AsyncConnection,
    *,
    coalition_id: int,
    dataset_id: int | None,
    organisation_id: int | None,
    client_pk: int | None,
) -> None:
    await repository.record(
        session,
        reason="grant_revoked",
        coalition_id=coalition_id,
        dataset_id=dataset_id,
        prior_status="PUBLISHED",
        prior_visibility="COALITION",
        grant_organisation_id=organisation_id,
        grant_client_id=client_pk,
    )


async def grant_given(
    session: AsyncSession | AsyncConnection, *, coalition_id: int, dataset_id: int | None
) -> None:
    if dataset_id is not None:
        await repository.touch_access(session, dataset_ids=[dataset_id])
    else:
        await repository.touch_access(session, coalition_id=coalition_id)


async def published(
    session: AsyncSession | AsyncConnection, dataset_id: int, *, release_at: datetime | None
) -> None:
    await repository.touch_access(session, dataset_ids=[dataset_id], at=release_at)
