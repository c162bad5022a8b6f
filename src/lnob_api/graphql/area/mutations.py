"""Local area mutations: a coalition's editors register and rename local areas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import strawberry

from lnob_api.area import service
from lnob_api.declare.entities import AREA
from lnob_api.errors import InvalidInput
from lnob_api.graphql.area.types import Area
from lnob_api.graphql.declared import (
    Declared,
    create_input,
    created,
    edited,
    row_payloads,
    update_input,
)
from lnob_api.graphql.ids import from_global_id
from lnob_api.graphql.mutations import WRITE, calls


@strawberry.input(description="A ward, village or other local area of a coalition.")
@create_input(AREA)  # then the declared fields (declare.entities)
class LocalAreaCreateInput:
    coalition: str = strawberry.field(description="Country code of the registering coalition.")
    parent: str = strawberry.field(
        description="Code of the subdivision (or local area) it lies in, e.g. KE-30."
    )
    code: str = strawberry.field(
        description="Its own part of the code, upper-case letters and digits: W001 makes"
        " KE-30-W001."
    )


@strawberry.input(description="Changes to a local area; omitted fields stay as they are.")
@update_input(AREA)  # id, then updatedAt, then the declared fields
class LocalAreaUpdateInput:
    updated_at: datetime = strawberry.field(description="The updatedAt you read.")
    declared: ClassVar[Declared]


LocalAreaCreatePayload, LocalAreaUpdatePayload = row_payloads(
    Area, "area", "Create", "Update", prefix="LocalArea"
)


def _code_of(global_id: str) -> str:
    type_name, key = from_global_id(str(global_id), "id")
    if type_name != "Area":
        raise InvalidInput("id", f"{global_id!r} is not an Area id", code="INVALID_ID")
    return key


def _area_code(done: Any) -> str:
    return str(done.code)


@strawberry.type
class LocalAreaMutations:
    local_area_create = calls(
        service.create_local,
        LocalAreaCreateInput,
        LocalAreaCreatePayload,
        permission_classes=WRITE,
        description="Register a local area. Coalition editors.",
        args=lambda i: {"fields": created(AREA, i, every=True)},
        returns=_area_code,
    )
    local_area_update = calls(
        service.update_local,
        LocalAreaUpdateInput,
        LocalAreaUpdatePayload,
        permission_classes=WRITE,
        description="Rename a local area or change its kind. Editors of its coalition.",
        args=lambda i: {
            "code": _code_of(getattr(i, "id")),  # noqa: B009 - a generated field
            "fields": edited(AREA, i),
        },
        returns=_area_code,
    )
