"""Coalition role mutations: grant and revoke a user's VIEWER, EDITOR or ADMIN role."""

from __future__ import annotations

import strawberry

from lnob_api.declare.accounts import USER
from lnob_api.graphql import links
from lnob_api.graphql.declared import declared
from lnob_api.graphql.enums import CoalitionRole
from lnob_api.graphql.mutations import (
    COALITION_ADMIN,
    UserError,
    calls,
    itself,
    named,
    shown_payload,
)
from lnob_api.graphql.node import copied
from lnob_api.user import service


@strawberry.type(description=USER.description)
@declared(USER)
class RoleHolder:
    pass


@strawberry.type(description="A user's role in a coalition.")
class CoalitionRoleAssignment:
    coalition_id: strawberry.Private[int]
    user: RoleHolder
    role: CoalitionRole

    # coalitions are public reference rows
    coalition = links.coalition(required=True)


@strawberry.input(description="Give a user a role in a coalition (replacing the one they hold).")
class CoalitionRoleGrantInput:
    coalition: str = strawberry.field(description="Country code of the coalition.")
    user: str = strawberry.field(description="The user's e-mail address.")
    role: CoalitionRole


@strawberry.input(description="Take a user's role in a coalition away.")
class CoalitionRoleRevokeInput:
    coalition: str = strawberry.field(description="Country code of the coalition.")
    user: str = strawberry.field(description="The user's e-mail address.")


@strawberry.type
class CoalitionRolePayload:
    assignment: CoalitionRoleAssignment | None
    user_errors: list[UserError]


CoalitionRoleGrantPayload = named(CoalitionRolePayload, "CoalitionRoleGrantPayload")


CoalitionRoleRevokePayload = named(
    CoalitionRolePayload,
    "CoalitionRoleRevokePayload",
    "The assignment as it was before its revocation.",
)


def _assignment(found: service.RoleAssignment | None) -> CoalitionRoleAssignment | None:
    if found is None:
        return None
    return CoalitionRoleAssignment(
        coalition_id=found.coalition_id,
        user=copied(RoleHolder, found),
        role=found.role,
    )


_assignment_run = shown_payload("assignment", _assignment)


@strawberry.type
class CoalitionRoleMutations:
    coalition_role_grant = calls(
        service.grant_role,
        CoalitionRoleGrantInput,
        CoalitionRoleGrantPayload,
        _assignment_run,
        permission_classes=COALITION_ADMIN,
        description="Give a user a role in a coalition. Coalition admins.",
        args=lambda i: {"email": i.user},
        returns=itself,
    )
    coalition_role_revoke = calls(
        service.revoke_role,
        CoalitionRoleRevokeInput,
        CoalitionRoleRevokePayload,
        _assignment_run,
        permission_classes=COALITION_ADMIN,
        description="Take a user's role in a coalition away. Coalition admins; a coalition"
        " keeps at least one ADMIN.",
        args=lambda i: {"email": i.user},
        returns=itself,
    )
