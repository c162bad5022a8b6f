"""Access request use cases: file a request, approve it into a grant, decline, withdraw.

A caller who sees a dataset's metadata but may not read its data asks the owning coalition for
it, with a purpose. The coalition's admins (and partnership admins) approve or decline; the
requester may withdraw while the request is pending. Every step writes an audit event
(entity type ``AccessRequest``) and notifications, in the same transaction.

Choices:
- Grantee. Grants name an organisation or a client, never a user. A user requests for one of
  their organisations (``organisation``, needed only when they belong to several) and approval
  opens the dataset to that organisation. A machine client requests for itself: approval opens
  the dataset to that client only, the narrowest grantee that covers the caller (its
  organisation is recorded on the request, but its other clients and users gain nothing).
- Expiry. Required, in the future, and at most ``MAX_ACCESS`` (730 days, two years) ahead:
  access to community data is reviewed at least that often.
- The grant names the requested dataset (the current version when the request was filed, by
  id, never by slug); like every dataset grant it covers the dataset's later versions too.
- Consent is not a grant's to override: where the community's consent excludes the requester,
  an approved request opens nothing until the consent admits them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import checks
from lnob_api.access_request import repository as repo
from lnob_api.access_request.requester import requester_of
from lnob_api.audit import service as audit
from lnob_api.audit.change import record_change
from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Principal
from lnob_api.db.rows import insert
from lnob_api.declare.entities import ACCESS_REQUEST
from lnob_api.errors import Forbidden, InvalidInput, NotFound, ValidationFailed
from lnob_api.grant import service as grant_service
from lnob_api.models import AccessRequestStatus, NotificationKind
from lnob_api.models.enums import DatasetStatus
from lnob_api.notification import service as notifications

MAX_ACCESS = timedelta(days=730)
# The limits of the create's fields and of the decision's note (declare.entities.
# ACCESS_REQUEST), checked here.
PURPOSE_MAX = ACCESS_REQUEST.limits["purpose"]
NAME_MAX = ACCESS_REQUEST.limits["requester_name"]
EMAIL_MAX = ACCESS_REQUEST.limits["requester_email"]
REASON_MAX = ACCESS_REQUEST.limits["decision_note"]
# The approver's note goes into the grant's note after "access request <id>: ".
APPROVAL_NOTE_MAX = min(REASON_MAX, grant_service.NOTE_MAX - 50)

__all__ = ["MAX_ACCESS", "approve", "create", "decline", "withdraw"]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _text(value: str | None, field: str, limit: int, problems: list[InvalidInput]) -> str | None:
    """Stripped text, None when blank; a TOO_LONG problem past ``limit``."""
    text = (value or "").strip()
    if len(text) > limit:
        problems.append(InvalidInput(field, f"at most {limit} characters", code="TOO_LONG"))
    return text or None


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    dataset_id: int,
    purpose: str,
    requester_name: str | None = None,
    requester_email: str | None = None,
    organisation_slug: str | None = None,
    **more: Any,
) -> models.AccessRequest:
    """File a request for the data of a dataset whose metadata the caller sees.

    NOT_FOUND when the caller does not see the dataset at all (a hidden dataset looks missing),
    INVALID_STATE when it can already read the data (or there is none to open), NOT_UNIQUE when
    it already has a pending request for it. ``more``: the create input's other declared
    fields (by column name; a null one is left to its column's default).
    """
    principal = actor.principal
    dataset = await repo.dataset_seen_by(session, principal, dataset_id)
    if dataset is None:
        raise InvalidInput("dataset", "no such dataset", code="NOT_FOUND")
    if dataset.status == DatasetStatus.RETRACTED.value:
        raise InvalidInput("dataset", "the dataset was retracted", code="INVALID_STATE")
    if dataset.superseded:
        raise InvalidInput(
            "dataset", "a newer version replaced this one: request that", code="INVALID_STATE"
        )
    if dataset.data_visible:
        raise InvalidInput(
            "dataset", "you can already read this dataset's data", code="INVALID_STATE"
        )
    problems: list[InvalidInput] = []
    text = _text(purpose, "purpose", PURPOSE_MAX, problems)
    if text is None:
        problems.append(InvalidInput("purpose", "say what the data is for", code="REQUIRED"))
    name = _text(requester_name, "requesterName", NAME_MAX, problems)
    email = _text(requester_email, "requesterEmail", EMAIL_MAX, problems)
    if email is not None and ("@" not in email or any(c.isspace() for c in email)):
        problems.append(InvalidInput("requesterEmail", "not an e-mail address"))
    created = ACCESS_REQUEST.names(create=True)
    values = {k: v for k, v in more.items() if k in created and v is not None}
    ACCESS_REQUEST.check_edits(values, problems)
    requester = await requester_of(session, principal, organisation_slug)
    if problems:
        raise ValidationFailed(problems)
    pending = await repo.pending_id(
        session, dataset_id=dataset.id, user_id=requester.user_id, client_pk=requester.client_pk
    )
    if pending is not None:
        raise InvalidInput(
            "dataset", "you already have a pending request for this dataset", code="NOT_UNIQUE"
        )
    request = models.AccessRequest(
        dataset_id=dataset.id,
        coalition_id=dataset.coalition_id,
        status=AccessRequestStatus.PENDING,
        purpose=text,
        requester_name=name or requester.name,
        requester_email=email or requester.email,
        requester_user_id=requester.user_id,
        requester_client_id=requester.client_pk,
        organisation_id=requester.organisation_id,
        **values,
    )
    await insert(session, request)
    organisation = await repo.organisation_name(session, requester.organisation_id)
    await notifications.notify_coalition_admins(
        session,
        dataset.coalition_id,
        kind=NotificationKind.ACCESS_REQUEST_CREATED,
        message=f"{request.requester_name} ({organisation}) asks for the data of "
        f"“{dataset.title}”.",
        access_request_id=request.id,
    )
    await record_change(session, actor, "access_request.create", request, None)
    return request


async def _visible(
    session: AsyncSession, principal: Principal, request_id: int
) -> models.AccessRequest:
    """The request, locked, if the principal sees it (else it looks missing)."""
    request = await repo.lock_visible(session, principal, request_id)
    if request is None:
        raise NotFound("no such access request")
    return request


def _require_pending(request: models.AccessRequest) -> None:
    if request.status != AccessRequestStatus.PENDING:
        raise InvalidInput(
            "id", f"the request is already {request.status.value}", code="INVALID_STATE"
        )


async def _to_decide(
    session: AsyncSession, principal: Principal, request_id: int
) -> models.AccessRequest:
    """The pending request, locked, once the caller may decide it (its coalition's admins)."""
    request = await _visible(session, principal, request_id)
    checks.require_coalition_admin(principal, request.coalition_id)
    _require_pending(request)
    return request


def _valid_expiry(expires_at: datetime, now: datetime) -> datetime:
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at <= now:
        raise InvalidInput("expiresAt", "the access must end in the future")
    if expires_at > now + MAX_ACCESS:
        raise InvalidInput("expiresAt", f"at most {MAX_ACCESS.days} days (two years) from now")
    return expires_at


async def _open_grant(
    session: AsyncSession,
    actor: Actor,
    request: models.AccessRequest,
    *,
    expires_at: datetime,
    note: str | None,
) -> int:
    """A grant (through the grant service: checked, audited, announced to incremental sync)
    of the requested dataset to the requester's organisation (users) or to the requesting
    client itself (machine clients)."""
    coalition_code = await repo.coalition_code(session, request.coalition_id)
    client_id = None
    if request.requester_client_id is not None:
        client_id = (await repo.client_facts(session, request.requester_client_id)).client_id
    label = f"access request {request.id}"
    try:
        grant = await grant_service.create(
            session,
            actor,
            coalition_code=coalition_code,
            organisation=request.organisation_id if client_id is None else None,
            client_id=client_id,
            dataset_id=request.dataset_id,
            expires_at=expires_at,
            note=f"{label}: {note}" if note else label,
        )
    except InvalidInput as problem:
        # The grantee and dataset come from the request: report on the request's id.
        if problem.field in ("expiresAt", "note"):
            raise
        message = problem.message.removeprefix(f"{problem.field}: ")
        raise InvalidInput("id", message, code=problem.reason) from None
    return grant.id


async def _tell_requester(
    session: AsyncSession, request: models.AccessRequest, kind: NotificationKind, message: str
) -> None:
    user, client = request.requester_user_id, request.requester_client_id
    await notifications.notify(
        session,
        kind=kind,
        message=message,
        user_ids=[user] if user is not None else [],
        client_pks=[client] if user is None and client is not None else [],
        access_request_id=request.id,
    )


async def approve(
    session: AsyncSession,
    actor: Actor,
    *,
    request_id: int,
    expires_at: datetime,
    note: str | None = None,
    now: datetime | None = None,
) -> models.AccessRequest:
    """Open the dataset to the requester until ``expires_at``; coalition admins only."""
    moment = _now(now)
    request = await _to_decide(session, actor.principal, request_id)
    expires_at = _valid_expiry(expires_at, moment)
    problems: list[InvalidInput] = []
    text = _text(note, "note", APPROVAL_NOTE_MAX, problems)
    if problems:
        raise ValidationFailed(problems)
    status, title = await repo.dataset_state(session, request.dataset_id)
    if status == DatasetStatus.RETRACTED.value:
        raise InvalidInput("id", "the dataset was retracted", code="INVALID_STATE")
    before = audit.snapshot(request)
    grant_id = await _open_grant(session, actor, request, expires_at=expires_at, note=text)
    request.grant_id, request.expires_at = grant_id, expires_at
    until = expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    told = f"Your request for the data of “{title}” was approved: you may read it until {until}."
    return await _decide(
        session, actor, request, before, AccessRequestStatus.APPROVED, text, moment, told
    )


# What the requester is told of a decision, and the audit action that records it.
_DECISIONS = {
    AccessRequestStatus.APPROVED: (NotificationKind.ACCESS_REQUEST_APPROVED, "approve"),
    AccessRequestStatus.DECLINED: (NotificationKind.ACCESS_REQUEST_DECLINED, "decline"),
}


async def _decide(
    session: AsyncSession,
    actor: Actor,
    request: models.AccessRequest,
    before: dict[str, Any],
    status: AccessRequestStatus,
    note: str | None,
    now: datetime,
    told: str,
) -> models.AccessRequest:
    """Record the admin's decision (``status``, ``note``, at ``now``) on the pending
    ``request``, tell the requester (``told``) and audit the change from ``before``."""
    request.status = status
    request.decision_note = note
    request.decided_at = now
    request.decided_by_user_id = actor.principal.user_id
    request.updated_at = now
    kind, action = _DECISIONS[status]
    await _tell_requester(session, request, kind, told)
    await record_change(session, actor, f"access_request.{action}", request, before)
    return request


async def decline(
    session: AsyncSession,
    actor: Actor,
    *,
    request_id: int,
    reason: str,
    now: datetime | None = None,
) -> models.AccessRequest:
    """Refuse the request with a reason the requester reads; coalition admins only."""
    request = await _to_decide(session, actor.principal, request_id)
    problems: list[InvalidInput] = []
    text = _text(reason, "reason", REASON_MAX, problems)
    if text is None:
        problems.append(InvalidInput("reason", "say why the request is declined", code="REQUIRED"))
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(request)
    _, title = await repo.dataset_state(session, request.dataset_id)
    told = f"Your request for the data of “{title}” was declined: {text}"
    return await _decide(
        session, actor, request, before, AccessRequestStatus.DECLINED, text, _now(now), told
    )


def _is_requester(principal: Principal, request: models.AccessRequest) -> bool:
    if principal.user_id is not None:
        return request.requester_user_id == principal.user_id
    return request.requester_user_id is None and request.requester_client_id == principal.client_pk


async def withdraw(
    session: AsyncSession, actor: Actor, *, request_id: int, now: datetime | None = None
) -> models.AccessRequest:
    """The requester takes back a pending request; the coalition's admins are told."""
    request = await _visible(session, actor.principal, request_id)
    if not _is_requester(actor.principal, request):
        raise Forbidden("only the requester can withdraw a request")
    _require_pending(request)
    before = audit.snapshot(request)
    moment = _now(now)
    request.status = AccessRequestStatus.WITHDRAWN
    request.decided_at = moment
    request.updated_at = moment
    _, title = await repo.dataset_state(session, request.dataset_id)
    await notifications.notify_coalition_admins(
        session,
        request.coalition_id,
        kind=NotificationKind.ACCESS_REQUEST_WITHDRAWN,
        message=f"{request.requester_name} withdrew their request for the data of “{title}”.",
        access_request_id=request.id,
    )
    await record_change(session, actor, "access_request.withdraw", request, before)
    return request
