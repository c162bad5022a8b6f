"""Publication mutations: create, update, set visibility, delete."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.graphql.context import Info
from lnob_api.graphql.enums import PublicationKind, Visibility
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import UserError, deleted, named, row_payload, writes
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.permissions import requires, requires_any
from lnob_api.graphql.publication.types import Publication
from lnob_api.publication import repository as publication_repo
from lnob_api.publication import service

WRITE = [requires(Scope.DATA_WRITE)]
GOVERN = [requires_any(Scope.COALITION_ADMIN, Scope.PARTNERSHIP_ADMIN)]
FIELDS = ("title", "description", "language", "published_on", "file_url")


@strawberry.input(
    description="A new publication of a coalition, or of the partnership when coalition is null."
)
class PublicationCreateInput:
    coalition: str | None = strawberry.field(
        description="Country code of the owning coalition; null for a partnership-wide one"
        " (partnership admins)."
    )
    kind: PublicationKind
    title: str
    slug: str | None = strawberry.field(default=None, description="Default: from the title.")
    description: str | None = None
    language: str | None = strawberry.field(default=None, description="Default en.")
    published_on: date | None = None
    file_url: str | None = None
    visibility: Visibility | None = strawberry.field(
        default=None, description="Default COALITION; other levels need a coalition admin."
    )
    coalitions: list[str] | None = strawberry.field(
        default=None, description="Country codes of the coalitions it is about (default: owner)."
    )
    targets: list[str] | None = strawberry.field(default=None, description="SDG target codes.")
    datasets: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Datasets it draws on (ones you can see)."
    )


@strawberry.input(description="Changes to a publication; omitted fields stay as they are.")
class PublicationUpdateInput:
    id: strawberry.ID
    row_version: int = strawberry.field(description="The rowVersion you read.")
    kind: PublicationKind | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    published_on: date | None = strawberry.UNSET
    file_url: str | None = strawberry.UNSET
    coalitions: list[str] | None = strawberry.UNSET
    targets: list[str] | None = strawberry.UNSET
    datasets: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input
class PublicationSetVisibilityInput:
    id: strawberry.ID
    row_version: int
    visibility: Visibility


@strawberry.input
class PublicationDeleteInput:
    id: strawberry.ID
    row_version: int


@strawberry.type
class PublicationPayload:
    publication: Publication | None = strawberry.field(
        description="The publication after the change."
    )
    user_errors: list[UserError]


PublicationCreatePayload = named(PublicationPayload, "PublicationCreatePayload")
PublicationUpdatePayload = named(PublicationPayload, "PublicationUpdatePayload")
PublicationSetVisibilityPayload = named(PublicationPayload, "PublicationSetVisibilityPayload")


@strawberry.type
class PublicationDeletePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


def _set(value: Any) -> bool:
    return value is not strawberry.UNSET and value is not None


def _fields(data: Any) -> dict[str, Any]:
    fields = {n: getattr(data, n) for n in FIELDS if getattr(data, n) is not strawberry.UNSET}
    if getattr(data, "kind", None) is not strawberry.UNSET:
        fields["kind"] = data.kind
    return fields


def _links(data: Any) -> service.Links:
    """Omitted (or null) link lists stay as they are; a list replaces them."""
    datasets = None
    if _set(data.datasets):
        datasets = [pk_of(d, "Dataset", f"datasets.{i}") for i, d in enumerate(data.datasets)]
    return service.Links(
        coalitions=data.coalitions if _set(data.coalitions) else None,
        targets=data.targets if _set(data.targets) else None,
        datasets=datasets,
    )


_run = row_payload("publication", publication_repo.PUBLICATION_BY_ID, Publication)


@strawberry.type
class PublicationMutations:
    @writes(
        PublicationCreatePayload,
        _run,
        permission_classes=WRITE,
        description="Create a publication. Editors of the owning coalition; partnership admins"
        " for a partnership-wide one.",
    )
    async def publication_create(
        self, info: Info, input: PublicationCreateInput, session: AsyncSession
    ) -> int:
        fields = _fields(input)
        kind = fields.pop("kind")
        created = await service.create(
            session,
            _actor(info),
            coalition_code=input.coalition,
            kind=kind,
            fields={k: v for k, v in fields.items() if v is not None or k == "title"},
            slug=input.slug,
            visibility=input.visibility,
            links=_links(input),
        )
        return created.id

    @writes(
        PublicationUpdatePayload,
        _run,
        permission_classes=WRITE,
        description="Edit a publication.",
    )
    async def publication_update(
        self, info: Info, input: PublicationUpdateInput, session: AsyncSession
    ) -> int:
        updated = await service.update(
            session,
            _actor(info),
            publication_id=pk_of(input.id, "Publication", "id"),
            row_version=input.row_version,
            fields=_fields(input),
            links=_links(input),
        )
        return updated.id

    @writes(
        PublicationSetVisibilityPayload,
        _run,
        permission_classes=GOVERN,
        description="Set who sees a publication. Admins of its coalition; partnership admins"
        " for a partnership-wide one.",
    )
    async def publication_set_visibility(
        self, info: Info, input: PublicationSetVisibilityInput, session: AsyncSession
    ) -> int:
        done = await service.set_visibility(
            session,
            _actor(info),
            publication_id=pk_of(input.id, "Publication", "id"),
            row_version=input.row_version,
            visibility=input.visibility,
        )
        return done.id

    @writes(
        PublicationDeletePayload,
        deleted,
        permission_classes=WRITE,
        description="Delete a publication.",
    )
    async def publication_delete(
        self, info: Info, input: PublicationDeleteInput, session: AsyncSession
    ) -> strawberry.ID:
        await service.delete(
            session,
            _actor(info),
            publication_id=pk_of(input.id, "Publication", "id"),
            row_version=input.row_version,
        )
        return input.id
