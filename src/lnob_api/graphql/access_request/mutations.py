"""Access request mutations: create (any signed-in caller), approve and decline (coalition
admins), withdraw (the requester)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.permission import BasePermission

from lnob_api.access_request import repository as access_request_repo
from lnob_api.access_request import service
from lnob_api.auth.principal import Scope
from lnob_api.graphql.access_request.types import AccessRequest
from lnob_api.graphql.context import Info
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import UserError, named, row_payload, writes
from lnob_api.graphql.mutations import actor as _actor
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
class AccessRequestCreateInput:
    dataset: strawberry.ID
    purpose: str = strawberry.field(description="What you will use the data for.")
    requester_name: str | None = strawberry.field(default=None, description="Default: yours.")
    requester_email: str | None = strawberry.field(default=None, description="Default: yours.")
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


@strawberry.type
class AccessRequestPayload:
    access_request: AccessRequest | None = strawberry.field(
        description="The request after the change."
    )
    user_errors: list[UserError]


AccessRequestCreatePayload = named(AccessRequestPayload, "AccessRequestCreatePayload")
AccessRequestApprovePayload = named(AccessRequestPayload, "AccessRequestApprovePayload")
AccessRequestDeclinePayload = named(AccessRequestPayload, "AccessRequestDeclinePayload")
AccessRequestWithdrawPayload = named(AccessRequestPayload, "AccessRequestWithdrawPayload")


def _pk(global_id: strawberry.ID) -> int:
    return pk_of(global_id, "AccessRequest", "id")


_run = row_payload("access_request", access_request_repo.ACCESS_REQUEST_BY_ID, AccessRequest)


@strawberry.type
class AccessRequestMutations:
    @writes(
        AccessRequestCreatePayload,
        _run,
        permission_classes=[SignedIn],
        description="Ask for the data of a dataset whose description you see but whose data "
        "you may not read; the coalition's admins are notified.",
    )
    async def access_request_create(
        self, info: Info, input: AccessRequestCreateInput, session: AsyncSession
    ) -> int:
        created = await service.create(
            session,
            _actor(info),
            dataset_id=pk_of(input.dataset, "Dataset", "dataset"),
            purpose=input.purpose,
            requester_name=input.requester_name,
            requester_email=input.requester_email,
            organisation_slug=input.organisation,
        )
        return created.id

    @writes(
        AccessRequestApprovePayload,
        _run,
        permission_classes=[AdminScope],
        description="Approve a pending request: a grant opens the dataset to the requester "
        "until expiresAt. Coalition admins only; the requester is notified.",
    )
    async def access_request_approve(
        self, info: Info, input: AccessRequestApproveInput, session: AsyncSession
    ) -> int:
        done = await service.approve(
            session,
            _actor(info),
            request_id=_pk(input.id),
            expires_at=input.expires_at,
            note=input.note,
        )
        return done.id

    @writes(
        AccessRequestDeclinePayload,
        _run,
        permission_classes=[AdminScope],
        description="Decline a pending request with a reason. Coalition admins only; the "
        "requester is notified.",
    )
    async def access_request_decline(
        self, info: Info, input: AccessRequestDeclineInput, session: AsyncSession
    ) -> int:
        done = await service.decline(
            session, _actor(info), request_id=_pk(input.id), reason=input.reason
        )
        return done.id

    @writes(
        AccessRequestWithdrawPayload,
        _run,
        permission_classes=[SignedIn],
        description="Withdraw your own pending request; the coalition's admins are notified.",
    )
    async def access_request_withdraw(
        self, info: Info, input: AccessRequestWithdrawInput, session: AsyncSession
    ) -> int:
        done = await service.withdraw(session, _actor(info), request_id=_pk(input.id))
        return done.id
