"""GraphQL types: Coalition, CoalitionMembership, MarginalisedGroup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from lnob_api.area import repository as area_repo
from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import COALITION
from lnob_api.graphql.connections import connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import declared
from lnob_api.graphql.enums import MemberRole
from lnob_api.graphql.loading import load_list, load_one
from lnob_api.graphql.node import Node, copied, entity
from lnob_api.graphql.provenance.types import DimensionCode, QualityCriterion
from lnob_api.organisation import repository as organisation_repo
from lnob_api.project import repository as project_repo
from lnob_api.provenance import repository as provenance_repo
from lnob_api.publication import repository as publication_repo

if TYPE_CHECKING:
    from lnob_api.graphql.area.types import Area
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.organisation.types import Organisation
    from lnob_api.graphql.project.types import Project
    from lnob_api.graphql.publication.types import Publication

_Organisation = Annotated["Organisation", strawberry.lazy("lnob_api.graphql.organisation.types")]
_Project = Annotated["Project", strawberry.lazy("lnob_api.graphql.project.types")]
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]
_Area = Annotated["Area", strawberry.lazy("lnob_api.graphql.area.types")]
_Publication = Annotated["Publication", strawberry.lazy("lnob_api.graphql.publication.types")]


@entity(coalition_repo.COALITIONS)
@strawberry.type(description="A country coalition of the partnership; it owns its data.")
@declared(COALITION)
class Coalition(Node):
    """The columns come from ``declare.entities.COALITION``; the rest is written here."""

    pk: strawberry.Private[int]

    @strawberry.field(description="Member organisations and their roles.")
    async def members(self, info: Info) -> list[CoalitionMembership]:
        return await load_list(
            info, coalition_repo.MEMBERSHIPS_BY_COALITION, self.pk, CoalitionMembership
        )

    projects = connection(
        project_repo.PROJECTS_BY_COALITION, _Project, description="The coalition's data projects."
    )

    datasets = connection(
        dataset_repo.DATASETS_BY_COALITION, _Dataset, description="The coalition's datasets."
    )

    @strawberry.field(description="Marginalised groups defined by this coalition.")
    async def groups(self, info: Info) -> list[MarginalisedGroup]:
        return await load_list(info, coalition_repo.GROUPS_BY_COALITION, self.pk, MarginalisedGroup)

    @strawberry.field(
        description="The coalition's quality checklist (e.g. a statistics office's criteria "
        "for citizen-generated data), by code."
    )
    async def quality_criteria(self, info: Info) -> list[QualityCriterion]:
        return await load_list(
            info, provenance_repo.CRITERIA_BY_COALITION, self.pk, QualityCriterion
        )

    publications = connection(
        publication_repo.PUBLICATIONS_BY_COALITION,
        _Publication,
        description="Publications about this coalition (those the caller may see).",
    )

    areas = connection(
        area_repo.AREAS_BY_COALITION,
        _Area,
        description="Local areas (wards, villages) the coalition registered.",
    )


@strawberry.type(description="An organisation's membership of a coalition.")
class CoalitionMembership:
    coalition_id: strawberry.Private[int]
    organisation_id: strawberry.Private[int]
    role: MemberRole

    @classmethod
    def from_row(cls, row: Any) -> CoalitionMembership:
        return copied(cls, row)

    @strawberry.field
    async def coalition(self, info: Info) -> Coalition:
        found = await load_one(info, coalition_repo.COALITION_BY_ID, self.coalition_id, Coalition)
        assert found is not None  # coalitions are public reference rows
        return found

    @strawberry.field
    async def organisation(self, info: Info) -> _Organisation:
        from lnob_api.graphql.organisation.types import Organisation

        found = await load_one(
            info, organisation_repo.ORGANISATION_BY_ID, self.organisation_id, Organisation
        )
        assert found is not None
        return found


@entity(coalition_repo.GROUPS)
@strawberry.type(
    description="A group at risk of being left behind (people with disabilities, Dalits...)."
)
class MarginalisedGroup(Node):
    pk: strawberry.Private[int]
    code: str
    name: str
    description: str
    coalition_id: strawberry.Private[int | None]
    maps_to: strawberry.Private[list[dict[str, str]] | None]
    row_version: int = strawberry.field(
        description="Changes on every edit; send it back with an update (optimistic locking)."
    )

    @strawberry.field(
        name="mapsTo",
        description="The standard dimension codes the group corresponds to, as stated by the "
        "vocabulary's owner (the coalition, or the partnership for the shared one); empty when "
        "none is stated.",
    )
    def dimension_codes(self) -> list[DimensionCode]:
        return DimensionCode.from_stored(self.maps_to)

    @strawberry.field(
        description="The coalition whose vocabulary this is; null for the shared one."
    )
    async def coalition(self, info: Info) -> Coalition | None:
        return await load_one(info, coalition_repo.COALITION_BY_ID, self.coalition_id, Coalition)
