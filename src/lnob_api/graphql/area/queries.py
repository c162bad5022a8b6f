"""Root fields: areas, area."""

from __future__ import annotations

import strawberry

from lnob_api.area import repository as area_repo
from lnob_api.graphql.area.types import Area
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.enums import AreaLevel
from lnob_api.graphql.lookups import by_code


@strawberry.input(description="Conditions on areas; all given ones must hold.")
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


def _areas(filter: AreaFilter | None = None) -> Slice:
    f = filter or AreaFilter()
    level = f.level.value if f.level else None
    return Slice(
        where=area_repo.filters(country=f.country, level=level, parent=f.parent, search=f.search)
    )


@strawberry.type
class AreaQueries:
    areas = connection(
        area_repo.AREAS,
        Area,
        select=_areas,
        description="Countries, subdivisions and local areas, in code order.",
    )

    area = by_code(
        area_repo.AREA_BY_CODE,
        Area,
        key=area_repo.normalize_code,
        description="One area by code, e.g. KE or KE-30 (case-insensitive).",
    )
