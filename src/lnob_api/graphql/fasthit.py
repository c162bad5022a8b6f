"""The fast lane's response-cache hits (issue 12): a hit answered by the outermost layer.

With the response cache on (``lnob_api.cache``), the whole stack answers a repeated read from
the cache without any statement. The fast lane (``graphql.fastlane``) remembers, under every
byte of the request that can decide the answer, what the whole stack sent for such a hit: the
cache's key (the request's bytes, media type, language and the caller's whole visibility scope,
as ``GraphQLApp`` made it), the principal it was made for, and the response's status and
headers. The next identical request is answered by the lane from the same entry, exactly when
the whole stack would answer it from the cache:

- the cache usable (its listener's lease running, no write of this process pending);
- anonymous, or a bearer token whose signature, issuer, audience and times are checked as
  always and whose remembered check the cache still vouches for (``cache.trusts``: nothing
  heard since its facts were read), the same principal object as when the hit was seen;
- the entry held under that key, with the headers the hit was seen with;
- the caller's budget charged with the entry's cost (``GraphQLApp._charged``): its headers and
  ``throttleStatus`` as the whole stack writes them.

Anything else steps aside before anything is sent: the whole stack answers (a statement, a
401, a 429, a miss). The request id, the in-flight gauge, the request metrics and the access
line are written as ``RequestIdMiddleware`` and ``ObserveMiddleware`` write them; nothing of a
hit touches the database, so the outage middleware is not needed around it.
"""

from __future__ import annotations

from collections.abc import Hashable, MutableMapping
from dataclasses import dataclass
from typing import Any

from lnob_api.auth.deferred import STATE_KEY, DeferredCheck
from lnob_api.auth.principal import ANONYMOUS
from lnob_api.auth.tokens import InvalidToken
from lnob_api.cache.body import throttle_span, with_throttle
from lnob_api.cache.store import Entry, ResponseCache
from lnob_api.graphql import lane_http
from lnob_api.observability import logs, metrics
from lnob_api.observability.request import RequestInfo, begin
from lnob_api.ratelimit import RequestBudget, bucket_key

# Where GraphQLApp leaves the response cache's key of a request, and the hit it answered
# (the entry and the body it sent), in the ASGI scope's state.
KEY_STATE = "lnob_cache_key"
HIT_STATE = "lnob_cache_hit"
PATH = "/graphql"


@dataclass(slots=True)
class Hit:
    """What the whole stack sent for a request it answered from the response cache."""

    cached: Hashable  # the response cache's key
    entry_headers: tuple[tuple[str, str], ...]  # the entry's, as the hit saw them
    bearer: bool
    principal: Any  # compared by identity
    headers: list[tuple[bytes, bytes]]  # as sent, the per-request ones filled again
    encoded: bool  # compressed (Content-Encoding)
    keys: Any  # the signing keys then
    cache: ResponseCache  # the cache it was seen in


def seen(
    state: MutableMapping[str, Any],
    start: Any,
    sent: bytes,
    *,
    token: str | None,
    keys: Any,
    cache: ResponseCache,
    compress: Any,
) -> Hit | None:
    """The hit the whole stack answered this request with, when the lane can answer it again
    exactly so; None otherwise."""
    found = state.get(HIT_STATE)
    cached = state.get(KEY_STATE)
    if found is None or cached is None or start is None or start["status"] != 200:
        return None
    entry, body = found
    headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", ())]
    coding = next((v.decode("latin-1") for k, v in headers if k == b"content-encoding"), None)
    if sent != (body if coding is None else compress(body, coding)):
        return None  # the lane would not send these bytes
    principal = state.get("principal")
    if token is not None:
        check = state.get(STATE_KEY)
        if (
            not isinstance(check, DeferredCheck)
            or not check.settled
            or check.principal is not check.remembered.principal
        ):
            return None  # the whole stack confirmed the token: no hit without a statement
        principal = check.principal
    elif principal is not ANONYMOUS:
        return None
    return Hit(
        cached=cached,
        entry_headers=entry.headers,
        bearer=token is not None,
        principal=principal,
        headers=headers,
        encoded=coding is not None,
        keys=keys,
        cache=cache,
    )


