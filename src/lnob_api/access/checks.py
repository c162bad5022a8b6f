"""Write checks: may this principal change this coalition's records? Raise Forbidden if not.

Scopes are checked at the GraphQL field (``graphql.permissions``); these are the role rules.
"""

from __future__ import annotations

from lnob_api.auth.principal import Principal, Scope
from lnob_api.errors import Forbidden
from lnob_api.models.enums import CoalitionRole


def require_scope(principal: Principal, scope: Scope) -> None:
    if not principal.has_scope(scope):
        raise Forbidden(f"this needs a token with the {scope.value} scope")


def require_role(principal: Principal, coalition_id: int, minimum: CoalitionRole) -> None:
    """The principal holds ``minimum`` (or stronger) in the coalition, as a user."""
    if coalition_id not in principal.coalitions_with_role(minimum):
        raise Forbidden(f"this needs the {minimum.value} role in the coalition")


def require_partnership_admin(principal: Principal) -> None:
    if not principal.acts_as_partnership_admin:
        raise Forbidden("this needs a partnership admin with the partnership:admin scope")


def can_admin_coalition(principal: Principal, coalition_id: int) -> bool:
    """Coalition admins (with coalition:admin) and partnership admins manage a coalition."""
    if principal.acts_as_partnership_admin:
        return True
    return principal.has_scope(Scope.COALITION_ADMIN) and coalition_id in (
        principal.coalitions_with_role(CoalitionRole.ADMIN)
    )


def require_coalition_admin(principal: Principal, coalition_id: int) -> None:
    if not can_admin_coalition(principal, coalition_id):
        raise Forbidden("this needs the ADMIN role in the coalition and the coalition:admin scope")
