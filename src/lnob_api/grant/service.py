"""Grant use cases: open data to a grantee, list grants, revoke one (operator's command), and
the API's create and revoke (coalition admins of the granting coalition, audited).

A grant opens one dataset, or all of a coalition's data, to one organisation or one OAuth
client, optionally until a moment. Services validate, write through the repository and never
commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api.access import checks
from lnob_api.audit.change import record_state
from lnob_api.audit.service import Actor
from lnob_api.coalition import service as coalition_service
from lnob_api.disclosure import service as disclosure
from lnob_api.errors import Conflict, Forbidden, InvalidInput, NotFound, ValidationFailed
from lnob_api.grant import repository as repo
from lnob_api.grant.repository import GrantRecord
from lnob_api.organisation import service as organisation_service
from lnob_api.sync import service as sync

NOTE_MAX = 2000

__all__ = [
    "Actor",
    "GrantRecord",
    "GrantStatus",
    "create",
    "create_grant",
    "grant_status",
    "list_grants",
    "parse_expiry",
    "revoke",
    "revoke_grant",
]


class GrantStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def grant_status(grant: GrantRecord, now: datetime) -> GrantStatus:
    """Revoked wins over expired; the API applies the same rule per request. A grant closed at
    its own expiry (``revoked_at == expires_at``, done when a new grant of the same reach is
    made) counts as expired."""
    if grant.revoked_at is not None and grant.revoked_at != grant.expires_at:
        return GrantStatus.REVOKED
    if grant.expires_at is not None and grant.expires_at <= now:
        return GrantStatus.EXPIRED
    return GrantStatus.ACTIVE


def parse_expiry(text: str) -> datetime:
    """``YYYY-MM-DD`` (the grant lasts through that day, UTC) or an ISO 8601 date and time
    (UTC when it has no offset)."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "expires", f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date and time"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _utc_now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


async def _coalition(conn: AsyncConnection, code: str) -> repo.Ref:
    found = await repo.coalition_by_code(conn, code.strip().upper())
    if found is None:
        raise NotFound(f"no coalition with code {code!r}")
    return found


async def _grantee(
    conn: AsyncConnection, organisation_slug: str | None, client_id: str | None
) -> tuple[int | None, int | None]:
    """(organisation id, client pk): exactly one of them set."""
    if organisation_slug is not None and client_id is None:
        return (await organisation_service.organisation_by_slug(conn, organisation_slug)).id, None
    if client_id is None or organisation_slug is not None:
        raise InvalidInput(
            "grantee", "name exactly one grantee: an organisation or a client", code="REQUIRED"
        )
    client = await repo.client_by_client_id(conn, client_id.strip())
    if client is None:
        raise NotFound(f"no client with id {client_id!r}")
    if client.revoked_at is not None:
        raise InvalidInput("client", f"{client.client_id} is revoked", code="INVALID_STATE")
    return None, client.id


async def create_grant(
    conn: AsyncConnection,
    *,
    coalition_code: str,
    organisation_slug: str | None = None,
    client_id: str | None = None,
    dataset_slug: str | None = None,
    expires_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
    dataset_id: int | None = None,
) -> GrantRecord:
    """Open ``dataset_slug`` or ``dataset_id`` (or all the coalition's data) to an organisation
    or a client.

    The dataset must belong to the coalition, the expiry must lie in the future, and the same
    grantee may not already hold a live grant of the same reach.
    """
    moment = _utc_now(now)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= moment:
            raise InvalidInput("expires", "the expiry must be in the future")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput("note", f"at most {NOTE_MAX} characters", code="TOO_LONG")
    coalition = await _coalition(conn, coalition_code)
    if dataset_slug is not None or dataset_id is not None:
        if dataset_id is not None:
            dataset = await repo.dataset_by_id(conn, dataset_id)
        else:
            dataset = await repo.dataset_by_slug(conn, (dataset_slug or "").strip())
        if dataset is None:
            key = f"slug {dataset_slug!r}" if dataset_id is None else f"id {dataset_id}"
            raise NotFound(f"no dataset with {key}")
        if dataset.coalition_id != coalition.id:
            raise InvalidInput(
                "dataset", f"{dataset.slug} does not belong to coalition {coalition.key}"
            )
        dataset_id = dataset.id
    organisation_id, client_pk = await _grantee(conn, organisation_slug, client_id)
    reach = repo.Reach(coalition.id, dataset_id, organisation_id, client_pk)
    await repo.close_expired(conn, reach, now=moment)
    grant_id = await repo.insert_grant(conn, reach, expires_at=expires_at, note=note)
    if grant_id is None:
        existing = await repo.live_grant_id(conn, reach, now=moment)
        which = f"grant {existing}" if existing is not None else "a grant made at the same time"
        raise Conflict(f"{which} already gives this access: revoke it first to change it")
    # Whoever creates the grant (CLI or API), mirrors must learn that rows became readable.
    await sync.grant_given(conn, coalition_id=coalition.id, dataset_id=dataset_id)
    # A new reader: the pattern must protect against what the grantee reads too.
    await disclosure.recompute_reach(conn, coalition.id, dataset_id)
    return await _grant(conn, grant_id)


async def _grant(conn: AsyncConnection, grant_id: int, *, lock: bool = False) -> GrantRecord:
    found = await repo.grant_by_id(conn, grant_id, lock=lock)
    if found is None:
        raise NotFound(f"no grant with id {grant_id}")
    return found


