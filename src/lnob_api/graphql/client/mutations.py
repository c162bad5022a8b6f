"""OAuth client mutations: partnership admins register and revoke clients."""

from __future__ import annotations

from typing import Any

import strawberry

from lnob_api.client import service
from lnob_api.graphql.client.types import OAuthClient
from lnob_api.graphql.mutations import (
    PARTNERSHIP_ADMIN,
    calls,
    itself,
    parts,
    payload,
    shown,
)
from lnob_api.graphql.organisation.mutations import organisation_ref


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


ClientCreatePayload = payload(
    "ClientCreatePayload",
    client=OAuthClient,
    client_secret=(
        str,
        "The client's secret (null for a public client). Shown this once only:"
        " only a hash of it is stored.",
    ),
)
ClientRevokePayload = payload("ClientRevokePayload", client=OAuthClient)


def _issued(issued: service.IssuedClient) -> dict[str, Any]:
    return {"client": issued.client, "client_secret": issued.client_secret}


_client = shown(OAuthClient.from_record)


@strawberry.type
class ClientMutations:
    client_create = calls(
        service.create,
        ClientCreateInput,
        ClientCreatePayload,
        parts(client=_client, client_secret=shown()),
        permission_classes=PARTNERSHIP_ADMIN,
        description="Register an OAuth client. Partnership admins.",
        args=lambda i: {"organisation": organisation_ref(i.organisation, "organisation")},
        returns=_issued,
    )
    client_revoke = calls(
        service.revoke,
        ClientRevokeInput,
        ClientRevokePayload,
        parts(client=_client),
        permission_classes=PARTNERSHIP_ADMIN,
        description="Revoke an OAuth client: its tokens stop working. Partnership admins.",
        returns=itself,
    )
