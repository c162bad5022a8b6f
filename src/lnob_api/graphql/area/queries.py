"""Root fields: areas, area."""

from __future__ import annotations

import strawberry

from lnob_api.area import repository as area_repo
from lnob_api.graphql.area.types import Area
from lnob_api.graphql.context import Info
from lnob_api.graphql.enums import AreaLevel
from lnob_api.graphql.loading import load_one, root_page
from lnob_api.graphql.pagination import Connection


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


@strawberry.type
class AreaQueries:
    @strawberry.field(description="Countries, subdivisions and local areas, in code order.")
    async def areas(
        self,
        info: Info,
        filter: AreaFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Area]:
        f = filter or AreaFilter()
        where = area_repo.filters(
            country=f.country,
            level=f.level.value if f.level else None,
            parent=f.parent,
            search=f.search,
        )
        return await root_page(
            info,
            area_repo.AREAS,
            Area,
            where=where,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="One area by code, e.g. KE or KE-30 (case-insensitive).")
    async def area(self, info: Info, code: str) -> Area | None:
        return await load_one(info, area_repo.AREA_BY_CODE, area_repo.normalize_code(code), Area)
