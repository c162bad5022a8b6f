"""Root field: auditEvents (coalition admins: their coalitions; partnership admins: all)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from lnob_api.audit import repository as audit_repo
from lnob_api.audit import service as audit_service
from lnob_api.declare.more import AUDIT_EVENT
from lnob_api.errors import Forbidden
from lnob_api.graphql import passed
from lnob_api.graphql.audit.types import AuditEvent
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.context import Info
from lnob_api.graphql.declared import filters
from lnob_api.graphql.permissions import SignedIn


@strawberry.input(description="Conditions on audit events; all given ones must hold.")
@filters(AUDIT_EVENT)  # then the declared ones (declare.more)
class AuditEventFilter:
    coalition: str | None = strawberry.field(default=None, description="Coalition country code.")
    entity_type: str | None = strawberry.field(default=None, description="e.g. Dataset.")
    entity_id: str | None = None
    action: str | None = strawberry.field(default=None, description="e.g. dataset.publish.")
    since: datetime | None = None
    until: datetime | None = None


_where = passed.where(audit_repo.filters, AuditEventFilter)


async def _audit_events(info: Info, filter: AuditEventFilter | None = None) -> Slice:
    principal = info.context.principal
    if not (principal.has_scope_for_audit()):
        raise Forbidden("this needs the coalition:admin or partnership:admin scope")
    f = filter or AuditEventFilter()
    coalition_ids = await audit_service.coalition_ids(info.context.db, principal, f.coalition)
    return Slice(where=_where(f, coalition_ids=coalition_ids))


@strawberry.type
class AuditQueries:
    audit_events = connection(
        audit_repo.AUDIT_EVENTS,
        AuditEvent,
        select=_audit_events,
        permission_classes=[SignedIn],
        description="The audit log, newest first. Coalition admins (coalition:admin scope) see "
        "their coalitions' events; partnership admins (partnership:admin) see all.",
    )
