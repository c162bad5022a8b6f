"""Root fields: organisations, organisation."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.connections import connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.organisation.types import Organisation
from lnob_api.organisation import repository as organisation_repo


@strawberry.type
class OrganisationQueries:
    organisations = connection(
        organisation_repo.ORGANISATIONS, Organisation, description="Organisations, by name."
    )

    @strawberry.field(description="One organisation by slug.")
    async def organisation(self, info: Info, slug: str) -> Organisation | None:
        return await load_one(info, organisation_repo.ORGANISATION_BY_SLUG, slug, Organisation)