async def served(lane: Any, hit: Hit, scope: MutableMapping[str, Any], send: Any) -> bool:
    """The hit answered by the lane (True), or nothing sent (False: the whole stack's)."""
    cache: ResponseCache | None = lane.graphql.cache
    if cache is not hit.cache or hit.keys is not lane.bearer.keys_holder.current():
        return False
    check = None
    token = lane_http.token(scope)
    if hit.bearer:
        if token is None:
            return False
        try:
            check = lane.bearer._deferred(scope, token)
        except InvalidToken:
            return False  # the whole stack answers its 401
        if check is None or check.remembered.principal is not hit.principal:
            return False
        if not cache.trusts(check.remembered.version):
            return False  # the whole stack reads the token's facts first
    elif token is not None:
        return False
    if not cache.usable():
        return False
    entry = cache.get(hit.cached, count_missing=False)
    if entry is None or entry.headers != hit.entry_headers:
        return False
    coding = lane._coding(scope)
    if (coding is not None and len(entry.body) >= lane.minimum_size) != hit.encoded:
        return False
    state = dict(scope.get("state") or {})
    body = await _charged(lane.limiter, hit.principal, scope, entry)
    if body is None:
        return False  # refused: the whole stack says THROTTLED
    charged, limits = body
    encoded = coding is not None and len(charged) >= lane.minimum_size
    if encoded != hit.encoded:
        return False
    if coding is not None and encoded:
        charged = lane.compress(charged, coding)
    if check is not None:
        check.settle_remembered()
        state[STATE_KEY] = check
    state["principal"] = hit.principal
    scope["state"] = state
    request_id = lane_http.request_id(scope)
    state["request_id"] = request_id
    info = RequestInfo(request_id=request_id, method="POST", path=PATH, state=state)
    begin(info)
    metrics.IN_FLIGHT.inc()
    status = 500
    try:
        headers = lane_http.filled(hit.headers, charged, request_id.encode(), limits)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        status = 200
        await send({"type": "http.response.body", "body": charged})
    finally:
        metrics.IN_FLIGHT.dec()
        info.route = PATH
        info.status = status
        seconds = info.elapsed()
        metrics.observe_request("POST", PATH, status, seconds)
        logs.access(info, status, seconds)
    lane.served_hits += 1
    return True


async def _charged(
    limiter: Any, principal: Any, scope: MutableMapping[str, Any], entry: Entry
) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """The entry's body for this caller and the rate-limit headers, its cost taken from the
    caller's budget as ``GraphQLApp._charged`` takes it; None when the budget refuses."""
    if not limiter.enabled:
        return entry.body, []
    if entry.cost is None or entry.throttle is None:
        return None
    client = scope.get("client")
    budget = RequestBudget(limiter, bucket_key(principal, client[0] if client else None))
    if not (await budget.take(entry.cost[0])).allowed:
        return None
    await budget.settle(entry.cost[1])
    decision = budget.decision
    assert decision is not None
    throttle = decision.throttle_status()
    limits = [(n.lower().encode(), v.encode()) for n, v in decision.headers()]
    return with_throttle(entry.body, entry.throttle, throttle), limits


def stored(
    cache: ResponseCache,
    cached: Hashable,
    version: int,
    body: bytes,
    headers: tuple[tuple[str, str], ...],
    expires: float,
    charge: tuple[int, int] | None,
    throttle: Any,
) -> bool:
    """A response the lane read filled into the cache as ``GraphQLApp._answer`` fills it
    (``graphql.app._entry``): unmetered as it is; metered with its cost and where its throttle
    status sits, or not at all."""
    if charge is None:
        entry = Entry(body, 200, headers, expires)
    else:
        span = throttle_span(body, throttle)
        if span is None:
            return False
        entry = Entry(body, 200, headers, expires, cost=charge, throttle=span)
    return cache.put(cached, entry, version)
