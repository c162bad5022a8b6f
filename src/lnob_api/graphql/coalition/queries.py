"""Root fields: coalitions, coalition, marginalisedGroups."""

from __future__ import annotations

from typing import Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.graphql.coalition.types import Coalition, MarginalisedGroup
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.lookups import by_code_or_slug
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

    coalition = by_code_or_slug(
        coalition_repo.COALITION_BY_CODE,
        coalition_repo.COALITION_BY_SLUG,
        Coalition,
        key=str.upper,
        description="One coalition by country code (KE) or slug (kenya).",
    )

    marginalised_groups = connection(
        coalition_repo.GROUPS,
        MarginalisedGroup,
        select=_marginalised_groups,
        description="Marginalised groups: the shared vocabulary and coalitions' own.",
    )
