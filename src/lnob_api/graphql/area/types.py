"""GraphQL type: Area (a country, an ISO 3166-2 subdivision or a coalition's local area)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from lnob_api.area import repository as area_repo
from lnob_api.declare.entities import AREA
from lnob_api.graphql import links
from lnob_api.graphql.connections import connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.lazy import Area as _Area
from lnob_api.graphql.linked import to_one
from lnob_api.graphql.loading import load_many
from lnob_api.graphql.node import Node


@declared_node(area_repo.AREAS, AREA)
class Area(Node):
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not GraphQL fields)
        ancestors: list[str]

    parent = to_one(
        area_repo.AREA_BY_CODE,
        "parent_code",
        "Area",
        description="The area this one lies in; null for a country.",
    )

    children = connection(
        area_repo.AREAS_BY_PARENT,
        _Area,
        parent_key="code",
        description="Areas directly inside this one, in code order.",
    )

    @strawberry.field(
        name="ancestors",
        description="Every area this one lies in, from the country down to the parent.",
    )
    async def ancestor_areas(self, info: Info) -> list[Area]:
        found = await load_many(info, area_repo.AREA_BY_CODE, self.ancestors, Area)
        return [area for area in found if area is not None]

    coalition = links.coalition(
        description="The coalition that registered a local area; null otherwise."
    )
