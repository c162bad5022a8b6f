"""Recommendation use cases: create and edit a recommendation, record an authority's response
(optionally moving the status), and change the status.

The status history starts with OPEN at creation; every later change adds an entry with its
date, an optional note, the response that prompted it (if any) and who recorded it. Any status
may follow any other (a rejected recommendation can be taken up again), but not itself.
Editors of the owning coalition write; a visibility other than COALITION needs a coalition
admin. A recommendation the caller may not see is "not found". Every change is audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.coalition import service as coalition_service
from lnob_api.dataset import service as dataset_service
from lnob_api.db.rows import assign, insert
from lnob_api.declare.statistics import RECOMMENDATION, RECOMMENDATION_RESPONSE
from lnob_api.errors import InvalidInput, ValidationFailed, check_version
from lnob_api.models.common import mark_edited
from lnob_api.models.enums import CoalitionRole, Visibility
from lnob_api.models.evidence import RecommendationStatus
from lnob_api.organisation import service as organisation_service
from lnob_api.recommendation import repository as repo
from lnob_api.sdg import service as sdg_service

__all__ = ["Actor"]

# What a create and an update store, and their limits (declare.statistics.RECOMMENDATION);
# a response's limits (RECOMMENDATION_RESPONSE).
EDITABLE = RECOMMENDATION.names(create=False)
LIMITS = RECOMMENDATION.limits
RESPONSE_LIMITS = RECOMMENDATION_RESPONSE.limits


def _now() -> datetime:
    return datetime.now(UTC)


def _text(value: str | None, field: str, limit: int, problems: list[InvalidInput]) -> str:
    text = (value or "").strip()
    if not text:
        problems.append(InvalidInput(field, f"{field} is required", code="REQUIRED"))
    elif len(text) > limit:
        problems.append(InvalidInput(field, f"at most {limit} characters", code="TOO_LONG"))
    return text


def _not_future(day: date | None, field: str, problems: list[InvalidInput]) -> None:
    if day is not None and day > _now().date():
        problems.append(InvalidInput(field, "cannot be in the future", code="INVALID"))


async def _validate(
    session: AsyncSession,
    coalition_id: int,
    fields: dict[str, Any],
    problems: list[InvalidInput],
) -> None:
    if "text" in fields:
        fields["text"] = _text(fields["text"], "text", LIMITS["text"], problems)
    if "authority_name" in fields:
        limit = LIMITS["authority_name"]
        fields["authority_name"] = _text(
            fields["authority_name"], "authority.name", limit, problems
        )
    _not_future(fields.get("issued_on"), "issuedOn", problems)
    organisation = fields.get("authority_organisation_id")
    if organisation is not None and not await organisation_service.exists(session, organisation):
        problems.append(
            InvalidInput("authority.organisation", "no such organisation", code="NOT_FOUND")
        )
    publication_id = fields.get("publication_id")
    if publication_id is not None and not await repo.publication_belongs(
        session, publication_id, coalition_id
    ):
        problems.append(
            InvalidInput("publication", "no such publication of this coalition", code="NOT_FOUND")
        )
    dataset_id = fields.get("dataset_id")
    if dataset_id is not None and await dataset_service.coalition_of(session, dataset_id) != (
        coalition_id
    ):
        problems.append(
            InvalidInput("dataset", "no such dataset in this coalition", code="NOT_FOUND")
        )


async def _targets(
    session: AsyncSession, codes: list[str] | None, problems: list[InvalidInput]
) -> list[str] | None:
    if codes is None:
        return None
    wanted = [c.strip().lower() for c in codes]
    known = await sdg_service.existing_targets(session, wanted)
    for i, code in enumerate(wanted):
        if code not in known:
            problems.append(
                InvalidInput(f"targets.{i}", f"unknown SDG target {code!r}", code="INVALID_CODE")
            )
    return sorted(set(wanted))


def _recorder(actor: Actor) -> dict[str, Any]:
    return {
        "recorded_by_user_id": actor.principal.user_id,
        "recorded_by_client_id": actor.principal.client_id,
    }


async def _snapshot(session: AsyncSession, rec: models.Recommendation) -> dict[str, Any]:
    return audit.snapshot(rec) | {"targets": await repo.target_codes(session, rec.id)}


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    fields: dict[str, Any],
    target_codes: list[str] | None,
    visibility: Visibility | None,
) -> models.Recommendation:
    """A new recommendation (OPEN, first entry of its history) from the coalition's
    publication and/or dataset."""
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    checks.require_role(actor.principal, coalition_id, CoalitionRole.EDITOR)
    if visibility is not None and visibility is not Visibility.COALITION:
        checks.require_coalition_admin(actor.principal, coalition_id)
    problems: list[InvalidInput] = []
    fields.setdefault("text", "")
    fields.setdefault("authority_name", "")
    await _validate(session, coalition_id, fields, problems)
    if fields.get("publication_id") is None and fields.get("dataset_id") is None:
        problems.append(
            InvalidInput(
                "publication", "name the publication or dataset it comes from", code="REQUIRED"
            )
        )
    targets = await _targets(session, target_codes, problems)
    if problems:
        raise ValidationFailed(problems)
    rec = models.Recommendation(
        coalition_id=coalition_id,
        status=RecommendationStatus.OPEN,
        visibility=visibility or Visibility.COALITION,
        **{k: v for k, v in fields.items() if k in EDITABLE},
    )
    await insert(session, rec)
    await repo.replace_targets(session, rec.id, targets or [])
    session.add(
        models.RecommendationStatusChange(
            recommendation_id=rec.id,
            status=RecommendationStatus.OPEN,
            changed_on=rec.issued_on or _now().date(),
            **_recorder(actor),
        )
    )
    await record_change(
        session, actor, "recommendation.create", rec, None, after=await _snapshot(session, rec)
    )
    return rec


async def _writable(
    session: AsyncSession, actor: Actor, recommendation_id: int, row_version: int | None
) -> models.Recommendation:
    rec = await repo.lock(session, recommendation_id)
    if rec is None or not await repo.is_visible(session, actor.principal, recommendation_id):
        raise InvalidInput("id", "no such recommendation", code="NOT_FOUND")
    checks.require_role(actor.principal, rec.coalition_id, CoalitionRole.EDITOR)
    check_version("recommendation", rec.row_version, row_version)
    return rec


async def update(
    session: AsyncSession,
    actor: Actor,
    *,
    recommendation_id: int,
    row_version: int,
    fields: dict[str, Any],
    target_codes: list[str] | None,
    visibility: Visibility | None,
) -> models.Recommendation:
    """Edit the text, authority, sources, targets or visibility (not the status)."""
    rec = await _writable(session, actor, recommendation_id, row_version)
    if visibility is not None and visibility != rec.visibility:
        checks.require_coalition_admin(actor.principal, rec.coalition_id)
    problems: list[InvalidInput] = []
    await _validate(session, rec.coalition_id, fields, problems)
    publication_id = fields.get("publication_id", rec.publication_id)
    if publication_id is None and fields.get("dataset_id", rec.dataset_id) is None:
        problems.append(
            InvalidInput(
                "publication", "keep a publication or a dataset it comes from", code="REQUIRED"
            )
        )
    targets = await _targets(session, target_codes, problems)
    if problems:
        raise ValidationFailed(problems)
    before = await _snapshot(session, rec)
    assign(rec, fields, EDITABLE)
    if visibility is not None:
        rec.visibility = visibility
    if targets is not None:
        await repo.replace_targets(session, rec.id, targets)
    mark_edited(rec)
    await record_change(
        session, actor, "recommendation.update", rec, before, after=await _snapshot(session, rec)
    )
    return rec


def _move(
    actor: Actor,
    rec: models.Recommendation,
    status: RecommendationStatus,
    *,
    changed_on: date,
    note: str,
    response_id: int | None = None,
) -> models.RecommendationStatusChange:
    rec.status = status
    mark_edited(rec)
    return models.RecommendationStatusChange(
        recommendation_id=rec.id,
        status=status,
        changed_on=changed_on,
        note=note,
        response_id=response_id,
        **_recorder(actor),
    )


async def respond(
    session: AsyncSession,
    actor: Actor,
    *,
    recommendation_id: int,
    row_version: int | None,
    fields: dict[str, Any],
    status: RecommendationStatus | None,
    status_note: str,
) -> tuple[models.Recommendation, models.RecommendationResponse]:
    """Record the authority's response; with ``status`` (other than the current one), move the
    status too, as of the response's date."""
    rec = await _writable(session, actor, recommendation_id, row_version)
    problems: list[InvalidInput] = []
    text = _text(fields.get("text"), "text", RESPONSE_LIMITS["text"], problems)
    limit = RESPONSE_LIMITS["responder_name"]
    responder = _text(fields.get("responder_name"), "responder", limit, problems)
    responded_on: date = fields["responded_on"]
    _not_future(responded_on, "respondedOn", problems)
    organisation = fields.get("responder_organisation_id")
    if organisation is not None and not await organisation_service.exists(session, organisation):
        problems.append(
            InvalidInput("responderOrganisation", "no such organisation", code="NOT_FOUND")
        )
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(rec)
    response = models.RecommendationResponse(
        recommendation_id=rec.id,
        responded_on=responded_on,
        text=text,
        commitment=(fields.get("commitment") or "").strip(),
        responder_name=responder,
        responder_organisation_id=organisation,
        **_recorder(actor),
    )
    session.add(response)
    await session.flush()
    if status is not None and status != rec.status:
        session.add(
            _move(
                actor,
                rec,
                status,
                changed_on=responded_on,
                note=status_note.strip(),
                response_id=response.id,
            )
        )
    await record_change(
        session,
        actor,
        "recommendation.respond",
        rec,
        before,
        after=audit.snapshot(rec) | {"response": audit.snapshot(response)},
    )
    return rec, response


async def set_status(
    session: AsyncSession,
    actor: Actor,
    *,
    recommendation_id: int,
    row_version: int,
    status: RecommendationStatus,
    changed_on: date | None,
    note: str,
) -> models.Recommendation:
    """Move the status (to another one), as of ``changed_on`` (default today)."""
    rec = await _writable(session, actor, recommendation_id, row_version)
    problems: list[InvalidInput] = []
    if status == rec.status:
        problems.append(
            InvalidInput("status", f"the recommendation is {status} already", code="INVALID_STATE")
        )
    _not_future(changed_on, "changedOn", problems)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(rec)
    session.add(
        _move(actor, rec, status, changed_on=changed_on or _now().date(), note=note.strip())
    )
    await record_change(
        session, actor, "recommendation.status", rec, before, after=audit.snapshot(rec)
    )
    return rec
