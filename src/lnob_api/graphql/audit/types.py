"""GraphQL type: AuditEvent (read-only: no mutation changes or deletes one)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from lnob_api.audit import repository as audit_repo
from lnob_api.declare.more import AUDIT_EVENT
from lnob_api.graphql import links
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.node import Node


@declared_node(audit_repo.AUDIT_EVENTS, AUDIT_EVENT)
class AuditEvent(Node):
    before: JSON | None = strawberry.field(description="Values before the change.")
    after: JSON | None = strawberry.field(description="Values after the change.")
    request_id: str | None

    @strawberry.field(description="The acting user's id (users have no public profile).")
    def user(self) -> int | None:
        user_id: int | None = getattr(self, "user_id")  # noqa: B009 - declared, private
        return user_id

    coalition = links.coalition()
