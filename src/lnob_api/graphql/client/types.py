"""GraphQL type: OAuthClient (as partnership admins see it; never its secret or its hash)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from lnob_api.client.service import ClientRecord
from lnob_api.declare.accounts import CLIENT
from lnob_api.graphql.declared import declared
from lnob_api.graphql.lazy import Organisation as _Organisation
from lnob_api.graphql.linked import to_one
from lnob_api.graphql.node import copied
from lnob_api.organisation import repository as organisation_repo


@strawberry.type(description=CLIENT.description)
@declared(CLIENT)
class OAuthClient:
    organisation_slug: strawberry.Private[str]
    is_public: bool = strawberry.field(
        description="True for a browser or mobile frontend: no secret, authorization code + PKCE."
    )
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_record(cls, record: ClientRecord) -> OAuthClient:
        return copied(
            cls,
            record,
            scopes=list(record.scopes),
            redirect_uris=list(record.redirect_uris),
            grant_types=list(record.grant_types),
        )

    organisation = to_one(
        organisation_repo.ORGANISATION_BY_SLUG,
        "organisation_slug",
        _Organisation,
        required=True,  # organisations are public rows
        description="The organisation the client belongs to.",
    )
