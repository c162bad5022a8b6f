"""Root field: notifications (the viewer's own)."""

from __future__ import annotations

import strawberry

from lnob_api.graphql.context import Info
from lnob_api.graphql.loading import root_page
from lnob_api.graphql.notification.types import Notification
from lnob_api.graphql.pagination import Connection
from lnob_api.graphql.permissions import SignedIn
from lnob_api.notification import repository as notification_repo


@strawberry.type
class NotificationQueries:
    @strawberry.field(
        permission_classes=[SignedIn],
        description="Your notifications (as a user, or as a machine client), newest first.",
    )
    async def notifications(
        self,
        info: Info,
        unread_only: bool | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Notification]:
        return await root_page(
            info,
            notification_repo.NOTIFICATIONS,
            Notification,
            where=notification_repo.filters(unread_only=bool(unread_only)),
            first=first,
            after=after,
            last=last,
            before=before,
        )
