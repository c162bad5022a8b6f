"""GraphQL type: Grant (as the admins of the granting coalition see it)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import ClassVar

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.declare.accounts import GRANT
from lnob_api.grant.service import GrantRecord, grant_status
from lnob_api.graphql import lazy, links
from lnob_api.graphql.declared import Declared, declared
from lnob_api.graphql.ids import global_id
from lnob_api.graphql.linked import to_one
from lnob_api.graphql.node import copied
from lnob_api.organisation import repository as organisation_repo


@strawberry.enum(description="Whether a grant gives access now.")
class GrantStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@strawberry.type(description=GRANT.description)
@declared(GRANT)
class Grant:
    id: strawberry.ID
    coalition_code: strawberry.Private[str]
    organisation_slug: strawberry.Private[str | None]
    # the client's public id (a join), not the grant's ``client_id`` column (its key)
    client_id: str | None = strawberry.field(
        description="The OAuth client granted (its public client id), when the grantee is one."
    )
    declared: ClassVar[Declared]
    status: GrantStatus

    @classmethod
    def from_record(cls, record: GrantRecord) -> Grant:
        return copied(
            cls,
            record,
            id=global_id("Grant", record.id),
            status=GrantStatus(grant_status(record, datetime.now(UTC)).value.upper()),
        )

    coalition = to_one(
        coalition_repo.COALITION_BY_CODE,
        "coalition_code",
        lazy.Coalition,
        required=True,
        description="The granting coalition.",
    )

    dataset = links.dataset(description="The dataset opened; null for all of the coalition's data.")

    organisation = to_one(
        organisation_repo.ORGANISATION_BY_SLUG,
        "organisation_slug",
        lazy.Organisation,
        description="The organisation granted, when the grantee is one.",
    )
