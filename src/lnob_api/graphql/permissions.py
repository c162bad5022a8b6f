"""Scope gates for fields and mutations: a missing scope is a FORBIDDEN error naming it.

Scopes say what a token may do; roles and grants (checked in services) say where.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.permission import BasePermission

from lnob_api.auth.principal import Scope
from lnob_api.graphql.context import Info


@cache
def requires(scope: Scope) -> type[BasePermission]:
    """A permission class (strawberry takes classes, not instances) for ``scope``."""

    class ScopeRequired(BasePermission):
        message = f"this needs a token with the {scope.value} scope"
        error_extensions = {"code": "FORBIDDEN", "scope": scope.value}

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            return bool(info.context.principal.has_scope(scope))

    ScopeRequired.__name__ = f"Requires{scope.name.title().replace('_', '')}"
    return ScopeRequired


class SignedIn(BasePermission):
    message = "this needs a signed-in user or client (send a bearer token)"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return not info.context.principal.is_anonymous


@cache
def requires_any(*scopes: Scope) -> type[BasePermission]:
    """A permission class satisfied by any one of ``scopes`` (roles are checked in services)."""
    names = " or ".join(s.value for s in scopes)

    class AnyScopeRequired(BasePermission):
        message = f"this needs a token with the {names} scope"
        error_extensions = {"code": "FORBIDDEN", "scope": names}

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            return any(info.context.principal.has_scope(s) for s in scopes)

    AnyScopeRequired.__name__ = "RequiresAny" + "".join(
        s.name.title().replace("_", "") for s in scopes
    )
    return AnyScopeRequired
