"""OAuth client mutations: partnership admins register and revoke clients."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.client import service
from lnob_api.graphql.client.types import OAuthClient
from lnob_api.graphql.context import Info
from lnob_api.graphql.mutations import UserError, mutate
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.organisation.mutations import organisation_ref
from lnob_api.graphql.permissions import requires

ADMIN = [requires(Scope.PARTNERSHIP_ADMIN)]


@strawberry.input(
    description="A new OAuth client. Without redirect URIs it is a machine (client"
    " credentials); with them, a frontend (authorization code); public: a browser or mobile"
    " frontend without a secret (PKCE)."
)
class ClientCreateInput:
    organisation: str = strawberry.field(description="The owning organisation's id or slug.")
    name: str
    scopes: list[str] = strawberry.field(
        description="Scopes its tokens may carry: data:read, data:write, coalition:admin."
        " partnership:admin is refused: only flagged users' tokens carry it."
    )
    redirect_uris: list[str] = strawberry.field(default_factory=list)
    public: bool = False


@strawberry.input
class ClientRevokeInput:
    client_id: str


@strawberry.type
class ClientCreatePayload:
    client: OAuthClient | None
    client_secret: str | None = strawberry.field(
        description="The client's secret (null for a public client). Shown this once only:"
        " only a hash of it is stored."
    )
    user_errors: list[UserError]


@strawberry.type
class ClientRevokePayload:
    client: OAuthClient | None
    user_errors: list[UserError]


@strawberry.type
class ClientMutations:
    @strawberry.mutation(
        permission_classes=ADMIN, description="Register an OAuth client. Partnership admins."
    )
    async def client_create(self, info: Info, input: ClientCreateInput) -> ClientCreatePayload:
        async def work(session: AsyncSession) -> service.IssuedClient:
            return await service.create(
                session,
                _actor(info),
                organisation=organisation_ref(input.organisation, "organisation"),
                name=input.name,
                scopes=input.scopes,
                redirect_uris=input.redirect_uris,
                public=input.public,
            )

        issued, errors = await mutate(info, work)
        if issued is None:
            return ClientCreatePayload(client=None, client_secret=None, user_errors=errors)
        return ClientCreatePayload(
            client=OAuthClient.from_record(issued.client),
            client_secret=issued.client_secret,
            user_errors=errors,
        )

    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Revoke an OAuth client: its tokens stop working. Partnership admins.",
    )
    async def client_revoke(self, info: Info, input: ClientRevokeInput) -> ClientRevokePayload:
        async def work(session: AsyncSession) -> service.ClientRecord:
            return await service.revoke(session, _actor(info), client_id=input.client_id)

        revoked, errors = await mutate(info, work)
        return ClientRevokePayload(
            client=OAuthClient.from_record(revoked) if revoked is not None else None,
            user_errors=errors,
        )
