"""Root fields: coalitions, coalition, marginalisedGroups."""

from __future__ import annotations

from typing import Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.errors import InvalidInput
from lnob_api.graphql.coalition.types import Coalition, MarginalisedGroup
from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import load_one, root_page
from lnob_api.graphql.pagination import Connection
from lnob_api.provenance import repository as provenance_repo


@strawberry.type
class CoalitionQueries:
    @strawberry.field(description="The partnership's country coalitions, by country code.")
    async def coalitions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Coalition]:
        return await root_page(
            info,
            coalition_repo.COALITIONS,
            Coalition,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="One coalition by country code (KE) or slug (kenya).")
    async def coalition(
        self, info: Info, code: str | None = None, slug: str | None = None
    ) -> Coalition | None:
        if (code is None) == (slug is None):
            raise InvalidInput("code", "give exactly one of code or slug", code="INVALID_ARGUMENT")
        if code is not None:
            return await load_one(info, coalition_repo.COALITION_BY_CODE, code.upper(), Coalition)
        return await load_one(info, coalition_repo.COALITION_BY_SLUG, slug, Coalition)

    @strawberry.field(description="Marginalised groups: the shared vocabulary and coalitions' own.")
    async def marginalised_groups(
        self,
        info: Info,
        country: Annotated[
            str | None,
            strawberry.argument(
                description="Keep one country's vocabulary (country code), with the shared "
                "one unless includeShared is false."
            ),
        ] = None,
        include_shared: Annotated[
            bool,
            strawberry.argument(
                description="Include the shared vocabulary; false keeps coalitions' own groups."
            ),
        ] = True,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MarginalisedGroup]:
        return await root_page(
            info,
            coalition_repo.GROUPS,
            MarginalisedGroup,
            where=provenance_repo.group_filters(country=country, include_shared=include_shared),
            first=first,
            after=after,
            last=last,
            before=before,
        )
