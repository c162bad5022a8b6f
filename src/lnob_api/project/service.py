"""Project use cases: create, edit, set visibility, archive, delete.

Editors write their coalition's projects; only coalition admins choose who sees them (a new
project is COALITION-only unless an admin creates it with another level). Archiving marks a
project COMPLETED and keeps everything; deleting is for projects without datasets, since that
would lose history. Every change writes an audit event in the same transaction; services
flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.coalition import service as coalition_service
from lnob_api.db.rows import assign, insert
from lnob_api.declare.entities import PROJECT
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.models.enums import ProjectStatus, Visibility
from lnob_api.project import write_repository as repo
from lnob_api.sdg import service as sdg_service

__all__ = ["Actor", "archive", "create", "delete", "set_visibility", "update"]

# What a create and an update store, and their limits (declare.entities.PROJECT).
CREATED = PROJECT.names(create=True)
EDITABLE = PROJECT.names(create=False)
SLUGS = writes.Slugs(repo.slug_taken, max_length=PROJECT.limits["slug"], fallback="project")


async def _resolve_groups(
    session: AsyncSession, coalition_id: int, codes: list[str], problems: list[InvalidInput]
) -> list[int]:
    """Ids of the shared groups and the coalition's own among ``codes``; INVALID_CODE else."""
    found = await repo.groups_by_code(session, codes)
    usable = {code: id_ for code, (id_, owner) in found.items() if owner in (None, coalition_id)}
    return writes.resolve_codes(codes, usable, problems, field="groups", what="group code")


async def _validate(
    session: AsyncSession,
    coalition_id: int,
    fields: dict[str, Any],
    links: tuple[list[str] | None, list[str] | None],
    current: models.Project | None,
) -> tuple[list[str] | None, list[int] | None]:
    """Check ``fields`` (against the current project for dates) and resolve the links; raise
    every problem found at once."""
    problems: list[InvalidInput] = []
    for name in ("title", "description"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    coalition_service.check_required(fields, ("title",), problems)
    if "status" in fields and fields["status"] is None:
        problems.append(InvalidInput("status", "a status is required", code="REQUIRED"))
    PROJECT.check_edits(fields, problems)
    start = fields.get("start_date", current.start_date if current else None)
    end = fields.get("end_date", current.end_date if current else None)
    if start is not None and end is not None and end < start:
        problems.append(InvalidInput("endDate", "ends before startDate", code="INVALID"))
    target_codes, group_codes = links
    targets = groups = None
    if target_codes is not None:
        targets = await sdg_service.resolve_targets(
            session, target_codes, problems, field="targets"
        )
    if group_codes is not None:
        groups = await _resolve_groups(session, coalition_id, group_codes, problems)
    if problems:
        raise ValidationFailed(problems)
    return targets, groups


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    fields: dict[str, Any],
    slug: str | None,
    visibility: Visibility | None,
    target_codes: list[str] | None,
    group_codes: list[str] | None,
) -> models.Project:
    """An editor adds a project to their coalition (COALITION-only unless an admin says
    otherwise), with the SDG targets and groups it addresses."""
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    writes.require_adder(actor.principal, coalition_id, visibility)
    targets, groups = await _validate(
        session, coalition_id, fields, (target_codes, group_codes), None
    )
    project = models.Project(
        coalition_id=coalition_id,
        slug=await SLUGS.make(session, coalition_code, slug, fields["title"]),
        visibility=visibility or Visibility.COALITION,
        **{k: v for k, v in fields.items() if k in CREATED and v is not None},
    )
    await insert(session, project)
    await repo.replace_links(session, project.id, target_codes=targets, group_ids=groups)
    await record_change(session, actor, "project.create", project, None)
    return project


async def _load(
    session: AsyncSession,
    actor: Actor,
    project_id: int,
    row_version: int,
    *,
    admin: bool = False,
) -> models.Project:
    """The project, once the caller may write it (as an editor, or ``admin``) at the version
    they read. A project the caller may not see is not found."""
    project = await repo.lock(session, actor.principal, project_id)
    return writes.for_change(project, "project", actor.principal, row_version, admin=admin)


async def update(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: int,
    row_version: int,
    fields: dict[str, Any],
    target_codes: list[str] | None,
    group_codes: list[str] | None,
) -> models.Project:
    """An editor changes a project; given link lists replace the stored ones."""
    project = await _load(session, actor, project_id, row_version)
    targets, groups = await _validate(
        session, project.coalition_id, fields, (target_codes, group_codes), project
    )
    before = audit.snapshot(project)
    assign(project, fields, EDITABLE)
    await repo.replace_links(session, project.id, target_codes=targets, group_ids=groups)
    return await writes.edited(session, actor, "project.update", project, before)


async def set_visibility(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: int,
    row_version: int,
    visibility: Visibility,
) -> models.Project:
    """Coalition admins set who sees a project."""
    project = await _load(session, actor, project_id, row_version, admin=True)
    before = audit.snapshot(project)
    project.visibility = visibility
    return await writes.edited(session, actor, "project.visibility", project, before)


async def archive(
    session: AsyncSession, actor: Actor, *, project_id: int, row_version: int
) -> models.Project:
    """Mark a project COMPLETED; its datasets and history stay as they are."""
    project = await _load(session, actor, project_id, row_version)
    if project.status == ProjectStatus.COMPLETED:
        raise InvalidInput(
            "id", "the project is already archived (COMPLETED)", code="INVALID_STATE"
        )
    before = audit.snapshot(project)
    project.status = ProjectStatus.COMPLETED
    return await writes.edited(session, actor, "project.archive", project, before)


async def delete(session: AsyncSession, actor: Actor, *, project_id: int, row_version: int) -> int:
    """Delete a project that has no datasets (archive one that has)."""
    project = await _load(session, actor, project_id, row_version)
    count = await repo.dataset_count(session, project_id)
    if count:
        raise InvalidInput(
            "id",
            f"the project has {count} dataset version{'s' * (count != 1)}: archive it instead,"
            " deleting it would lose their history",
            code="INVALID_STATE",
        )
    await writes.deleted(session, actor, "project.delete", project)
    return project_id
