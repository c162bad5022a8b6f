"""Dataset use cases: create, edit, publish, retract, change visibility, delete a draft.

Lifecycle: DRAFT -> PUBLISHED -> RETRACTED. A published version is immutable: editing it opens
a new DRAFT version (metadata, links and observations copied) in the same lineage; publishing
that draft supersedes the previous published version, which stays readable by id. Editors
write their coalition's datasets; only coalition admins change visibility. Every change writes
an audit event in the same transaction. Services flush, never commit.

Publish, retract and delete_draft live in ``lifecycle``; they are re-exported here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit import service as audit
from lnob_api.audit.service import Actor
from lnob_api.coalition import service as coalition_service
from lnob_api.dataset import common, lifecycle
from lnob_api.dataset import write_repository as repo
from lnob_api.dataset.lifecycle import delete_draft as delete_draft
from lnob_api.dataset.lifecycle import publish as publish
from lnob_api.dataset.lifecycle import retract as retract
from lnob_api.db.rows import assign, insert
from lnob_api.declare.entities import DATASET
from lnob_api.disclosure import service as disclosure
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput, ValidationFailed, check_version
from lnob_api.models.common import mark_edited
from lnob_api.models.enums import DatasetStatus, Methodology, Visibility
from lnob_api.provenance import dataset as dataset_provenance
from lnob_api.sync import service as sync

# What a create and an update store, and their limits (declare.entities.DATASET); the slug is
# the create's own argument.
EDITABLE = frozenset(f.name for f in DATASET.editable)
SLUG_MAX = 160
SLUGS = writes.Slugs(repo.slug_taken, max_length=SLUG_MAX, fallback="dataset")


async def _validate_fields(
    session: AsyncSession, coalition_id: int, fields: dict[str, Any], problems: list[InvalidInput]
) -> None:
    if "title" in fields and not (fields["title"] or "").strip():
        problems.append(InvalidInput("title", "a title is required", code="REQUIRED"))
    DATASET.check_edits(fields, problems)
    start, end = fields.get("collection_start"), fields.get("collection_end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(
            InvalidInput("collectionEnd", "ends before collectionStart", code="INVALID")
        )
    area = fields.get("area_code")
    if area is not None:
        fields["area_code"] = area.strip().upper()
        if not await repo.area_exists(session, fields["area_code"]):
            problems.append(
                InvalidInput("area", f"unknown area code {area!r}", code="INVALID_CODE")
            )
    project_id = fields.get("project_id")
    if project_id is not None and await repo.project_coalition(session, project_id) != coalition_id:
        problems.append(
            InvalidInput("project", "no such project in this coalition", code="NOT_FOUND")
        )


async def _resolve_links(
    session: AsyncSession,
    coalition_id: int,
    indicator_codes: list[str] | None,
    group_codes: list[str] | None,
    problems: list[InvalidInput],
) -> tuple[list[int] | None, list[int] | None]:
    indicator_ids = group_ids = None
    if indicator_codes is not None:
        found = await repo.indicators_by_code(session, indicator_codes)
        usable = {
            code: int(row.id)
            for code, row in found.items()
            if row.coalition_id in (None, coalition_id)
        }
        indicator_ids = writes.resolve_codes(
            indicator_codes, usable, problems, field="indicators", what="indicator code"
        )
    if group_codes is not None:
        groups = await repo.groups_by_code(session, group_codes)
        group_ids = writes.resolve_codes(
            group_codes, groups, problems, field="groups", what="group code"
        )
    return indicator_ids, group_ids


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    fields: dict[str, Any],
    slug: str | None,
    visibility: Visibility | None,
    indicator_codes: list[str] | None,
    group_codes: list[str] | None,
    provenance: dataset_provenance.ProvenanceChange | None = None,
) -> models.Dataset:
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    writes.require_adder(actor.principal, coalition_id, visibility)
    problems: list[InvalidInput] = []
    methodology = fields.pop("methodology", None) or Methodology.OTHER
    await _validate_fields(session, coalition_id, fields, problems)
    indicator_ids, group_ids = await _resolve_links(
        session, coalition_id, indicator_codes, group_codes, problems
    )
    criterion_ids = await dataset_provenance.check(session, coalition_id, provenance, problems)
    if problems:
        raise ValidationFailed(problems)
    dataset = models.Dataset(
        coalition_id=coalition_id,
        slug=await SLUGS.make(session, coalition_code, slug, fields["title"]),
        status=DatasetStatus.DRAFT,
        visibility=visibility or Visibility.COALITION,
        version=1,
        methodology=methodology,
        **{k: v for k, v in fields.items() if k in EDITABLE},
    )
    dataset_provenance.apply(dataset, provenance, creating=True)
    await insert(session, dataset)
    await repo.replace_links(session, dataset.id, indicator_ids=indicator_ids, group_ids=group_ids)
    await dataset_provenance.link_criteria(session, dataset.id, criterion_ids)
    await common.record(session, actor, "dataset.create", dataset, None)
    return dataset


async def update(
    session: AsyncSession,
    actor: Actor,
    *,
    dataset_id: int,
    row_version: int,
    fields: dict[str, Any],
    indicator_codes: list[str] | None,
    group_codes: list[str] | None,
    provenance: dataset_provenance.ProvenanceChange | None = None,
) -> models.Dataset:
    """Edit a draft in place; editing a published version opens (or edits) its next draft.

    ``row_version`` is checked on the row written: the published version's while it has no
    open draft, else the open draft's (whose row versions continue from the published one's,
    so a rowVersion read from the published version conflicts once a draft is open)."""
    dataset = await common.load(session, actor, dataset_id, None)
    if dataset.status == DatasetStatus.RETRACTED:
        raise InvalidInput("id", "a retracted dataset cannot be edited", code="INVALID_STATE")
    if dataset.superseded_at is not None:
        raise InvalidInput(
            "id", "edit the current version, not a superseded one", code="INVALID_STATE"
        )
    draft = None
    if dataset.status == DatasetStatus.PUBLISHED:
        draft = await lifecycle.locked_draft(session, dataset)
    if draft is not None:
        check_version(f"open draft (version {draft.version})", draft.row_version, row_version)
    else:
        check_version("dataset", dataset.row_version, row_version)
    problems: list[InvalidInput] = []
    await _validate_fields(session, dataset.coalition_id, fields, problems)
    indicator_ids, group_ids = await _resolve_links(
        session, dataset.coalition_id, indicator_codes, group_codes, problems
    )
    criterion_ids = await dataset_provenance.check(
        session, dataset.coalition_id, provenance, problems
    )
    if problems:
        raise ValidationFailed(problems)
    if dataset.status == DatasetStatus.PUBLISHED:
        dataset = draft or await lifecycle.draft_of(session, actor, dataset)
    if dataset.status == DatasetStatus.COMMUNITY_VALIDATED:
        # The community validated other content: the edited version needs validating again.
        dataset.status = DatasetStatus.DRAFT
    before = audit.snapshot(dataset)
    assign(dataset, fields, EDITABLE)
    dataset_provenance.apply(dataset, provenance, creating=False)
    mark_edited(dataset)
    await repo.replace_links(session, dataset.id, indicator_ids=indicator_ids, group_ids=group_ids)
    await dataset_provenance.link_criteria(session, dataset.id, criterion_ids)
    await common.record(session, actor, "dataset.update", dataset, before)
    return dataset


_WIDTH = {Visibility.COALITION: 0, Visibility.PARTNERSHIP: 1, Visibility.PUBLIC: 2}


def _widest(data: Visibility, metadata: Visibility | None) -> Visibility:
    if metadata is None:
        return data
    return max(data, Visibility(metadata), key=_WIDTH.__getitem__)


async def set_visibility(
    session: AsyncSession,
    actor: Actor,
    *,
    dataset_id: int,
    row_version: int,
    visibility: Visibility,
    metadata_visibility: Visibility | None = None,
) -> models.Dataset:
    """Coalition admins set who sees a dataset (every version of it): ``visibility`` for its
    data and metadata, and optionally a wider ``metadata_visibility`` for its description."""
    dataset = await common.load(session, actor, dataset_id, row_version, admin=True)
    if metadata_visibility is not None and _WIDTH[metadata_visibility] <= _WIDTH[visibility]:
        raise InvalidInput(
            "metadataVisibility", "must be wider than visibility (or left out)", code="INVALID"
        )
    before = audit.snapshot(dataset)
    old_data = Visibility(dataset.visibility)
    old_meta = _widest(old_data, dataset.metadata_visibility)
    versions = await repo.lineage_versions(session, dataset.lineage_id)
    await sync.visibility_changed(
        session, [v.id for v in versions], versions, before=old_data.value, after=visibility.value
    )
    if _WIDTH[_widest(visibility, metadata_visibility)] < _WIDTH[old_meta]:
        for version in versions:
            await sync.dataset_removed(
                session,
                version,
                reason="metadata_visibility",
                prior_visibility=old_meta.value,
                observation_ids=[],
            )
    await repo.set_lineage_visibility(
        session,
        dataset.lineage_id,
        visibility.value,
        metadata_visibility.value if metadata_visibility is not None else None,
    )
    # Who reads the data changed: the suppression pattern follows.
    await disclosure.recompute(session, dataset.id)
    await session.refresh(dataset)
    await common.record(session, actor, "dataset.visibility", dataset, before)
    return dataset


async def coalition_of(session: AsyncSession, dataset_id: int) -> int | None:
    """The id of the dataset's coalition, None when there is no such dataset (other domains
    check that a dataset they link to is their coalition's)."""
    return await repo.coalition_of(session, dataset_id)
