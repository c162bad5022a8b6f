"""GraphQL type: Organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lnob_api.coalition import repository as coalition_repo
from lnob_api.declare.entities import ORGANISATION
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.lazy import CoalitionMembership as _Membership
from lnob_api.graphql.linked import to_many
from lnob_api.graphql.node import Node
from lnob_api.organisation import repository as organisation_repo


@declared_node(organisation_repo.ORGANISATIONS, ORGANISATION)
class Organisation(Node):
    if TYPE_CHECKING:  # a declared column the resolvers of other types read
        slug: str

    coalitions = to_many(
        coalition_repo.MEMBERSHIPS_BY_ORGANISATION,
        _Membership,
        description="The coalitions this organisation belongs to, with its role.",
    )
