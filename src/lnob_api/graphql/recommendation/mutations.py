"""Recommendation mutations: create, update, respond, set the status."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.declare.statistics import RECOMMENDATION, RECOMMENDATION_RESPONSE
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import (
    Declared,
    create_input,
    created,
    edited,
    nested_input,
    on_row,
    update_input,
)
from lnob_api.graphql.enums import Visibility
from lnob_api.graphql.ids_input import Versioned, pk_of
from lnob_api.graphql.mutations import WRITE, calls, payload, writes
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.recommendation.types import Recommendation, RecommendationResponse
from lnob_api.models.evidence import RecommendationStatus
from lnob_api.recommendation import service

AuthorityInput = nested_input(
    RECOMMENDATION,
    "authority",
    "AuthorityInput",
    "The authority a recommendation is addressed to.",
)
# The recommendation's nested inputs (declare.statistics: Edit.within).
_NESTED = {"authority": AuthorityInput}


@strawberry.input(description="A new recommendation from a publication and/or a dataset.")
@create_input(RECOMMENDATION, _NESTED)  # the declared fields (declare.statistics), then these
class RecommendationCreateInput:
    coalition: str = strawberry.field(description="Country code of the owning coalition.")
    declared: ClassVar[Declared]
    targets: list[str] | None = strawberry.field(default=None, description="SDG target codes.")
    visibility: Visibility | None = strawberry.field(
        default=None, description="Default COALITION; other levels need a coalition admin."
    )


@strawberry.input(description="Changes to a recommendation; omitted fields stay as they are.")
@update_input(RECOMMENDATION, _NESTED)  # id, rowVersion, the declared fields, then these
class RecommendationUpdateInput:
    targets: list[str] | None = strawberry.UNSET
    visibility: Visibility | None = strawberry.field(
        default=None, description="A change needs a coalition admin."
    )


@strawberry.input(description="An authority's response; it may move the status too.")
@create_input(RECOMMENDATION_RESPONSE)  # the declared fields (declare.statistics) after ``id``
class RecommendationRespondInput:
    id: strawberry.ID = strawberry.field(description="The recommendation.")
    declared: ClassVar[Declared]
    status: RecommendationStatus | None = strawberry.field(
        default=None, description="Move the status as of the response's date."
    )
    status_note: str = ""
    row_version: int | None = strawberry.field(
        default=None, description="When given, refused if the recommendation changed since."
    )


@strawberry.input(description="A change of a recommendation's status.")
class RecommendationSetStatusInput(Versioned):
    status: RecommendationStatus
    changed_on: date | None = strawberry.field(default=None, description="Default: today.")
    note: str = ""


RecommendationCreatePayload = payload("RecommendationCreatePayload", recommendation=Recommendation)
RecommendationUpdatePayload = payload("RecommendationUpdatePayload", recommendation=Recommendation)
RecommendationRespondPayload = payload(
    "RecommendationRespondPayload",
    recommendation=Recommendation,
    response=RecommendationResponse,
)
RecommendationSetStatusPayload = payload(
    "RecommendationSetStatusPayload", recommendation=Recommendation
)


@strawberry.type
class RecommendationMutations:
    recommendation_create = calls(
        service.create,
        RecommendationCreateInput,
        RecommendationCreatePayload,
        permission_classes=WRITE,
        description="Record a recommendation to an authority (status OPEN). Coalition editors.",
        args=lambda i: {"fields": created(RECOMMENDATION, i)},
    )

    recommendation_update = on_row(
        RECOMMENDATION,
        service.update,
        RecommendationUpdateInput,
        RecommendationUpdatePayload,
        permission_classes=WRITE,
        description="Edit a recommendation.",
        args=lambda i: {
            "fields": edited(RECOMMENDATION, i),
            "target_codes": None if i.targets is strawberry.UNSET else (i.targets or []),
        },
    )

    @writes(
        RecommendationRespondPayload,
        permission_classes=WRITE,
        description="Record the authority's response (date, text, commitment); with status, "
        "move the recommendation's status as of the response's date.",
    )
    async def recommendation_respond(
        self, info: Info, input: RecommendationRespondInput, session: AsyncSession
    ) -> dict[str, int]:
        rec, response = await service.respond(
            session,
            _actor(info),
            recommendation_id=pk_of(input.id, "Recommendation", "id"),
            row_version=input.row_version,
            fields=created(RECOMMENDATION_RESPONSE, input),
            status=input.status,
            status_note=input.status_note,
        )
        return {"recommendation": rec.id, "response": response.id}

    recommendation_set_status = on_row(
        RECOMMENDATION,
        service.set_status,
        RecommendationSetStatusInput,
        RecommendationSetStatusPayload,
        permission_classes=WRITE,
        description="Change a recommendation's status (added to its status history).",
    )
