"""Root field: accessRequests (requesters see their own, coalition admins their coalition's)."""

from __future__ import annotations

import strawberry

from lnob_api.access_request import repository as access_request_repo
from lnob_api.declare.entities import ACCESS_REQUEST
from lnob_api.graphql.access_request.types import AccessRequest
from lnob_api.graphql.connections import connection, filtered
from lnob_api.graphql.declared import filters
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.permissions import SignedIn
from lnob_api.models import AccessRequestStatus


@strawberry.input(description="Conditions on access requests; all given ones must hold.")
@filters(ACCESS_REQUEST)  # then the declared ones (declare.entities)
class AccessRequestFilter:
    status: AccessRequestStatus | None = None
    coalition: str | None = strawberry.field(default=None, description="Coalition country code.")
    dataset: strawberry.ID | None = None


_access_requests = filtered(
    access_request_repo.filters,
    AccessRequestFilter,
    lambda f: {
        "dataset_id": pk_of(f.dataset, "Dataset", "dataset") if f.dataset is not None else None
    },
)


@strawberry.type
class AccessRequestQueries:
    access_requests = connection(
        access_request_repo.ACCESS_REQUESTS,
        AccessRequest,
        select=_access_requests,
        permission_classes=[SignedIn],
        description="Access requests, newest first: those you filed, and, as a coalition admin "
        "(coalition:admin scope) or partnership admin (partnership:admin), those to your "
        "coalitions' datasets.",
    )
