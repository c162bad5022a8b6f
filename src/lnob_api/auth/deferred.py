"""The bearer check folded into a GraphQL request's one statement.

A token seen before on this worker carries the principal its last check built and the facts
(``principal_repository.FACT_COLUMNS``) that check read. On ``/graphql`` the middleware then
hands the request on with that principal and a ``DeferredCheck`` instead of reading the facts
first: the compiled read path reads them again in its own statement (the same snapshot as the
data) and ``settle``s the check with them before anything is answered. A token revoked since,
its client revoked or its user deactivated is refused (``InvalidToken``: the middleware answers
401 as it always does); facts that changed otherwise (a new role, a new membership) rebuild the
principal, and the data read for the old one is dropped unsent. Every other way through the
endpoint ``confirm``s the check (the statement of the middleware, run then) before it executes
anything or answers: so a revocation still holds from the next request on, and a remembered
principal never reads or writes before its token's facts are read in that request.

One exception, for a response the cache holds (``lnob_api.cache.leases``): each remembered
check carries the version of the worker's cache from before its facts were read (``versions``,
given by the GraphQL endpoint). While the cache trusts that version (nothing heard since, the
worker's lease running), no write that could change the facts has been acknowledged since they
were read, and a hit is answered under the remembered principal without reading them
(``settle_remembered``); the token's signature and times are checked on every request as always.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lnob_api.auth.principal import Principal
from lnob_api.auth.principal_repository import FACT_COLUMNS
from lnob_api.auth.resolver import principal_of_facts
from lnob_api.auth.tokens import AccessClaims, InvalidToken

# Where the middleware leaves a request's DeferredCheck (the ASGI scope's state).
STATE_KEY = "bearer_check"


@dataclass(frozen=True, slots=True)
class Remembered:
    """What a token's last check found: the principal and the facts it was built from."""

    principal: Principal
    facts: tuple[Any, ...]
    # The cache's version from before the facts were read (None: no cache to vouch for them).
    version: int | None = None


class RememberedChecks:
    """Tokens' last checks, least recently used dropped (never proof that a token is live by
    themselves: what the next check compares its facts with, and what a cache whose lease
    runs may vouch for, ``Remembered.version``)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._found: OrderedDict[str, Remembered] = OrderedDict()
        # The response cache's current version, when there is one (set by the GraphQL endpoint).
        self.versions: Callable[[], int | None] | None = None

    def version(self) -> int | None:
        """The cache's version now: read before a check's statement, kept with its facts."""
        return self.versions() if self.versions is not None else None

    def get(self, token: str) -> Remembered | None:
        found = self._found.get(token)
        if found is not None:
            self._found.move_to_end(token)
        return found

    def put(
        self,
        token: str,
        principal: Principal,
        facts: Mapping[str, Any] | None,
        version: int | None = None,
    ) -> Principal:
        """Remember the check; returns the principal to go on with: the remembered object
        itself when the facts and the principal built from them are what was remembered, so
        that what is kept per principal object (the fast lane's answers, the compiled path's
        stand-ins, the cache's scopes) outlives a check that found nothing new."""
        if facts is None:
            return principal
        values = tuple(facts[c] for c in FACT_COLUMNS)
        old = self._found.get(token)
        if old is not None and old.facts == values and old.principal == principal:
            principal = old.principal
        self._found[token] = Remembered(principal, values, version)
        self._found.move_to_end(token)
        if len(self._found) > self.size:
            self._found.popitem(last=False)
        return principal

    def forget(self, token: str) -> None:
        self._found.pop(token, None)


@dataclass(slots=True)
class DeferredCheck:
    """One request's bearer check, not yet run (see the module docstring)."""

    token: str
    claims: AccessClaims
    remembered: Remembered
    checks: RememberedChecks
    # The middleware's check, run now: the principal, or InvalidToken.
    run_check: Callable[[], Awaitable[Principal]]
    # The cache's version when the middleware handed the request on (before any statement).
    version: int | None = None
    settled: bool = False
    principal: Principal = field(init=False)

    def __post_init__(self) -> None:
        self.principal = self.remembered.principal

    @property
    def arguments(self) -> tuple[Any, ...]:
        """The facts' parameters (``principal_repository.with_principal_facts``)."""
        return (self.claims.client_id, self.claims.user_id, self.claims.jti)

    def settle(self, facts: Sequence[Any]) -> bool:
        """Settle with the facts read in the request's statement: True when the remembered
        principal stands, False when ``principal`` had to be rebuilt (what was read for the old
        one must not be answered); InvalidToken when the token is no longer live."""
        self.settled = True
        row = dict(zip(FACT_COLUMNS, facts, strict=True))
        if tuple(facts) == self.remembered.facts:
            if self.version is not None and self.version != self.remembered.version:
                self.checks.put(self.token, self.principal, row, self.version)
            return True
        try:
            self.principal = principal_of_facts(self.claims, row)
        except InvalidToken:
            self.checks.forget(self.token)
            raise
        self.checks.put(self.token, self.principal, row, self.version)
        return False

    def settle_remembered(self) -> None:
        """Settled without a statement: the caller's cache vouches for the remembered facts
        (``Remembered.version``, see the module docstring)."""
        self.settled = True

    async def confirm(self) -> Principal:
        """Run the check now (once): the principal as the token's facts are now, or
        InvalidToken."""
        if not self.settled:
            self.principal = await self.run_check()
            self.settled = True
        return self.principal


def deferred_check(state: Mapping[str, Any] | Any) -> DeferredCheck | None:
    """The request's unsettled check, if the middleware deferred it."""
    found = state.get(STATE_KEY) if isinstance(state, Mapping) else getattr(state, STATE_KEY, None)
    return found if isinstance(found, DeferredCheck) and not found.settled else None
