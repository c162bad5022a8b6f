"""Publication use cases: create, edit, set visibility, delete.

A publication belongs to a coalition, whose editors write it and whose admins choose who sees
it, or to the partnership as a whole (no coalition), written and governed by partnership
admins. It links to the coalitions it is about, SDG targets, and datasets the writer can see.
Every change writes an audit event in the same transaction; services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Principal
from lnob_api.coalition import service as coalition_service
from lnob_api.db.rows import assign, insert
from lnob_api.declare.entities import PUBLICATION
from lnob_api.domain_kit import writes
from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.models.enums import PublicationKind, Visibility
from lnob_api.publication import write_repository as repo
from lnob_api.sdg import service as sdg_service

__all__ = ["Actor", "Links", "create", "delete", "set_visibility", "update"]

# What an update may change (declare.entities.PUBLICATION; its limits are declared there too).
EDITABLE = tuple(f.name for f in PUBLICATION.edits(create=False))
SLUGS = writes.Slugs(repo.slug_taken, max_length=PUBLICATION.limits["slug"], fallback="publication")


@dataclass(frozen=True, slots=True)
class Links:
    """What a publication links to; None leaves a link list as it is."""

    coalitions: list[str] | None = None
    targets: list[str] | None = None
    datasets: list[int] | None = None


def _check_fields(fields: dict[str, Any], problems: list[InvalidInput]) -> None:
    """Normalise and check the declared fields in place (``PUBLICATION.check_edits``: lengths,
    null kind, the language a BCP 47 tag of the partnership's), title and language not blank,
    the file an http(s) address."""
    for name in ("title", "description"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "file_url" in fields:
        fields["file_url"] = (fields["file_url"] or "").strip() or None
    blank = [n for n in ("title", "language") if n in fields and not (fields[n] or "").strip()]
    coalition_service.check_required(fields, blank, problems)
    checked = {name: value for name, value in fields.items() if name not in blank}
    PUBLICATION.check_edits(checked, problems)
    fields.update(checked)
    url = fields.get("file_url")
    parts = urlsplit(url or "")
    if url is not None and (parts.scheme not in ("http", "https") or not parts.hostname):
        problems.append(InvalidInput("fileUrl", f"{url!r} is not an http(s) address"))


# The links of a publication once resolved: coalition ids, SDG target codes, dataset ids.
_Resolved = tuple[list[int] | None, list[str] | None, list[int] | None]


async def _resolve_links(
    session: AsyncSession, principal: Principal, links: Links, problems: list[InvalidInput]
) -> _Resolved:
    coalition_ids = targets = dataset_ids = None
    if links.coalitions is not None:
        codes = [c.strip().upper() for c in links.coalitions]
        found = await coalition_service.coalition_ids(session, codes)
        coalition_ids = writes.resolve_codes(
            codes, found, problems, field="coalitions", what="coalition"
        )
    if links.targets is not None:
        targets = await sdg_service.resolve_targets(
            session, links.targets, problems, field="targets"
        )
    if links.datasets is not None:
        visible = await repo.visible_dataset_ids(session, principal, links.datasets)
        for i, dataset_id in enumerate(links.datasets):
            if dataset_id not in visible:
                problems.append(InvalidInput(f"datasets.{i}", "no such dataset", code="NOT_FOUND"))
        dataset_ids = list(dict.fromkeys(d for d in links.datasets if d in visible))
    return coalition_ids, targets, dataset_ids


async def _validate(
    session: AsyncSession, principal: Principal, fields: dict[str, Any], links: Links
) -> _Resolved:
    problems: list[InvalidInput] = []
    _check_fields(fields, problems)
    resolved = await _resolve_links(session, principal, links, problems)
    if problems:
        raise ValidationFailed(problems)
    return resolved


async def _save_links(session: AsyncSession, publication_id: int, resolved: _Resolved) -> None:
    """Replace the links that ``resolved`` gives (coalition ids, target codes, dataset ids)."""
    coalition_ids, target_codes, dataset_ids = resolved
    await repo.replace_links(
        session,
        publication_id,
        coalition_ids=coalition_ids,
        target_codes=target_codes,
        dataset_ids=dataset_ids,
    )


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str | None,
    kind: PublicationKind,
    fields: dict[str, Any],
    slug: str | None,
    visibility: Visibility | None,
    links: Links,
) -> models.Publication:
    """A coalition's publication (by its editors) or the partnership's (by its admins).
    It is about its owning coalition unless other coalitions are named."""
    coalition_id = None
    if coalition_code is not None:
        coalition_id = await coalition_service.coalition_id(session, coalition_code)
    writes.require_adder(actor.principal, coalition_id, visibility)
    if links.coalitions is None and coalition_code is not None:
        links = Links([coalition_code], links.targets, links.datasets)
    resolved = await _validate(session, actor.principal, fields, links)
    publication = models.Publication(
        coalition_id=coalition_id,
        kind=kind,
        slug=await SLUGS.make(session, coalition_code, slug, fields["title"]),
        visibility=visibility or Visibility.COALITION,
        **{k: v for k, v in fields.items() if k in EDITABLE and v is not None},
    )
    await insert(session, publication)
    await _save_links(session, publication.id, resolved)
    await record_change(session, actor, "publication.create", publication, None)
    return publication


async def _load(
    session: AsyncSession,
    actor: Actor,
    publication_id: int,
    row_version: int,
    *,
    govern: bool = False,
) -> models.Publication:
    """The publication, once the caller may write it (or ``govern`` it: set who sees it) at the
    version they read. A publication the caller may not see is not found."""
    publication = await repo.lock(session, actor.principal, publication_id)
    return writes.for_change(publication, "publication", actor.principal, row_version, admin=govern)


async def update(
    session: AsyncSession,
    actor: Actor,
    *,
    publication_id: int,
    row_version: int,
    fields: dict[str, Any],
    links: Links,
) -> models.Publication:
    """Its writers change a publication; given link lists replace the stored ones."""
    publication = await _load(session, actor, publication_id, row_version)
    resolved = await _validate(session, actor.principal, fields, links)
    before = audit.snapshot(publication)
    assign(publication, fields, EDITABLE)
    await _save_links(session, publication.id, resolved)
    return await writes.edited(session, actor, "publication.update", publication, before)


async def set_visibility(
    session: AsyncSession,
    actor: Actor,
    *,
    publication_id: int,
    row_version: int,
    visibility: Visibility,
) -> models.Publication:
    """The owning coalition's admins (partnership admins for the partnership's own) set who
    sees a publication."""
    publication = await _load(session, actor, publication_id, row_version, govern=True)
    before = audit.snapshot(publication)
    publication.visibility = visibility
    return await writes.edited(session, actor, "publication.visibility", publication, before)


async def delete(
    session: AsyncSession, actor: Actor, *, publication_id: int, row_version: int
) -> int:
    """Its writers delete a publication (its links go with it; linked records stay)."""
    publication = await _load(session, actor, publication_id, row_version)
    await writes.deleted(session, actor, "publication.delete", publication)
    return publication_id
