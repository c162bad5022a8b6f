"""Root fields: organisations, organisation."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import load_one, root_page
from lnob_api.graphql.organisation.types import Organisation
from lnob_api.graphql.pagination import Connection
from lnob_api.organisation import repository as organisation_repo


@strawberry.type
class OrganisationQueries:
    @strawberry.field(description="Organisations, by name.")
    async def organisations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Organisation]:
        return await root_page(
            info,
            organisation_repo.ORGANISATIONS,
            Organisation,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="One organisation by slug.")
    async def organisation(self, info: Info, slug: str) -> Organisation | None:
        return await load_one(info, organisation_repo.ORGANISATION_BY_SLUG, slug, Organisation)
