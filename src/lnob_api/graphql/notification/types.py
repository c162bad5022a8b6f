"""GraphQL type: Notification."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from lnob_api.access_request import repository as access_request_repo
from lnob_api.declare.entities import NOTIFICATION
from lnob_api.graphql.declared import declared_node
from lnob_api.graphql.lazy import AccessRequest as _AccessRequest
from lnob_api.graphql.linked import to_one
from lnob_api.graphql.node import Node
from lnob_api.models import NotificationKind
from lnob_api.notification import repository as notification_repo

strawberry.enum(NotificationKind, description="What a notification is about.")


@declared_node(notification_repo.NOTIFICATIONS, NOTIFICATION)
class Notification(Node):
    if TYPE_CHECKING:  # what the resolvers read, as mypy sees it (not a GraphQL field)
        read_at: datetime | None

    @strawberry.field(description="Whether you marked it read.")
    def read(self) -> bool:
        return self.read_at is not None

    access_request = to_one(
        access_request_repo.ACCESS_REQUEST_BY_ID,
        "access_request_id",
        _AccessRequest,
        description="The access request it is about, if you still see it.",
    )
