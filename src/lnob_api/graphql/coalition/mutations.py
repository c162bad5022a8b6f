"""Coalition mutations: create and edit coalitions, manage their member organisations."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.coalition import repository as coalition_repo
from lnob_api.coalition import service
from lnob_api.declare.entities import COALITION
from lnob_api.graphql.coalition.types import Coalition, CoalitionMembership
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import create_input, created, on_row, row_payloads, update_input
from lnob_api.graphql.enums import MemberRole
from lnob_api.graphql.mutations import UserError, named, row_payload, shown_payload, writes
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.organisation.mutations import organisation_ref
from lnob_api.graphql.permissions import requires, requires_any

PARTNERSHIP = [requires(Scope.PARTNERSHIP_ADMIN)]
ADMINS = [requires_any(Scope.COALITION_ADMIN, Scope.PARTNERSHIP_ADMIN)]
COALITION_ADMIN = [requires(Scope.COALITION_ADMIN)]


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


_run = row_payload("coalition", coalition_repo.COALITION_BY_ID, Coalition)


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


@strawberry.type
class CoalitionMutations:
    @writes(
        CoalitionCreatePayload,
        _run,
        permission_classes=PARTNERSHIP,
        description="Open a country coalition.",
    )
    async def coalition_create(
        self, info: Info, input: CoalitionCreateInput, session: AsyncSession
    ) -> int:
        fields = created(COALITION, input)
        code, slug = fields.pop("code"), fields.pop("slug", None)
        made = await service.create(session, _actor(info), code=code, slug=slug, fields=fields)
        return made.id

    coalition_update = on_row(
        COALITION,
        service.update,
        CoalitionUpdateInput,
        CoalitionUpdatePayload,
        _run,
        permission_classes=ADMINS,
        description="Edit a coalition.",
        edits=True,
    )

    @writes(
        CoalitionMemberAddPayload,
        _membership_run,
        permission_classes=COALITION_ADMIN,
        description="Make an organisation a member of a coalition. Coalition admins.",
    )
    async def coalition_member_add(
        self, info: Info, input: CoalitionMemberAddInput, session: AsyncSession
    ) -> MembershipKey:
        member = await service.add_member(
            session,
            _actor(info),
            coalition_code=input.coalition,
            organisation=organisation_ref(input.organisation, "organisation"),
            role=input.role,
        )
        return member.coalition_id, member.organisation_id, member.role

    @writes(
        CoalitionMemberUpdatePayload,
        _membership_run,
        permission_classes=COALITION_ADMIN,
        description="Change a member organisation's role. Coalition admins.",
    )
    async def coalition_member_update(
        self, info: Info, input: CoalitionMemberUpdateInput, session: AsyncSession
    ) -> MembershipKey:
        member = await service.update_member(
            session,
            _actor(info),
            coalition_code=input.coalition,
            organisation=organisation_ref(input.organisation, "organisation"),
            role=input.role,
        )
        return member.coalition_id, member.organisation_id, member.role

    @writes(
        CoalitionMemberRemovePayload,
        _membership_run,
        permission_classes=COALITION_ADMIN,
        description="Remove an organisation from a coalition. Coalition admins.",
    )
    async def coalition_member_remove(
        self, info: Info, input: CoalitionMemberRemoveInput, session: AsyncSession
    ) -> MembershipKey:
        member = await service.remove_member(
            session,
            _actor(info),
            coalition_code=input.coalition,
            organisation=organisation_ref(input.organisation, "organisation"),
        )
        return member.coalition_id, member.organisation_id, member.role
