"""Root field: viewer."""

from __future__ import annotations

import strawberry

from lnob_api.auth.principal_repository import user_identity
from lnob_api.graphql.context import Info
from lnob_api.graphql.viewer.types import Viewer


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The caller behind the bearer token; null when anonymous.")
    async def viewer(self, info: Info) -> Viewer | None:
        principal = info.context.principal
        if principal.is_anonymous:
            return None
        name = email = None
        if principal.user_id is not None:
            identity = await user_identity(info.context.db, principal.user_id)
            if identity is not None:
                name, email = identity["name"], identity["email"]
        return Viewer.of(principal, name=name, email=email)
