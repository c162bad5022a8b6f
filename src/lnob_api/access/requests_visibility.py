"""Who sees access requests and notifications, as SQL predicates (like ``visibility``).

- An access request is seen by its requester and by those who administer the dataset's
  coalition (coalition admins with ``coalition:admin``, partnership admins with
  ``partnership:admin``; the same rule as ``checks.can_admin_coalition``).
- A notification is seen by its recipient only.

A user's token also names the frontend client it came through (``client_pk``): that client is
not the requester or recipient, so users are matched by user id only and clients only when no
user is acting.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.models.tables import access_requests, notifications


def _is_machine(principal: Principal) -> bool:
    return principal.kind is PrincipalKind.CLIENT and principal.client_pk is not None


def requested_by(principal: Principal, table: sa.Table = access_requests) -> ColumnElement[bool]:
    """Access requests the principal filed itself."""
    if principal.user_id is not None:
        return table.c.requester_user_id == principal.user_id
    if _is_machine(principal):
        return visibility.all_of(
            table.c.requester_client_id == principal.client_pk,
            table.c.requester_user_id.is_(None),
        )
    return sa.false()


def administered_by(principal: Principal, table: sa.Table = access_requests) -> ColumnElement[bool]:
    """Access requests to coalitions the principal administers."""
    return visibility.administers(principal, table.c.coalition_id)


def access_request_visible(
    principal: Principal, table: sa.Table = access_requests
) -> ColumnElement[bool]:
    """Access requests the principal may see: its own, and its coalitions' as an admin."""
    if principal.is_anonymous:
        return sa.false()
    return visibility.any_of(requested_by(principal, table), administered_by(principal, table))


def notification_visible(
    principal: Principal, table: sa.Table = notifications
) -> ColumnElement[bool]:
    """Notifications addressed to the principal."""
    if principal.user_id is not None:
        return table.c.recipient_user_id == principal.user_id
    if _is_machine(principal):
        return table.c.recipient_client_id == principal.client_pk
    return sa.false()
