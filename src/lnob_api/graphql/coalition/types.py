"""GraphQL types: Coalition, CoalitionMembership, MarginalisedGroup."""

from __future__ import annotations

from typing import Any

import strawberry

from lnob_api.area import repository as area_repo
from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import COALITION
from lnob_api.declare.more import MARGINALISED_GROUP
from lnob_api.graphql import links
from lnob_api.graphql.connections import connection
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.enums import MemberRole
from lnob_api.graphql.lazy import Area as _Area
from lnob_api.graphql.lazy import Dataset as _Dataset
from lnob_api.graphql.lazy import Project as _Project
from lnob_api.graphql.lazy import Publication as _Publication
from lnob_api.graphql.linked import to_many, to_one
from lnob_api.graphql.node import Node, copied
from lnob_api.graphql.provenance.types import DimensionCode, QualityCriterion
from lnob_api.project import repository as project_repo
from lnob_api.provenance import repository as provenance_repo
from lnob_api.publication import repository as publication_repo


@declared_node(coalition_repo.COALITIONS, COALITION)
class Coalition(Node):
    members = to_many(
        coalition_repo.MEMBERSHIPS_BY_COALITION,
        "CoalitionMembership",
        description="Member organisations and their roles.",
    )

    projects = connection(
        project_repo.PROJECTS_BY_COALITION, _Project, description="The coalition's data projects."
    )

    datasets = connection(
        dataset_repo.DATASETS_BY_COALITION, _Dataset, description="The coalition's datasets."
    )

    groups = to_many(
        coalition_repo.GROUPS_BY_COALITION,
        "MarginalisedGroup",
        description="Marginalised groups defined by this coalition.",
    )

    quality_criteria = to_many(
        provenance_repo.CRITERIA_BY_COALITION,
        QualityCriterion,
        description="The coalition's quality checklist (e.g. a statistics office's criteria "
        "for citizen-generated data), by code.",
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

    # coalitions and organisations are public reference rows
    coalition = to_one(coalition_repo.COALITION_BY_ID, "coalition_id", Coalition, required=True)
    organisation = links.organisation(required=True)


@declared_node(coalition_repo.GROUPS, MARGINALISED_GROUP)
class MarginalisedGroup(Node):
    @strawberry.field(
        name="mapsTo",
        description="The standard dimension codes the group corresponds to, as stated by the "
        "vocabulary's owner (the coalition, or the partnership for the shared one); empty when "
        "none is stated.",
    )
    def dimension_codes(self) -> list[DimensionCode]:
        stored: list[dict[str, str]] | None = getattr(self, "maps_to")  # noqa: B009 - declared
        return DimensionCode.from_stored(stored)

    coalition = to_one(
        coalition_repo.COALITION_BY_ID,
        "coalition_id",
        Coalition,
        description="The coalition whose vocabulary this is; null for the shared one.",
    )
