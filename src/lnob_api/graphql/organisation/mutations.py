"""Organisation mutations: create, update, delete (partnership admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.errors import InvalidInput
from lnob_api.graphql.context import Info
from lnob_api.graphql.enums import OrganisationKind
from lnob_api.graphql.ids import from_global_id
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import UserError, deleted, named, row_payload, writes
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.organisation.types import Organisation
from lnob_api.graphql.permissions import requires
from lnob_api.organisation import repository as organisation_repo
from lnob_api.organisation import service

ADMIN = [requires(Scope.PARTNERSHIP_ADMIN)]


def organisation_ref(value: str, field: str) -> service.OrganisationRef:
    """An organisation named in an input by its global id or by its slug."""
    try:
        type_name, key = from_global_id(value, field)
    except InvalidInput:  # not a global id: a slug
        return value
    if type_name == "Organisation" and key.isdigit():
        return int(key)
    return value


@strawberry.input(description="A new organisation.")
class OrganisationCreateInput:
    name: str
    slug: str | None = strawberry.field(default=None, description="Default: from the name.")
    kind: OrganisationKind | None = strawberry.field(default=None, description="Default OTHER.")
    country: str | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 code of its home country."
    )
    website: str | None = None
    description: str | None = None


@strawberry.input(description="Changes to an organisation; omitted fields stay as they are.")
class OrganisationUpdateInput:
    id: strawberry.ID
    row_version: int = strawberry.field(description="The rowVersion you read.")
    name: str | None = strawberry.UNSET
    kind: OrganisationKind | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class OrganisationDeleteInput:
    id: strawberry.ID
    row_version: int


@strawberry.type
class OrganisationPayload:
    organisation: Organisation | None = strawberry.field(
        description="The organisation after the change."
    )
    user_errors: list[UserError]


OrganisationCreatePayload = named(OrganisationPayload, "OrganisationCreatePayload")
OrganisationUpdatePayload = named(OrganisationPayload, "OrganisationUpdatePayload")


@strawberry.type
class OrganisationDeletePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


def _fields(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(data, n) for n in names if getattr(data, n) is not strawberry.UNSET}


_run = row_payload("organisation", organisation_repo.ORGANISATION_BY_ID, Organisation)


@strawberry.type
class OrganisationMutations:
    @writes(
        OrganisationCreatePayload,
        _run,
        permission_classes=ADMIN,
        description="Add an organisation.",
    )
    async def organisation_create(
        self, info: Info, input: OrganisationCreateInput, session: AsyncSession
    ) -> int:
        created = await service.create(
            session,
            _actor(info),
            name=input.name,
            slug=input.slug,
            kind=input.kind,
            country=input.country,
            website=input.website,
            description=input.description,
        )
        return created.id

    @writes(
        OrganisationUpdatePayload,
        _run,
        permission_classes=ADMIN,
        description="Edit an organisation.",
    )
    async def organisation_update(
        self, info: Info, input: OrganisationUpdateInput, session: AsyncSession
    ) -> int:
        updated = await service.update(
            session,
            _actor(info),
            organisation_id=pk_of(input.id, "Organisation", "id"),
            row_version=input.row_version,
            fields=_fields(input, ("name", "kind", "country", "website", "description")),
        )
        return updated.id

    @writes(
        OrganisationDeletePayload,
        deleted,
        permission_classes=ADMIN,
        description="Delete an organisation without users, clients, grants or memberships.",
    )
    async def organisation_delete(
        self, info: Info, input: OrganisationDeleteInput, session: AsyncSession
    ) -> strawberry.ID:
        await service.delete(
            session,
            _actor(info),
            organisation_id=pk_of(input.id, "Organisation", "id"),
            row_version=input.row_version,
        )
        return input.id
