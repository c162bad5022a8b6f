"""Access request mutations: create (any signed-in caller), approve and decline (coalition
admins), withdraw (the requester)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import strawberry
from strawberry.permission import BasePermission

from lnob_api.access_request import service
from lnob_api.auth.principal import Scope
from lnob_api.declare.entities import ACCESS_REQUEST
from lnob_api.graphql.access_request.types import AccessRequest
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import Declared, create_input, created, on_row, row_payloads
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import calls
from lnob_api.graphql.permissions import SignedIn


class AdminScope(BasePermission):
    """Deciding on requests needs an admin scope; the role is checked per coalition."""

    message = "this needs a token with the coalition:admin or partnership:admin scope"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return bool(
            principal.has_scope(Scope.COALITION_ADMIN)
            or principal.has_scope(Scope.PARTNERSHIP_ADMIN)
        )


@strawberry.input(description="A request for the data of a dataset whose description you see.")
@create_input(ACCESS_REQUEST)  # the declared fields (declare.entities) where ``declared`` stands
class AccessRequestCreateInput:
    dataset: strawberry.ID
    declared: ClassVar[Declared]
    organisation: str | None = strawberry.field(
        default=None,
        description="Slug of the organisation you ask for (access is granted to it); needed "
        "only when you belong to several. Machine clients always ask for their own.",
    )


@strawberry.input(description="Open the dataset to the requester until a moment.")
class AccessRequestApproveInput:
    id: strawberry.ID
    expires_at: datetime = strawberry.field(
        description="When the access ends: in the future, at most two years (730 days) ahead."
    )
    note: str | None = strawberry.field(default=None, description="Shown with the grant.")


@strawberry.input
class AccessRequestDeclineInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="Why; the requester reads it.")


@strawberry.input
class AccessRequestWithdrawInput:
    id: strawberry.ID


_KINDS = ("Create", "Approve", "Decline", "Withdraw")
_SHOWN = "The request after the change."
(
    AccessRequestCreatePayload,
    AccessRequestApprovePayload,
    AccessRequestDeclinePayload,
    AccessRequestWithdrawPayload,
) = row_payloads(
    AccessRequest, "access_request", *_KINDS, description="The request after the change."
)


@strawberry.type
class AccessRequestMutations:
    access_request_create = calls(
        service.create,
        AccessRequestCreateInput,
        AccessRequestCreatePayload,
        permission_classes=[SignedIn],
        description="Ask for the data of a dataset whose description you see but whose data "
        "you may not read; the coalition's admins are notified.",
        args=lambda i: {
            "dataset_id": pk_of(i.dataset, "Dataset", "dataset"),
            "organisation_slug": i.organisation,
            **created(ACCESS_REQUEST, i, every=True),
        },
    )

    access_request_approve = on_row(
        ACCESS_REQUEST,
        service.approve,
        AccessRequestApproveInput,
        AccessRequestApprovePayload,
        permission_classes=[AdminScope],
        description="Approve a pending request: a grant opens the dataset to the requester "
        "until expiresAt. Coalition admins only; the requester is notified.",
        key="request_id",
    )
    access_request_decline = on_row(
        ACCESS_REQUEST,
        service.decline,
        AccessRequestDeclineInput,
        AccessRequestDeclinePayload,
        permission_classes=[AdminScope],
        description="Decline a pending request with a reason. Coalition admins only; the "
        "requester is notified.",
        key="request_id",
    )
    access_request_withdraw = on_row(
        ACCESS_REQUEST,
        service.withdraw,
        AccessRequestWithdrawInput,
        AccessRequestWithdrawPayload,
        permission_classes=[SignedIn],
        description="Withdraw your own pending request; the coalition's admins are notified.",
        key="request_id",
    )
