"""Coalition mutations: create and edit coalitions, manage their member organisations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from lnob_api.coalition import service
from lnob_api.declare.entities import COALITION
from lnob_api.graphql.coalition.types import Coalition, CoalitionMembership
from lnob_api.graphql.declared import create_input, created, on_row, row_payloads, update_input
from lnob_api.graphql.enums import MemberRole
from lnob_api.graphql.mutations import (
    ADMINS,
    COALITION_ADMIN,
    PARTNERSHIP_ADMIN,
    UserError,
    calls,
    named,
    shown_payload,
)
from lnob_api.graphql.organisation.mutations import organisation_ref


@strawberry.input(description="A new country coalition.")
@create_input(COALITION)  # the declared fields (declare.entities)
class CoalitionCreateInput:
    pass


@strawberry.input(
    description="Changes to a coalition; omitted fields stay as they are. A coalition's own"
    " admins may change only description and the protection settings (suppressionThreshold,"
    " perturbation, rateShare, requiresCommunityValidation)."
)
@update_input(COALITION)
class CoalitionUpdateInput:
    pass


@strawberry.input(description="An organisation joining a coalition.")
class CoalitionMemberAddInput:
    coalition: str = strawberry.field(description="Country code of the coalition.")
    organisation: str = strawberry.field(description="The organisation's id or slug.")
    role: MemberRole = MemberRole.MEMBER


@strawberry.input(description="A member organisation's new role.")
class CoalitionMemberUpdateInput:
    coalition: str = strawberry.field(description="Country code of the coalition.")
    organisation: str = strawberry.field(description="The organisation's id or slug.")
    role: MemberRole


@strawberry.input(description="An organisation leaving a coalition.")
class CoalitionMemberRemoveInput:
    coalition: str = strawberry.field(description="Country code of the coalition.")
    organisation: str = strawberry.field(description="The organisation's id or slug.")


CoalitionCreatePayload, CoalitionUpdatePayload = row_payloads(
    Coalition, "coalition", "Create", "Update"
)


@strawberry.type
class CoalitionMemberPayload:
    membership: CoalitionMembership | None
    user_errors: list[UserError]


CoalitionMemberAddPayload = named(CoalitionMemberPayload, "CoalitionMemberAddPayload")
CoalitionMemberUpdatePayload = named(CoalitionMemberPayload, "CoalitionMemberUpdatePayload")


CoalitionMemberRemovePayload = named(
    CoalitionMemberPayload,
    "CoalitionMemberRemovePayload",
    "The membership as it was before its removal.",
)


def _created(data: CoalitionCreateInput) -> dict[str, Any]:
    """The country code and slug a create input gives, and its other declared fields."""
    fields = created(COALITION, data)
    return {"code": fields.pop("code"), "slug": fields.pop("slug", None), "fields": fields}


# (coalition id, organisation id, role) of a membership
MembershipKey = tuple[int, int, str]


def _membership(found: MembershipKey | None) -> CoalitionMembership | None:
    if found is None:
        return None
    coalition_id, organisation_id, role = found
    return CoalitionMembership(
        coalition_id=coalition_id, organisation_id=organisation_id, role=MemberRole(role)
    )


_membership_run = shown_payload("membership", _membership)


def _on_member(
    call: Callable[..., Awaitable[Any]],
    input: type,
    payload: type,
    description: str,
    *,
    role: bool = False,
) -> Any:
    """A coalition admin's change of the membership of the organisation in the coalition an
    input names (with ``role``: the role it gives); the payload shows the membership."""

    def member(data: Any) -> dict[str, Any]:
        named = {
            "coalition_code": data.coalition,
            "organisation": organisation_ref(data.organisation, "organisation"),
        }
        return {**named, "role": data.role} if role else named

    def key(done: Any) -> MembershipKey:
        return done.coalition_id, done.organisation_id, done.role

    return calls(
        call,
        input,
        payload,
        _membership_run,
        permission_classes=COALITION_ADMIN,
        description=description,
        args=member,
        returns=key,
    )


@strawberry.type
class CoalitionMutations:
    coalition_create = calls(
        service.create,
        CoalitionCreateInput,
        CoalitionCreatePayload,
        permission_classes=PARTNERSHIP_ADMIN,
        description="Open a country coalition.",
        args=_created,
    )

    coalition_update = on_row(
        COALITION,
        service.update,
        CoalitionUpdateInput,
        CoalitionUpdatePayload,
        permission_classes=ADMINS,
        description="Edit a coalition.",
        edits=True,
    )

    coalition_member_add = _on_member(
        service.add_member,
        CoalitionMemberAddInput,
        CoalitionMemberAddPayload,
        "Make an organisation a member of a coalition. Coalition admins.",
        role=True,
    )
    coalition_member_update = _on_member(
        service.update_member,
        CoalitionMemberUpdateInput,
        CoalitionMemberUpdatePayload,
        "Change a member organisation's role. Coalition admins.",
        role=True,
    )
    coalition_member_remove = _on_member(
        service.remove_member,
        CoalitionMemberRemoveInput,
        CoalitionMemberRemovePayload,
        "Remove an organisation from a coalition. Coalition admins.",
    )
