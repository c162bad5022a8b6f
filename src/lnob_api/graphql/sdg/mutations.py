"""Custom indicator mutations: a coalition's editors define and edit community indicators."""

from __future__ import annotations

import strawberry

from lnob_api.declare.entities import INDICATOR
from lnob_api.graphql.declared import create_input, created, on_row, row_payloads, update_input
from lnob_api.graphql.mutations import WRITE, calls
from lnob_api.graphql.sdg.types import Indicator
from lnob_api.sdg import service


@strawberry.input(description="A coalition's own indicator; its code (KE-C-0001) is assigned.")
@create_input(INDICATOR)  # the declared fields (declare.entities)
class CustomIndicatorCreateInput:
    coalition: str = strawberry.field(description="Country code of the owning coalition.")


@strawberry.input(description="Changes to a custom indicator; omitted fields stay as they are.")
@update_input(INDICATOR)
class CustomIndicatorUpdateInput:
    pass


CustomIndicatorCreatePayload, CustomIndicatorUpdatePayload = row_payloads(
    Indicator, "indicator", "Create", "Update", prefix="CustomIndicator"
)


@strawberry.type
class CustomIndicatorMutations:
    custom_indicator_create = calls(
        service.create_custom,
        CustomIndicatorCreateInput,
        CustomIndicatorCreatePayload,
        permission_classes=WRITE,
        description="Define a coalition's custom indicator. Editors.",
        args=lambda i: {
            "fields": created(INDICATOR, i, every=True),
        },
    )

    custom_indicator_update = on_row(
        INDICATOR,
        service.update_custom,
        CustomIndicatorUpdateInput,
        CustomIndicatorUpdatePayload,
        permission_classes=WRITE,
        description="Edit a custom indicator. Editors; global SDG indicators are read-only.",
        edits=True,
    )
