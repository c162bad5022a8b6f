"""GraphQL type: AccessRequest."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from lnob_api.access_request import repository as access_request_repo
from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import ACCESS_REQUEST
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.lazy import Coalition as _Coalition
from lnob_api.graphql.lazy import Dataset as _Dataset
from lnob_api.graphql.lazy import Organisation as _Organisation
from lnob_api.graphql.linked import to_one
from lnob_api.graphql.node import Node
from lnob_api.models import AccessRequestStatus
from lnob_api.organisation import repository as organisation_repo

strawberry.enum(AccessRequestStatus, description="Where an access request stands.")


@declared_node(access_request_repo.ACCESS_REQUESTS, ACCESS_REQUEST)
class AccessRequest(Node):
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not a GraphQL field)
        requester_user_id: int | None

    @strawberry.field(description="Whether a machine client (not a person) filed it.")
    def requester_is_client(self) -> bool:
        return self.requester_user_id is None

    dataset = to_one(
        dataset_repo.DATASET_BY_ID,
        "dataset_id",
        _Dataset,
        description="The dataset asked for; null if you no longer see it.",
    )
    coalition = to_one(
        coalition_repo.COALITION_BY_ID,
        "coalition_id",
        _Coalition,
        description="The coalition that decides.",
        required=True,
    )
    organisation = to_one(
        organisation_repo.ORGANISATION_BY_ID,
        "organisation_id",
        _Organisation,
        description="The organisation asking (for a machine client: the client's own). "
        "Approval opens the data to this organisation, or only to the client that asked.",
        required=True,
    )
