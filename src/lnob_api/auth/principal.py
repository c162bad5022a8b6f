"""Who is asking: anonymous, a user, or an OAuth client, with what scopes and memberships."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lnob_api.models.enums import CoalitionRole


class Scope(StrEnum):
    DATA_READ = "data:read"
    DATA_WRITE = "data:write"
    COALITION_ADMIN = "coalition:admin"
    PARTNERSHIP_ADMIN = "partnership:admin"


class PrincipalKind(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    USER = "USER"
    CLIENT = "CLIENT"


_RANK = {CoalitionRole.VIEWER: 1, CoalitionRole.EDITOR: 2, CoalitionRole.ADMIN: 3}


@dataclass(frozen=True, slots=True)
class Principal:
    """The resolved caller. Built once per request from a validated token (or nothing).

    ``member_coalition_ids`` are the coalitions whose data the principal sees as an insider:
    for a user, those where they hold a role; for a client, those its organisation belongs to.
    ``is_partner`` is true when one of the principal's organisations belongs to some coalition.
    """

    kind: PrincipalKind = PrincipalKind.ANONYMOUS
    user_id: int | None = None
    client_pk: int | None = None
    client_id: str | None = None
    organisation_ids: frozenset[int] = frozenset()
    coalition_roles: dict[int, CoalitionRole] = field(default_factory=dict)
    member_coalition_ids: frozenset[int] = frozenset()
    is_partner: bool = False
    is_partnership_admin: bool = False
    scopes: frozenset[str] = frozenset()

    @property
    def is_anonymous(self) -> bool:
        return self.kind is PrincipalKind.ANONYMOUS

    def has_scope(self, scope: Scope) -> bool:
        return scope.value in self.scopes

    @property
    def acts_as_partnership_admin(self) -> bool:
        """A partnership admin acting as one: the user is flagged and the token carries
        partnership:admin. The one test of that role; the flag alone grants nothing."""
        return self.is_partnership_admin and self.has_scope(Scope.PARTNERSHIP_ADMIN)

    def has_scope_for_audit(self) -> bool:
        return self.has_scope(Scope.COALITION_ADMIN) or self.has_scope(Scope.PARTNERSHIP_ADMIN)

    def coalitions_with_role(self, minimum: CoalitionRole) -> frozenset[int]:
        """Coalitions where the principal holds ``minimum`` or a stronger role."""
        need = _RANK[minimum]
        return frozenset(c for c, r in self.coalition_roles.items() if _RANK[r] >= need)

    def sees_inside(self, coalition_id: int) -> bool:
        """True when the principal sees the coalition's data unsuppressed."""
        return coalition_id in self.member_coalition_ids


ANONYMOUS = Principal()
