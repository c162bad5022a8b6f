"""GraphQL type: Organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.declare.entities import ORGANISATION
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import declared
from lnob_api.graphql.loading import load_list
from lnob_api.graphql.node import Node, entity
from lnob_api.organisation import repository as organisation_repo

if TYPE_CHECKING:
    from lnob_api.graphql.coalition.types import CoalitionMembership

_Membership = Annotated["CoalitionMembership", strawberry.lazy("lnob_api.graphql.coalition.types")]


@entity(organisation_repo.ORGANISATIONS)
@strawberry.type(
    description="An ICSO, national NGO, civic platform, community-based organisation,"
    " statistics agency or other body."
)
@declared(ORGANISATION)
class Organisation(Node):
    """The columns come from ``declare.entities.ORGANISATION``; the rest is written here."""

    pk: strawberry.Private[int]
    if TYPE_CHECKING:  # a declared column the resolvers of other types read
        slug: str

    @strawberry.field(description="The coalitions this organisation belongs to, with its role.")
    async def coalitions(self, info: Info) -> list[_Membership]:
        from lnob_api.graphql.coalition.types import CoalitionMembership

        return await load_list(
            info, coalition_repo.MEMBERSHIPS_BY_ORGANISATION, self.pk, CoalitionMembership
        )
