"""GraphQL type: AccessRequest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.access_request import repository as access_request_repo
from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import ACCESS_REQUEST
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import declared
from lnob_api.graphql.loading import load_one
from lnob_api.graphql.node import Node, entity
from lnob_api.models import AccessRequestStatus
from lnob_api.organisation import repository as organisation_repo

if TYPE_CHECKING:
    from lnob_api.graphql.coalition.types import Coalition
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.organisation.types import Organisation

_Coalition = Annotated["Coalition", strawberry.lazy("lnob_api.graphql.coalition.types")]
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]
_Organisation = Annotated["Organisation", strawberry.lazy("lnob_api.graphql.organisation.types")]

strawberry.enum(AccessRequestStatus, description="Where an access request stands.")


@entity(access_request_repo.ACCESS_REQUESTS)
@strawberry.type(
    description="A request for the data of a dataset whose description the requester sees. "
    "Seen by the requester and by the admins of the dataset's coalition."
)
@declared(ACCESS_REQUEST)
class AccessRequest(Node):
    """The columns come from ``declare.entities.ACCESS_REQUEST``; the rest is written here."""

    pk: strawberry.Private[int]
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not GraphQL fields)
        dataset_id: int
        coalition_id: int
        organisation_id: int
        requester_user_id: int | None

    @strawberry.field(description="Whether a machine client (not a person) filed it.")
    def requester_is_client(self) -> bool:
        return self.requester_user_id is None

    @strawberry.field(description="The dataset asked for; null if you no longer see it.")
    async def dataset(self, info: Info) -> _Dataset | None:
        from lnob_api.graphql.dataset.types import Dataset

        return await load_one(info, dataset_repo.DATASET_BY_ID, self.dataset_id, Dataset)

    @strawberry.field(description="The coalition that decides.")
    async def coalition(self, info: Info) -> _Coalition:
        from lnob_api.graphql.coalition.types import Coalition

        found = await load_one(info, coalition_repo.COALITION_BY_ID, self.coalition_id, Coalition)
        assert found is not None
        return found

    @strawberry.field(
        description="The organisation asking (for a machine client: the client's own). "
        "Approval opens the data to this organisation, or only to the client that asked."
    )
    async def organisation(self, info: Info) -> _Organisation:
        from lnob_api.graphql.organisation.types import Organisation

        found = await load_one(
            info, organisation_repo.ORGANISATION_BY_ID, self.organisation_id, Organisation
        )
        assert found is not None
        return found
