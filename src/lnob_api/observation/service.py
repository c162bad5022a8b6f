"""Observation use cases other domains call (they never reach the repository directly)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api.observation import repository

UNPROTECTABLE = "UNPROTECTABLE"


@dataclass(frozen=True, slots=True)
class DisclosureWarning:
    code: str
    message: str
    observations: int


async def disclosure_warnings(
    db: AsyncSession | AsyncConnection, dataset_id: int
) -> list[DisclosureWarning]:
    """What uploads and publishing warn about: rates and means whose n nobody knows are
    withheld from everyone outside the coalition (``disclosure.primary``)."""
    if isinstance(db, AsyncSession):
        await db.flush()
    found = await repository.unprotectable_count(db, dataset_id)
    if not found:
        return []
    return [
        DisclosureWarning(
            UNPROTECTABLE,
            f"{found} observation(s) are rates or means with neither a sample size nor the "
            "dataset's provenance sampleSize: nobody can tell how many people they describe, "
            "so they are withheld outside the coalition. Upload a sample_size column or set "
            "the dataset's provenance sampleSize.",
            found,
        )
    ]
