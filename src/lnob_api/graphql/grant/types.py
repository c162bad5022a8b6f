"""GraphQL type: Grant (as the admins of the granting coalition see it)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.grant.service import GrantRecord, grant_status
from lnob_api.graphql.context import Info
from lnob_api.graphql.ids import to_global_id
from lnob_api.graphql.loading import load_one
from lnob_api.organisation import repository as organisation_repo

if TYPE_CHECKING:
    from lnob_api.graphql.coalition.types import Coalition
    from lnob_api.graphql.dataset.types import Dataset
    from lnob_api.graphql.organisation.types import Organisation

_Coalition = Annotated["Coalition", strawberry.lazy("lnob_api.graphql.coalition.types")]
_Dataset = Annotated["Dataset", strawberry.lazy("lnob_api.graphql.dataset.types")]
_Organisation = Annotated["Organisation", strawberry.lazy("lnob_api.graphql.organisation.types")]


@strawberry.enum(description="Whether a grant gives access now.")
class GrantStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@strawberry.type(
    description="Access to one dataset, or to all of a coalition's data, opened to an"
    " organisation or an OAuth client, optionally until a moment."
)
class Grant:
    id: strawberry.ID
    coalition_code: strawberry.Private[str]
    dataset_id: strawberry.Private[int | None]
    organisation_slug: strawberry.Private[str | None]
    client_id: str | None = strawberry.field(
        description="The OAuth client granted (its public client id), when the grantee is one."
    )
    expires_at: datetime | None
    revoked_at: datetime | None
    note: str
    created_at: datetime
    status: GrantStatus

    @classmethod
    def from_record(cls, record: GrantRecord) -> Grant:
        return cls(
            id=strawberry.ID(to_global_id("Grant", record.id)),
            coalition_code=record.coalition_code,
            dataset_id=record.dataset_id,
            organisation_slug=record.organisation_slug,
            client_id=record.client_id,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
            note=record.note,
            created_at=record.created_at,
            status=GrantStatus(grant_status(record, datetime.now(UTC)).value.upper()),
        )

    @strawberry.field(description="The granting coalition.")
    async def coalition(self, info: Info) -> _Coalition:
        from lnob_api.graphql.coalition.types import Coalition

        found = await load_one(
            info, coalition_repo.COALITION_BY_CODE, self.coalition_code, Coalition
        )
        assert found is not None  # coalitions are public reference rows
        return found

    @strawberry.field(description="The dataset opened; null for all of the coalition's data.")
    async def dataset(self, info: Info) -> _Dataset | None:
        from lnob_api.graphql.dataset.types import Dataset

        return await load_one(info, dataset_repo.DATASET_BY_ID, self.dataset_id, Dataset)

    @strawberry.field(description="The organisation granted, when the grantee is one.")
    async def organisation(self, info: Info) -> _Organisation | None:
        from lnob_api.graphql.organisation.types import Organisation

        return await load_one(
            info, organisation_repo.ORGANISATION_BY_SLUG, self.organisation_slug, Organisation
        )
