"""Root fields: coalitions, coalition, marginalisedGroups."""

from __future__ import annotations

from typing import Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.errors import InvalidInput
from lnob_api.graphql.coalition.types import Coalition, MarginalisedGroup
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import load_one
from lnob_api.provenance import repository as provenance_repo


def _marginalised_groups(
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
) -> Slice:
    return Slice(
        where=provenance_repo.group_filters(country=country, include_shared=include_shared)
    )


@strawberry.type
class CoalitionQueries:
    coalitions = connection(
        coalition_repo.COALITIONS,
        Coalition,
        description="The partnership's country coalitions, by country code.",
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

    marginalised_groups = connection(
        coalition_repo.GROUPS,
        MarginalisedGroup,
        select=_marginalised_groups,
        description="Marginalised groups: the shared vocabulary and coalitions' own.",
    )
