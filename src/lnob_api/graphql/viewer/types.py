"""GraphQL type: Viewer (the principal behind the request)."""

from __future__ import annotations

import strawberry

from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.coalition import repository as coalition_repo
from lnob_api.graphql import links
from lnob_api.graphql.context import Info
from lnob_api.graphql.enums import CoalitionRole
from lnob_api.graphql.lazy import Coalition as _Coalition
from lnob_api.graphql.loading import load_many
from lnob_api.graphql.node import copied

# The principal's own kinds, as a GraphQL enum (registered in place, as graphql.enums does).
strawberry.enum(PrincipalKind, description="What kind of caller a token stands for.")


@strawberry.type(description="A role the viewer holds in a coalition.")
class ViewerRole:
    coalition_id: strawberry.Private[int]
    role: CoalitionRole

    coalition = links.coalition(required=True)


@strawberry.type(description="Who the request's token stands for, and what it may do.")
class Viewer:
    kind: PrincipalKind
    scopes: list[str] = strawberry.field(description="Scopes the token carries, as granted.")
    client_id: str | None = strawberry.field(description="The OAuth client that got the token.")
    user_id: strawberry.Private[int | None]
    name: str | None = strawberry.field(description="The user's name, for a user token.")
    email: str | None
    is_partnership_admin: bool
    roles: list[ViewerRole] = strawberry.field(description="Coalition roles (users only).")
    member_coalition_ids: strawberry.Private[frozenset[int]]

    @classmethod
    def of(cls, principal: Principal, *, name: str | None, email: str | None) -> Viewer:
        """The viewer a principal is: its fields of the same names (scopes sorted), its roles
        by coalition id, and the user's ``name`` and ``email``."""
        roles = sorted(principal.coalition_roles.items())
        return copied(
            cls,
            principal,
            scopes=sorted(principal.scopes),
            name=name,
            email=email,
            roles=[ViewerRole(coalition_id=c, role=role) for c, role in roles],
        )

    @strawberry.field(description="Coalitions whose data the viewer sees as an insider.")
    async def insider_of(self, info: Info) -> list[_Coalition]:
        from lnob_api.graphql.coalition.types import Coalition

        keys = sorted(self.member_coalition_ids)
        found = await load_many(info, coalition_repo.COALITION_BY_ID, keys, Coalition)
        return [c for c in found if c is not None]