async def list_grants(
    conn: AsyncConnection, *, coalition_code: str | None = None
) -> list[GrantRecord]:
    """Every grant (active, expired and revoked), of one coalition when a code is given."""
    coalition_id = None
    if coalition_code is not None:
        coalition_id = (await _coalition(conn, coalition_code)).id
    return await repo.grants(conn, coalition_id=coalition_id)


async def revoke_grant(
    conn: AsyncConnection, grant_id: int, *, now: datetime | None = None
) -> GrantRecord:
    """Revoke a grant: the access it gave ends with this transaction."""
    grant = await _grant(conn, grant_id, lock=True)
    if grant.revoked_at is not None:
        when = grant.revoked_at.astimezone(UTC)
        if grant_status(grant, when) is GrantStatus.EXPIRED:
            raise Conflict(f"grant {grant_id} already ended: it expired {when:%Y-%m-%d %H:%M} UTC")
        raise Conflict(f"grant {grant_id} was already revoked on {when:%Y-%m-%d %H:%M} UTC")
    moment = _utc_now(now)
    await repo.set_revoked(conn, grant_id, now=moment)
    if grant.coalition_id is not None:
        await sync.grant_revoked(
            conn,
            coalition_id=grant.coalition_id,
            dataset_id=grant.dataset_id,
            organisation_id=grant.organisation_id,
            client_pk=grant.client_pk,
        )
        await disclosure.recompute_reach(conn, grant.coalition_id, grant.dataset_id)
    return await _grant(conn, grant_id)


# Input names of the fields the operator's functions report problems on.
_INPUT_FIELDS = {"expires": "expiresAt", "grantee": "organisation"}


def _renamed(problem: InvalidInput) -> InvalidInput:
    """The problem, on the input field's name."""
    field = _INPUT_FIELDS.get(problem.field, problem.field)
    message = problem.message.removeprefix(f"{problem.field}: ")
    return InvalidInput(field, message, code=problem.reason)


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    grant: GrantRecord,
    before: GrantRecord | None,
) -> None:
    await record_state(
        session,
        actor,
        action,
        entity_type="Grant",
        entity_id=grant.id,
        coalition_id=grant.coalition_id,
        before=before,
        after=grant,
    )


async def _grantee_problems(
    conn: AsyncConnection,
    organisation: organisation_service.OrganisationRef | None,
    client_id: str | None,
    problems: list[InvalidInput],
) -> str | None:
    """The granted organisation's slug; problems when the grantee is missing or unknown."""
    if (organisation is None) == (client_id is None):
        problems.append(
            InvalidInput(
                "organisation",
                "name exactly one grantee: an organisation or a client",
                code="REQUIRED" if organisation is None else "INVALID",
            )
        )
        return None
    if organisation is not None:
        try:
            return (await organisation_service.find(conn, organisation, field="organisation")).slug
        except InvalidInput as exc:
            problems.append(exc)
    elif client_id is not None and await repo.client_by_client_id(conn, client_id.strip()) is None:
        problems.append(InvalidInput("client", f"no client {client_id!r}", code="NOT_FOUND"))
    return None


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    coalition_code: str,
    organisation: organisation_service.OrganisationRef | None,
    client_id: str | None,
    dataset_id: int | None,
    expires_at: datetime | None,
    note: str,
) -> GrantRecord:
    """Coalition admins open one of their datasets, or all their coalition's data, to an
    organisation or a client; it takes effect on the next request."""
    coalition_id = await coalition_service.coalition_id(session, coalition_code)
    checks.require_coalition_admin(actor.principal, coalition_id)
    conn = await session.connection()
    problems: list[InvalidInput] = []
    organisation_slug = await _grantee_problems(conn, organisation, client_id, problems)
    if dataset_id is not None:
        dataset = await repo.dataset_by_id(conn, dataset_id)
        if dataset is None or dataset.coalition_id != coalition_id:
            problems.append(
                InvalidInput("dataset", "no such dataset in this coalition", code="NOT_FOUND")
            )
    if problems:
        raise ValidationFailed(problems)
    try:
        grant = await create_grant(
            conn,
            coalition_code=coalition_code,
            organisation_slug=organisation_slug,
            client_id=client_id.strip() if client_id is not None else None,
            dataset_id=dataset_id,
            expires_at=expires_at,
            note=note,
        )
    except InvalidInput as exc:
        raise _renamed(exc) from None
    except Conflict as exc:
        field = "organisation" if organisation is not None else "client"
        raise InvalidInput(field, exc.message, code="NOT_UNIQUE") from None
    await _audit(session, actor, "grant.create", grant, None)
    return grant


async def revoke(session: AsyncSession, actor: Actor, *, grant_id: int) -> GrantRecord:
    """Coalition admins end a grant of their coalition; the access ends with this request.
    A grant the caller may neither manage nor hold is not found."""
    conn = await session.connection()
    found = await repo.grant_by_id(conn, grant_id)
    if found is None or found.coalition_id is None:
        raise NotFound("no such grant")
    if not checks.can_admin_coalition(actor.principal, found.coalition_id):
        held = found.organisation_id in actor.principal.organisation_ids or (
            found.client_pk is not None and found.client_pk == actor.principal.client_pk
        )
        if not held:
            raise NotFound("no such grant")
        raise Forbidden("this needs the ADMIN role in the coalition and the coalition:admin scope")
    try:
        revoked = await revoke_grant(conn, grant_id)
    except Conflict as exc:
        raise InvalidInput("id", exc.message, code="INVALID_STATE") from None
    await _audit(session, actor, "grant.revoke", revoked, found)
    return revoked
