"""GraphQL type: AccessRequest."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from lnob_api.access_request import repository as access_request_repo
from lnob_api.declare.entities import ACCESS_REQUEST
from lnob_api.graphql import links
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.node import Node
from lnob_api.models import AccessRequestStatus

strawberry.enum(AccessRequestStatus, description="Where an access request stands.")


@declared_node(access_request_repo.ACCESS_REQUESTS, ACCESS_REQUEST)
class AccessRequest(Node):
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not a GraphQL field)
        requester_user_id: int | None

    @strawberry.field(description="Whether a machine client (not a person) filed it.")
    def requester_is_client(self) -> bool:
        return self.requester_user_id is None

    dataset = links.dataset(description="The dataset asked for; null if you no longer see it.")
    coalition = links.coalition(description="The coalition that decides.", required=True)
    organisation = links.organisation(
        description="The organisation asking (for a machine client: the client's own). "
        "Approval opens the data to this organisation, or only to the client that asked.",
        required=True,
    )
