"""Root field: notifications (the viewer's own)."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.notification.types import Notification
from lnob_api.graphql.permissions import SignedIn
from lnob_api.notification import repository as notification_repo


def _notifications(unread_only: bool | None = None) -> Slice:
    return Slice(where=notification_repo.filters(unread_only=bool(unread_only)))


@strawberry.type
class NotificationQueries:
    notifications = connection(
        notification_repo.NOTIFICATIONS,
        Notification,
        select=_notifications,
        permission_classes=[SignedIn],
        description="Your notifications (as a user, or as a machine client), newest first.",
    )
