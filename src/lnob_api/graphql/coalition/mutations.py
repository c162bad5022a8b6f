"""Coalition mutations: create and edit coalitions, manage their member organisations."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.coalition import repository as coalition_repo
from lnob_api.coalition import service
from lnob_api.graphql.coalition.types import Coalition, CoalitionMembership
from lnob_api.graphql.context import Info
from lnob_api.graphql.enums import MemberRole, Perturbation
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import UserError, named, row_payload, shown_payload, writes
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.organisation.mutations import organisation_ref
from lnob_api.graphql.permissions import requires, requires_any

PARTNERSHIP = [requires(Scope.PARTNERSHIP_ADMIN)]
ADMINS = [requires_any(Scope.COALITION_ADMIN, Scope.PARTNERSHIP_ADMIN)]
COALITION_ADMIN = [requires(Scope.COALITION_ADMIN)]


@strawberry.input(description="A new country coalition.")
class CoalitionCreateInput:
    code: str = strawberry.field(
        description="ISO 3166-1 alpha-2 code of a country that has no coalition yet."
    )
    name: str
    slug: str | None = strawberry.field(default=None, description="Default: from the name.")
    description: str | None = None
    launched_year: int | None = None
    cohort: str | None = strawberry.field(default=None, description="e.g. 2018 pilot.")
    suppression_threshold: int | None = strawberry.field(
        default=None, description="Smallest sample size shown to outsiders (default 5)."
    )
    perturbation: Perturbation | None = strawberry.field(
        default=None, description="Perturbation of the counts outsiders read (default NONE)."
    )
    rate_share: float | None = strawberry.field(
        default=None,
        description="Protection of rates and means: this share of the numerator on each side"
        " (default 0.1).",
    )


@strawberry.input(
    description="Changes to a coalition; omitted fields stay as they are. A coalition's own"
    " admins may change only description and the protection settings (suppressionThreshold,"
    " perturbation, rateShare, requiresCommunityValidation)."
)
class CoalitionUpdateInput:
    id: strawberry.ID
    row_version: int = strawberry.field(description="The rowVersion you read.")
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    launched_year: int | None = strawberry.UNSET
    cohort: str | None = strawberry.UNSET
    suppression_threshold: int | None = strawberry.UNSET
    requires_community_validation: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Publish only datasets the community validated (coalition admins).",
    )
    perturbation: Perturbation | None = strawberry.field(
        default=strawberry.UNSET,
        description="Perturbation of the counts outsiders read, after suppression: NONE,"
        " ROUND_3, ROUND_5 or CELL_KEY (coalition admins). Insiders always read exact values.",
    )
    rate_share: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="Protection interval of rates and means: this share of the numerator on"
        " each side, from 0 up to (not including) 1 (coalition admins).",
    )


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


@strawberry.type
class CoalitionPayload:
    coalition: Coalition | None = strawberry.field(description="The coalition after the change.")
    user_errors: list[UserError]


CoalitionCreatePayload = named(CoalitionPayload, "CoalitionCreatePayload")
CoalitionUpdatePayload = named(CoalitionPayload, "CoalitionUpdatePayload")


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


def _fields(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(data, n) for n in names if getattr(data, n) is not strawberry.UNSET}


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
        fields = {"name": input.name} | {
            name: value
            for name in (
                "description",
                "launched_year",
                "cohort",
                "suppression_threshold",
                "perturbation",
                "rate_share",
            )
            if (value := getattr(input, name)) is not None
        }
        created = await service.create(
            session, _actor(info), code=input.code, slug=input.slug, fields=fields
        )
        return created.id

    @writes(
        CoalitionUpdatePayload,
        _run,
        permission_classes=ADMINS,
        description="Edit a coalition.",
    )
    async def coalition_update(
        self, info: Info, input: CoalitionUpdateInput, session: AsyncSession
    ) -> int:
        updated = await service.update(
            session,
            _actor(info),
            coalition_id=pk_of(input.id, "Coalition", "id"),
            row_version=input.row_version,
            fields=_fields(
                input,
                (
                    "name",
                    "description",
                    "launched_year",
                    "cohort",
                    "suppression_threshold",
                    "requires_community_validation",
                    "perturbation",
                    "rate_share",
                ),
            ),
        )
        return updated.id

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
