"""Root field: accessRequests (requesters see their own, coalition admins their coalition's)."""

from __future__ import annotations

import strawberry

from lnob_api.access_request import repository as access_request_repo
from lnob_api.graphql.access_request.types import AccessRequest
from lnob_api.graphql.context import Info
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.loading import root_page
from lnob_api.graphql.pagination import Connection
from lnob_api.graphql.permissions import SignedIn
from lnob_api.models import AccessRequestStatus


@strawberry.input(description="Conditions on access requests; all given ones must hold.")
class AccessRequestFilter:
    status: AccessRequestStatus | None = None
    coalition: str | None = strawberry.field(default=None, description="Coalition country code.")
    dataset: strawberry.ID | None = None


@strawberry.type
class AccessRequestQueries:
    @strawberry.field(
        permission_classes=[SignedIn],
        description="Access requests, newest first: those you filed, and, as a coalition admin "
        "(coalition:admin scope) or partnership admin (partnership:admin), those to your "
        "coalitions' datasets.",
    )
    async def access_requests(
        self,
        info: Info,
        filter: AccessRequestFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AccessRequest]:
        f = filter or AccessRequestFilter()
        where = access_request_repo.filters(
            status=f.status.value if f.status is not None else None,
            coalition_code=f.coalition,
            dataset_id=pk_of(f.dataset, "Dataset", "dataset") if f.dataset is not None else None,
        )
        return await root_page(
            info,
            access_request_repo.ACCESS_REQUESTS,
            AccessRequest,
            where=where,
            first=first,
            after=after,
            last=last,
            before=before,
        )
