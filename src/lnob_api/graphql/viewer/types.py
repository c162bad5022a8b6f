"""GraphQL type: Viewer (the principal behind the request)."""

from __future__ import annotations

from enum import Enum

import strawberry

from lnob_api.coalition import repository as coalition_repo
from lnob_api.graphql import links
from lnob_api.graphql.context import Info
from lnob_api.graphql.enums import CoalitionRole
from lnob_api.graphql.lazy import Coalition as _Coalition
from lnob_api.graphql.loading import load_many


@strawberry.enum(description="What kind of caller a token stands for.")
class PrincipalKind(Enum):
    ANONYMOUS = "ANONYMOUS"
    USER = "USER"
    CLIENT = "CLIENT"


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
    member_coalitions: strawberry.Private[frozenset[int]]

    @strawberry.field(description="Coalitions whose data the viewer sees as an insider.")
    async def insider_of(self, info: Info) -> list[_Coalition]:
        from lnob_api.graphql.coalition.types import Coalition

        keys = sorted(self.member_coalitions)
        found = await load_many(info, coalition_repo.COALITION_BY_ID, keys, Coalition)
        return [c for c in found if c is not None]
