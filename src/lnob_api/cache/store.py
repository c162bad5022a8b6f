"""The response cache of one worker: whole GraphQL responses of repeated reads.

Keyed by the request's bytes (the query string of a GET, the JSON body of a POST), the
response media type, the negotiated language and the caller's whole visibility scope (every
field of the Principal: identity, organisations, coalition roles, insider coalitions, scopes),
so an entry can never cross coalitions, grants or users. Anonymous callers share one scope.

An entry lives until the first of:
- the data version moves: every write of any process (``cache.writes``, heard through
  ``LISTEN`` by ``cache.listener``) empties the cache, and a response computed while the
  version moved is not stored;
- the next scheduled change of what anybody may see (an embargo's release, a superseded
  version's end, a grant's, consent's or access request's expiry: ``cache.repository``), which
  needs no write to happen;
- its time to live.

While this process has written something whose notification has not come back yet, the cache
neither answers nor stores (a caller reads its own writes). With a listener, it answers only
while its lease runs (``cache.leases``): a worker that may have missed an acknowledged write
does not answer from memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, fields
from typing import Any

from lnob_api.auth.principal import Principal
from lnob_api.cache import writes

# A write whose notification never arrives (the commit failed) stops blocking after this long.
PENDING_LIMIT = 5.0
MAX_ENTRY_BYTES = 1 << 20
ANONYMOUS_SCOPE: tuple[Any, ...] = ("anonymous",)

NextChange = Callable[[], Awaitable[float | None]]


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]
    expires: float  # time.monotonic()
    # (requested, actual) query cost, charged to the caller's budget again on every hit
    cost: tuple[int, int] | None = None
    # where the throttle status sits in the body (cache.body), rewritten for each hit
    throttle: tuple[int, int] | None = None


# Scopes found per principal object (a Principal is frozen: its scope never changes), so that a
# remembered principal's requests (auth.deferred: the same object each time) do not rebuild it;
# each kept with its principal, whose identity is checked (an id is reused only once the object
# is gone, and the object is held here). False: built every time (bench/request_profile.py).
REMEMBER_SCOPES = True
SCOPES_KEPT = 1024
_scopes: dict[int, tuple[Principal, tuple[Any, ...]]] = {}


def scope_of(principal: Principal) -> tuple[Any, ...]:
    """The principal's whole visibility scope as a hashable key (new fields join by
    themselves)."""
    if principal.is_anonymous:
        return ANONYMOUS_SCOPE
    if not REMEMBER_SCOPES:
        return _scope_of(principal)
    found = _scopes.get(id(principal))
    if found is not None and found[0] is principal:
        return found[1]
    scope = _scope_of(principal)
    if len(_scopes) >= SCOPES_KEPT:
        _scopes.clear()
    _scopes[id(principal)] = (principal, scope)
    return scope


def _scope_of(principal: Principal) -> tuple[Any, ...]:
    parts: list[Any] = []
    for f in fields(principal):
        value = getattr(principal, f.name)
        if isinstance(value, frozenset | set):
            value = tuple(sorted(value, key=str))
        elif isinstance(value, dict):
            value = tuple(sorted(((str(k), str(v)) for k, v in value.items())))
        parts.append((f.name, value))
    return tuple(parts)


class ResponseCache:
    """In-process cache of responses; see the module docstring for what bounds an entry."""

    def __init__(
        self,
        *,
        max_bytes: int = 64 << 20,
        ttl: float = 60.0,
        needs_listener: bool = False,
        next_change: NextChange | None = None,
    ) -> None:
        # With several workers, off until the listener hears (``hearing``).
        self.enabled = max_bytes > 0 and not needs_listener
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.version = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._bytes = 0
        self._pending: dict[str, float] = {}
        # With a listener, a write waits for its notification; without one (a single process,
        # the tests), the process's own writes are all there is to hear.
        self.listening = False
        self._next_change = next_change
        self._schedule: tuple[int, float] | None = None  # (version, monotonic deadline)
        # Until when (monotonic) the listener's lease lets this worker trust what it holds.
        self.lease_until = 0.0
        writes.watch(self)

    def set_next_change(self, source: NextChange) -> None:
        self._next_change = source

    # --- invalidation ---------------------------------------------------------------------------

    def bump(self) -> None:
        """The data changed: forget everything."""
        self.version += 1
        self._entries.clear()
        self._bytes = 0
        self._schedule = None

    def writing(self, token: str) -> None:
        self.bump()
        if self.listening:
            self._pending[token] = time.monotonic() + PENDING_LIMIT

    def committed(self, token: str) -> None:
        self.bump()

    def abandoned(self, token: str) -> None:
        self._pending.pop(token, None)
        self.bump()

    def heard(self, token: str) -> None:
        """A notification: some process committed a write (perhaps this one)."""
        self._pending.pop(token, None)
        self.bump()

    def deaf(self) -> None:
        """The listener lost its connection: other workers' writes go unheard, so the cache is
        off until it is back."""
        self.enabled = False
        self.lease_until = 0.0
        self.bump()

    def leased_until(self, deadline: float) -> None:
        """The listener renewed its lease: trust what is held until ``deadline`` (monotonic)."""
        self.lease_until = max(self.lease_until, deadline)

    def trusts(self, version: int | None) -> bool:
        """Whether what was read at ``version`` (this cache's) still holds without reading it
        again: nothing was heard since, the listener is on, its lease runs, and this process
        has no write of its own pending."""
        return version is not None and version == self.version and self.listening and self.usable()

    def hearing(self) -> None:
        """The listener is (back) on: writes of every process are heard from now on."""
        self.listening = True
        self.enabled = self.max_bytes > 0
        self.bump()

    # --- reading and storing --------------------------------------------------------------------

    def usable(self) -> bool:
        if not self.enabled:
            return False
        if self.listening and self.lease_until <= time.monotonic():
            return False
        if self._pending:
            now = time.monotonic()
            for token, deadline in list(self._pending.items()):
                if deadline <= now:
                    del self._pending[token]
                    self.bump()
            if self._pending:
                return False
        return True

    def get(self, key: Hashable, *, count_missing: bool = True) -> Entry | None:
        """The entry held under ``key`` (a hit, counted), or None (a miss, counted unless
        ``count_missing`` is False: the fast lane steps aside, the endpoint counts it)."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += count_missing
            return None
        if entry.expires <= time.monotonic():
            self._drop(key)
            self.misses += count_missing
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def peek(self, key: Hashable) -> Entry | None:
        """The entry held under ``key`` and not expired, or None; nothing counted or moved."""
        entry = self._entries.get(key)
        if entry is None or entry.expires <= time.monotonic():
            return None
        return entry

    async def deadline(self) -> float | None:
        """When entries stored now must go (monotonic), or None to store nothing."""
        now = time.monotonic()
        version = self.version
        if self._schedule is not None and self._schedule[0] == version:
            change = self._schedule[1]
        else:
            seconds = await self._next_change() if self._next_change is not None else None
            change = now + seconds if seconds is not None else float("inf")
            if self.version != version:
                return None
            self._schedule = (version, change)
        if change <= now:  # a scheduled change has passed: what was stored may be wrong now
            self.bump()
            return None
        return min(now + self.ttl, change)

    def put(self, key: Hashable, entry: Entry, version: int) -> bool:
        """Store ``entry`` unless the data version moved since ``version`` was read."""
        if version != self.version or not self.usable() or len(entry.body) > MAX_ENTRY_BYTES:
            return False
        self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._bytes > self.max_bytes and self._entries:
            oldest = next(iter(self._entries))
            self._drop(oldest)
        return True

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def __len__(self) -> int:
        return len(self._entries)
