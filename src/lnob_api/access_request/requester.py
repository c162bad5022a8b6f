"""Who files an access request, and for which organisation.

Grants name organisations and clients, never users: a user requests for one of their
organisations (named when they belong to several); a machine client for its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.access_request import repository as repo
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.errors import Forbidden, InvalidInput


@dataclass(frozen=True, slots=True)
class Requester:
    """Who files a request, and the organisation it is filed for."""

    user_id: int | None
    client_pk: int | None
    organisation_id: int
    name: str
    email: str | None


async def _organisation(session: AsyncSession, principal: Principal, slug: str | None) -> int:
    """The organisation a user requests for: the one named, or their only one."""
    mine = principal.organisation_ids
    if slug is not None and slug.strip():
        found = await repo.organisation_id_by_slug(session, slug.strip())
        if found is None or found not in mine:
            raise InvalidInput("organisation", f"{slug!r} is not one of your organisations")
        return found
    if not mine:
        raise InvalidInput(
            "organisation",
            "access is granted to organisations: join one before requesting",
            code="INVALID_STATE",
        )
    if len(mine) > 1:
        raise InvalidInput(
            "organisation", "you belong to several organisations: name one", code="REQUIRED"
        )
    return next(iter(mine))


async def requester_of(
    session: AsyncSession, principal: Principal, organisation_slug: str | None
) -> Requester:
    """The caller as a requester: a user acting for one of their organisations (their name
    and e-mail as defaults), or a machine client acting for its own organisation."""
    if principal.user_id is not None:
        name, email = await repo.user_identity(session, principal.user_id)
        organisation_id = await _organisation(session, principal, organisation_slug)
        return Requester(principal.user_id, None, organisation_id, name, email)
    if principal.kind is PrincipalKind.CLIENT and principal.client_pk is not None:
        client = await repo.client_facts(session, principal.client_pk)
        name, organisation_id = client.name, client.organisation_id
        if organisation_slug is not None and organisation_slug.strip():
            found = await repo.organisation_id_by_slug(session, organisation_slug.strip())
            if found != organisation_id:
                raise InvalidInput("organisation", "a client requests for its own organisation")
        return Requester(None, principal.client_pk, organisation_id, name, None)
    raise Forbidden("this needs a signed-in user or client (send a bearer token)")
