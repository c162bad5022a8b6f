"""Notification mutation: mark some of your notifications read.

Not written to the audit log: it changes only the caller's own inbox, no shared record.
"""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.graphql.context import Info
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.loading import load_many
from lnob_api.graphql.mutations import UserError, mutate
from lnob_api.graphql.notification.types import Notification
from lnob_api.graphql.permissions import SignedIn
from lnob_api.notification import repository as notification_repo
from lnob_api.notification import service


@strawberry.input
class NotificationMarkReadInput:
    ids: list[strawberry.ID] = strawberry.field(description="Your notifications (at most 100).")


@strawberry.type
class NotificationMarkReadPayload:
    notifications: list[Notification] = strawberry.field(
        description="The notifications marked read."
    )
    user_errors: list[UserError]


def _pks(ids: list[strawberry.ID]) -> list[int]:
    keys: list[int] = []
    problems: list[InvalidInput] = []
    for i, global_id in enumerate(ids):
        try:
            keys.append(pk_of(global_id, "Notification", f"ids.{i}"))
        except InvalidInput as problem:
            problems.append(problem)
    if problems:
        raise ValidationFailed(problems)
    return keys


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        permission_classes=[SignedIn],
        description="Mark your notifications read (marking one twice keeps the first time).",
    )
    async def notification_mark_read(
        self, info: Info, input: NotificationMarkReadInput
    ) -> NotificationMarkReadPayload:
        async def work(session: AsyncSession) -> list[int]:
            return await service.mark_read(session, info.context.principal, _pks(input.ids))

        marked, errors = await mutate(info, work)
        found = await load_many(
            info, notification_repo.NOTIFICATION_BY_ID, marked or [], Notification
        )
        return NotificationMarkReadPayload(
            notifications=[n for n in found if n is not None], user_errors=errors
        )
