"""Grant mutations: coalition admins open their data to an organisation or a client, and
revoke such access."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.grant import service
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import row_payloads
from lnob_api.graphql.grant.types import Grant
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.mutations import shown_payload, writes
from lnob_api.graphql.organisation.mutations import organisation_ref
from lnob_api.graphql.permissions import requires

COALITION_ADMIN = [requires(Scope.COALITION_ADMIN)]


@strawberry.input(
    description="Open one dataset, or all of a coalition's data, to exactly one grantee: an"
    " organisation or an OAuth client."
)
class GrantCreateInput:
    coalition: str = strawberry.field(description="Country code of the granting coalition.")
    organisation: str | None = strawberry.field(
        default=None, description="The organisation granted: its id or slug."
    )
    client: str | None = strawberry.field(
        default=None, description="The OAuth client granted: its client id."
    )
    dataset: strawberry.ID | None = strawberry.field(
        default=None, description="One dataset of the coalition; default: all its data."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the access ends (in the future); default: never."
    )
    note: str = strawberry.field(default="", description="Why; for the coalition's records.")


@strawberry.input
class GrantRevokeInput:
    id: strawberry.ID


GrantCreatePayload, GrantRevokePayload = row_payloads(Grant, "grant", "Create", "Revoke")


def _grant(found: service.GrantRecord | None) -> Grant | None:
    return Grant.from_record(found) if found is not None else None


_grant_run = shown_payload("grant", _grant)


@strawberry.type
class GrantMutations:
    @writes(
        GrantCreatePayload,
        _grant_run,
        permission_classes=COALITION_ADMIN,
        description="Open a coalition's data to an organisation or a client. Coalition admins.",
    )
    async def grant_create(
        self, info: Info, input: GrantCreateInput, session: AsyncSession
    ) -> service.GrantRecord:
        return await service.create(
            session,
            _actor(info),
            coalition_code=input.coalition,
            organisation=(
                organisation_ref(input.organisation, "organisation")
                if input.organisation is not None
                else None
            ),
            client_id=input.client,
            dataset_id=(
                pk_of(input.dataset, "Dataset", "dataset") if input.dataset is not None else None
            ),
            expires_at=input.expires_at,
            note=input.note,
        )

    @writes(
        GrantRevokePayload,
        _grant_run,
        permission_classes=COALITION_ADMIN,
        description="Revoke a grant; the access ends with this request. Coalition admins.",
    )
    async def grant_revoke(
        self, info: Info, input: GrantRevokeInput, session: AsyncSession
    ) -> service.GrantRecord:
        return await service.revoke(session, _actor(info), grant_id=pk_of(input.id, "Grant", "id"))
