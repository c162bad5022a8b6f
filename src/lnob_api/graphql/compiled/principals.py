"""Plans shared by principals of one shape.

A plan's SQL depends on the principal only through the policy's predicates
(``access.visibility``): they read its kind, flags, scopes and roles, and hand its ids to
PostgreSQL as values. So a plan is built for a *stand-in* of the request's principal: the same
principal with every id replaced by a stand-in that keeps the ids' order and equalities (the
n-th smallest of the principal's coalition ids becomes the n-th coalition stand-in, in
``member_coalition_ids`` and in ``coalition_roles`` alike). Principals with the same stand-in
(two anonymous callers; two agencies' clients holding the same kinds of grants) build the same
SQL and share one plan, whose parameters holding stand-ins are filled with the requesting
principal's own ids. Principals whose stand-ins differ in anything (kind, a flag, a scope, a
role, how many ids of a kind) never share a plan: the stand-in is part of the plan's key.

Stand-in ids are negative, and no row has a negative id: an id written into the SQL text
instead of passed as a value would match nothing; ``Plan.of`` refuses such a plan anyway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from lnob_api.auth.principal import Principal
from lnob_api.cache.store import scope_of

# The first stand-in of each kind of id (within int4, below every real id).
_FIRST = {"coalition": -2_000_000_000, "organisation": -1_900_000_000, "user": -1_800_000_000}
_FIRST_CLIENT = -1_700_000_000
_CLIENT_ID = "stand-in-client"


@dataclass(frozen=True)
class StandIn:
    """A request's principal as plans see it."""

    principal: Principal  # the principal with stand-in ids: what a plan is built for
    key: Hashable  # that principal's whole scope: the plan cache's part for the principal
    real: dict[Any, Any]  # stand-in -> the request's own id

    def value(self, planned: Any) -> Any:
        """A parameter's value for this request: stand-ins replaced by the real ids."""
        if isinstance(planned, list | tuple):
            return type(planned)(self.real.get(v, v) for v in planned)
        return self.real.get(planned, planned)


def stand_in(principal: Principal) -> StandIn:
    if principal.is_anonymous:
        return StandIn(principal, scope_of(principal), {})
    real: dict[Any, Any] = {}
    coalition = _numbering(
        "coalition", set(principal.member_coalition_ids) | set(principal.coalition_roles), real
    )
    organisation = _numbering("organisation", principal.organisation_ids, real)
    user = _numbering("user", [principal.user_id] if principal.user_id is not None else [], real)
    client_pk = None
    if principal.client_pk is not None:
        client_pk = _FIRST_CLIENT
        real[client_pk] = principal.client_pk
    client_id = None
    if principal.client_id is not None:
        client_id = _CLIENT_ID
        real[client_id] = principal.client_id
    standing = dataclasses.replace(
        principal,
        user_id=user.get(principal.user_id),
        client_pk=client_pk,
        client_id=client_id,
        organisation_ids=frozenset(organisation[i] for i in principal.organisation_ids),
        coalition_roles={coalition[c]: r for c, r in principal.coalition_roles.items()},
        member_coalition_ids=frozenset(coalition[c] for c in principal.member_coalition_ids),
    )
    return StandIn(standing, scope_of(standing), real)


def _numbering(kind: str, ids: Iterable[int], real: dict[Any, Any]) -> dict[Any, int]:
    """Each id -> its stand-in, in the ids' order (noted in ``real`` the other way round)."""
    out: dict[Any, int] = {}
    for i, found in enumerate(sorted(ids)):
        out[found] = _FIRST[kind] + i
        real[out[found]] = found
    return out


def planned_stand_ins(constants: dict[str, Any], stand_in: StandIn) -> dict[str, Any]:
    """The parameters of a new plan whose values are stand-ins (name -> planned value)."""
    return {
        name: value
        for name, value in constants.items()
        if any(_is_stand_in(v, stand_in) for v in _items(value))
    }


def _items(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list | tuple) else (value,)


def _is_stand_in(value: Any, stand_in: StandIn) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool) and value in stand_in.real


def written_into(sql: str, stand_in: StandIn) -> bool:
    """Whether a stand-in appears in the SQL text itself (it must be a parameter)."""
    return any(str(v) in sql for v in stand_in.real)
