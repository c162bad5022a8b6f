"""Custom indicator mutations: a coalition's editors define and edit community indicators."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Scope
from lnob_api.graphql.context import Info
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import UserError, named, row_payload, writes
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.permissions import requires
from lnob_api.graphql.sdg.types import Indicator
from lnob_api.sdg import repository as sdg_repo
from lnob_api.sdg import service

WRITE = [requires(Scope.DATA_WRITE)]


@strawberry.input(description="A coalition's own indicator; its code (KE-C-0001) is assigned.")
class CustomIndicatorCreateInput:
    coalition: str = strawberry.field(description="Country code of the owning coalition.")
    target: str = strawberry.field(description="The SDG target it monitors, e.g. 1.2.")
    title: str
    unit: str | None = strawberry.field(default=None, description="e.g. PERCENT, NUMBER.")
    description: str | None = None


@strawberry.input(description="Changes to a custom indicator; omitted fields stay as they are.")
class CustomIndicatorUpdateInput:
    id: strawberry.ID
    row_version: int = strawberry.field(description="The rowVersion you read.")
    target: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    unit: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.type
class CustomIndicatorPayload:
    indicator: Indicator | None = strawberry.field(description="The indicator after the change.")
    user_errors: list[UserError]


CustomIndicatorCreatePayload = named(CustomIndicatorPayload, "CustomIndicatorCreatePayload")
CustomIndicatorUpdatePayload = named(CustomIndicatorPayload, "CustomIndicatorUpdatePayload")


_run = row_payload("indicator", sdg_repo.INDICATOR_BY_ID, Indicator)


@strawberry.type
class CustomIndicatorMutations:
    @writes(
        CustomIndicatorCreatePayload,
        _run,
        permission_classes=WRITE,
        description="Define a coalition's custom indicator. Editors.",
    )
    async def custom_indicator_create(
        self, info: Info, input: CustomIndicatorCreateInput, session: AsyncSession
    ) -> int:
        created = await service.create_custom(
            session,
            _actor(info),
            coalition_code=input.coalition,
            fields={
                "target_code": input.target,
                "title": input.title,
                "unit": input.unit,
                "description": input.description,
            },
        )
        return created.id

    @writes(
        CustomIndicatorUpdatePayload,
        _run,
        permission_classes=WRITE,
        description="Edit a custom indicator. Editors; global SDG indicators are read-only.",
    )
    async def custom_indicator_update(
        self, info: Info, input: CustomIndicatorUpdateInput, session: AsyncSession
    ) -> int:
        fields = {
            name: value
            for name, value in (
                ("target_code", input.target),
                ("title", input.title),
                ("unit", input.unit),
                ("description", input.description),
            )
            if value is not strawberry.UNSET
        }
        updated = await service.update_custom(
            session,
            _actor(info),
            indicator_id=pk_of(input.id, "Indicator", "id"),
            row_version=input.row_version,
            fields=fields,
        )
        return updated.id
