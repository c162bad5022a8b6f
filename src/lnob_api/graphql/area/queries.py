"""Root fields: areas, area."""

from __future__ import annotations

import strawberry

from lnob_api.area import repository as area_repo
from lnob_api.declare.entities import AREA
from lnob_api.graphql.area.types import Area
from lnob_api.graphql.connections import connection, filtered
from lnob_api.graphql.declared import filters
from lnob_api.graphql.enums import AreaLevel
from lnob_api.graphql.lookups import by_code


@strawberry.input(description="Conditions on areas; all given ones must hold.")
@filters(AREA)  # then the declared ones (declare.entities)
class AreaFilter:
    country: str | None = strawberry.field(
        default=None,
        description="Areas of this country (ISO 3166-1 alpha-2), the country included.",
    )
    level: AreaLevel | None = None
    parent: str | None = strawberry.field(
        default=None, description="Areas directly inside the area with this code."
    )
    search: str | None = strawberry.field(
        default=None, description="Words the name contains (case-insensitive)."
    )


@strawberry.type
class AreaQueries:
    areas = connection(
        area_repo.AREAS,
        Area,
        select=filtered(area_repo.filters, AreaFilter),
        description="Countries, subdivisions and local areas, in code order.",
    )

    area = by_code(
        area_repo.AREA_BY_CODE,
        Area,
        key=area_repo.normalize_code,
        description="One area by code, e.g. KE or KE-30 (case-insensitive).",
    )
