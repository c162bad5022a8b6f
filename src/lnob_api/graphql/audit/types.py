"""GraphQL type: AuditEvent (read-only: no mutation changes or deletes one)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from lnob_api.audit import repository as audit_repo
from lnob_api.graphql import links
from lnob_api.graphql.node import Node, entity


@entity(audit_repo.AUDIT_EVENTS)
@strawberry.type(description="Who did what to which record, when, with before and after values.")
class AuditEvent(Node):
    pk: strawberry.Private[int]
    occurred_at: datetime
    user_id: strawberry.Private[int | None]
    client_id: str | None = strawberry.field(description="The OAuth client used.")
    action: str = strawberry.field(description="What happened, e.g. dataset.publish.")
    entity_type: str
    entity_id: str = strawberry.field(description="The record's key in its table.")
    coalition_id: strawberry.Private[int | None]
    before: JSON | None = strawberry.field(description="Values before the change.")
    after: JSON | None = strawberry.field(description="Values after the change.")
    request_id: str | None

    @strawberry.field(description="The acting user's id (users have no public profile).")
    def user(self) -> int | None:
        return self.user_id

    coalition = links.coalition()
