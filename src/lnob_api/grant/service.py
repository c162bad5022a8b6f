"""Grant use cases for administration: open data to a grantee, list grants, revoke one.

A grant opens one dataset, or all of a coalition's data, to one organisation or one OAuth
client, optionally until a moment. Services validate, write through the repository and never
commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.grant import repository as repo
from lnob_api.grant.repository import GrantRecord
from lnob_api.organisation import service as organisation_service

NOTE_MAX = 2000

__all__ = [
    "GrantRecord",
    "GrantStatus",
    "create_grant",
    "grant_status",
    "list_grants",
    "parse_expiry",
    "revoke_grant",
]


class GrantStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def grant_status(grant: GrantRecord, now: datetime) -> GrantStatus:
    """Revoked wins over expired; the API applies the same rule per request."""
    if grant.revoked_at is not None:
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
        raise InvalidInput("grantee", "name exactly one grantee: an organisation or a client")
    client = await repo.client_by_client_id(conn, client_id.strip())
    if client is None:
        raise NotFound(f"no client with id {client_id!r}")
    if client.revoked_at is not None:
        raise InvalidInput("client", f"{client.client_id} is revoked")
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
) -> GrantRecord:
    """Open ``dataset_slug`` (or all the coalition's data) to an organisation or a client.

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
        raise InvalidInput("note", f"at most {NOTE_MAX} characters")
    coalition = await _coalition(conn, coalition_code)
    dataset_id = None
    if dataset_slug is not None:
        dataset = await repo.dataset_by_slug(conn, dataset_slug.strip())
        if dataset is None:
            raise NotFound(f"no dataset with slug {dataset_slug!r}")
        if dataset.coalition_id != coalition.id:
            raise InvalidInput(
                "dataset", f"{dataset.slug} does not belong to coalition {coalition.key}"
            )
        dataset_id = dataset.id
    organisation_id, client_pk = await _grantee(conn, organisation_slug, client_id)
    existing = await repo.live_grant_id(
        conn,
        coalition_id=coalition.id,
        dataset_id=dataset_id,
        organisation_id=organisation_id,
        client_pk=client_pk,
        now=moment,
    )
    if existing is not None:
        raise Conflict(f"grant {existing} already gives this access: revoke it first to change it")
    grant_id = await repo.insert_grant(
        conn,
        coalition_id=coalition.id,
        dataset_id=dataset_id,
        organisation_id=organisation_id,
        client_pk=client_pk,
        expires_at=expires_at,
        note=note,
    )
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
        raise Conflict(f"grant {grant_id} was already revoked on {when:%Y-%m-%d %H:%M} UTC")
    moment = _utc_now(now)
    await repo.set_revoked(conn, grant_id, now=moment)
    return await _grant(conn, grant_id)
