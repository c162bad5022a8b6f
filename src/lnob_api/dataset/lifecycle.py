"""Dataset lifecycle use cases: publish, retract, delete a draft, and opening a new version.

A published version is immutable: editing it opens a new DRAFT version (``draft_of``) in the
same lineage; publishing that draft supersedes the previous published version. A retracted
version keeps its reason; only drafts are ever deleted. Services flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.dataset import common
from lnob_api.dataset import write_repository as repo
from lnob_api.declare.entities import DATASET
from lnob_api.disclosure import service as disclosure
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput
from lnob_api.models.enums import PRE_RELEASE, DatasetStatus
from lnob_api.provenance import dataset as dataset_provenance
from lnob_api.sync import service as sync


async def locked_draft(session: AsyncSession, published: models.Dataset) -> models.Dataset | None:
    """The open (unreleased) version of ``published``'s lineage, locked, if there is one."""
    existing = await repo.open_draft(session, published.lineage_id)
    return await repo.lock(session, existing) if existing is not None else None


async def draft_of(
    session: AsyncSession, actor: Actor, published: models.Dataset
) -> models.Dataset:
    """The open draft of ``published``'s lineage, created as a copy when there is none (the
    fields ``DATASET`` declares ``copied``; provenance, links and observations after). A new
    draft's row version continues from the published one's: a client holding the published
    version's rowVersion cannot edit the draft without reading it first."""
    existing = await locked_draft(session, published)
    if existing is not None:
        return existing
    draft = models.Dataset(
        **DATASET.copy(published),
        row_version=published.row_version + 1,
        status=DatasetStatus.DRAFT,
        version=await repo.next_version(session, published.lineage_id),
    )
    session.add(draft)
    await session.flush()
    await session.refresh(draft)
    indicator_ids, group_ids = await repo.link_ids(session, published.id)
    await repo.replace_links(session, draft.id, indicator_ids=indicator_ids, group_ids=group_ids)
    await dataset_provenance.copy_to_version(session, published, draft)
    copied = await repo.copy_observations(session, published.id, draft.id)
    await record_change(
        session,
        actor,
        "dataset.version",
        draft,
        {"from_version": published.version, "observations_copied": copied},
    )
    return draft


async def publish(
    session: AsyncSession,
    actor: Actor,
    *,
    dataset_id: int,
    row_version: int,
    release_at: datetime | None = None,
) -> models.Dataset:
    """Release a draft (or a community-validated version), now or at ``release_at`` (embargo:
    until then only the coalition sees it, and the previous version stays current)."""
    dataset = await common.load(session, actor, dataset_id, row_version)
    if dataset.status not in PRE_RELEASE:
        raise InvalidInput(
            "id",
            f"only an unreleased version can be published; this one is {dataset.status}",
            code="INVALID_STATE",
        )
    if dataset.status != DatasetStatus.COMMUNITY_VALIDATED and await repo.requires_validation(
        session, dataset.coalition_id
    ):
        raise InvalidInput(
            "id",
            "this coalition publishes only community-validated data: run datasetValidate first",
            code="INVALID_STATE",
        )
    now = common.now()
    if release_at is not None and release_at <= now:
        raise InvalidInput("releaseAt", "an embargo must end in the future", code="INVALID")
    before = audit.snapshot(dataset)
    superseded = await repo.supersede_published(
        session, dataset.lineage_id, except_id=dataset.id, at=release_at
    )
    for old_id in superseded:
        await sync.record_removal(
            session,
            reason="superseded",
            coalition_id=dataset.coalition_id,
            dataset_id=old_id,
            prior_status="PUBLISHED",
            prior_visibility=str(dataset.visibility),
            **({"occurred_at": release_at} if release_at is not None else {}),
        )
    await sync.published(session, dataset.id, release_at=release_at)
    dataset.status = DatasetStatus.PUBLISHED
    dataset.published_at = now
    dataset.release_at = release_at
    dataset.updated_at = now
    dataset.row_version += 1
    dataset.breakdown_dimensions = await repo.breakdown_dimensions(session, dataset.id)
    await disclosure.recompute(session, dataset.id)
    await record_change(session, actor, "dataset.publish", dataset, before)
    return dataset


async def retract(
    session: AsyncSession, actor: Actor, *, dataset_id: int, row_version: int, reason: str
) -> models.Dataset:
    dataset = await common.load(session, actor, dataset_id, row_version)
    if not reason.strip():
        raise InvalidInput("reason", "say why the dataset is retracted", code="REQUIRED")
    if len(reason) > 2000:
        raise InvalidInput("reason", "at most 2000 characters", code="TOO_LONG")
    if dataset.status != DatasetStatus.PUBLISHED or dataset.superseded_at is not None:
        raise InvalidInput(
            "id", "only the current published version can be retracted", code="INVALID_STATE"
        )
    before = audit.snapshot(dataset)
    await sync.dataset_removed(session, dataset, reason="retracted")
    dataset.status = DatasetStatus.RETRACTED
    dataset.retraction_reason = reason.strip()
    dataset.retracted_at = common.now()
    dataset.updated_at = dataset.retracted_at
    dataset.row_version += 1
    await record_change(session, actor, "dataset.retract", dataset, before)
    return dataset


async def delete_draft(
    session: AsyncSession, actor: Actor, *, dataset_id: int, row_version: int
) -> int:
    """Delete a draft version (published history is retracted, never deleted)."""
    dataset = await common.load(session, actor, dataset_id, row_version)
    if dataset.status != DatasetStatus.DRAFT:
        raise InvalidInput(
            "id", "only drafts can be deleted; retract a published dataset", code="INVALID_STATE"
        )
    before = audit.snapshot(dataset)
    await sync.dataset_removed(
        session,
        dataset,
        reason="deleted",
        observation_ids=await repo.observation_ids(session, dataset.id),
    )
    await writes.deleted(session, actor, "dataset.delete", dataset, before)
    return dataset_id
