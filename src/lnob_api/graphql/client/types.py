"""GraphQL type: OAuthClient (as partnership admins see it; never its secret or its hash)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.client.service import ClientRecord
from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.node import copied
from lnob_api.organisation import repository as organisation_repo

if TYPE_CHECKING:
    from lnob_api.graphql.organisation.types import Organisation

_Organisation = Annotated["Organisation", strawberry.lazy("lnob_api.graphql.organisation.types")]


@strawberry.type(
    description="A machine or frontend client of an organisation. Its secret is shown once, at"
    " creation, and stored only as a hash."
)
class OAuthClient:
    client_id: str = strawberry.field(description="The public client id.")
    name: str
    organisation_slug: strawberry.Private[str]
    scopes: list[str] = strawberry.field(description="The most its tokens may carry.")
    redirect_uris: list[str]
    grant_types: list[str]
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

    @strawberry.field(description="The organisation the client belongs to.")
    async def organisation(self, info: Info) -> _Organisation:
        from lnob_api.graphql.organisation.types import Organisation

        found = await load_one(
            info, organisation_repo.ORGANISATION_BY_SLUG, self.organisation_slug, Organisation
        )
        assert found is not None  # organisations are public rows
        return found
