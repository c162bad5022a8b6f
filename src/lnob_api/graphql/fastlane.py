"""The fast lane: a repeated compiled read answered with almost no Python (issue 12).

When the whole stack answers a plain JSON ``POST /graphql`` with the compiled path's one
statement, the lane remembers, under every byte of the request that can decide the answer (the
body and every header but ``X-Request-Id`` and ``Content-Length``), what was sent: the
statement and its parameters, the requested cost, and the response's status and headers. The
next identical request is answered by this outermost layer alone:

- the request id, the in-flight gauge, the request metrics, the operation metrics and the
  access line as ``RequestIdMiddleware``, ``ObserveMiddleware`` and the compiled path write
  them;
- a bearer token's signature, issuer, audience and times checked as always, and its facts read
  again inside the statement and settled (``auth.deferred``), never skipped;
- the rate limit charged as the compiled path charges it (its headers and ``throttleStatus``);
- the outage middleware itself around the statement (503/504, the deadline, the client leaving);
- the statement on a pooled connection, and the body formed as the compiled path forms it
  (a two-step plan's head, unless it fell short of the remembered request or its plan skips
  it, then its whole form when the head falls short now: ``graphql.compiled.answered``).

Anything else steps aside to the whole stack, which is always correct: an unknown request, a
compressed answer asked for (``Accept-Encoding``), a query string, tracing, a token that is not
remembered, refused or whose facts changed (its principal rebuilt: the statement's answer is
dropped unsent), a refused budget, a statement that failed other than by an outage. A remembered
answer is dropped when the signing keys, its plan or the token's principal change, or when the
persisted document it names by hash alone is no longer in the store (the whole stack answers
its "not found"); a named document is looked up, or registered again, as the whole stack does,
so the store's order is the same with the lane. An answer holds per plan: while the plan its
statement is of is the one its key finds in ``CompiledReads.plans`` (another document's new
plan leaves it be). A token the whole stack checked before its statement (its first request, or
a check confirmed) is remembered with the principal that check left: the lane reads the
token's facts in its statement every time all the same.

The statement's parameters come from the request's bytes and the principal alone: everything
that depends on the data or the time (grants, embargoes, consents, visibility) is evaluated by
PostgreSQL in the statement.

With the response cache on (``lnob_api.cache``), a hit the whole stack answered is answered
again by the lane from the same entry, before anything else (``graphql.fasthit``), and a miss
is read with the remembered statement and stored in the cache exactly as the whole stack
stores it: under the key the whole stack made for the request (its bytes, media type,
language and the caller's whole visibility scope), with the headers of the entry the whole
stack stored, its cost and throttle status for a metered caller, unless the data version moved
while it was read. A request the cache holds an entry for is never read by the lane's
statement: it steps aside, and the whole stack answers its hit (which the lane then sees).
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from lnob_api.auth.deferred import STATE_KEY, DeferredCheck
from lnob_api.auth.middleware import BearerAuthMiddleware
from lnob_api.auth.principal import ANONYMOUS
from lnob_api.auth.tokens import InvalidToken
from lnob_api.db import availability
from lnob_api.db.request import RequestDb
from lnob_api.graphql import compiled as reads
from lnob_api.graphql import fasthit, lane_http
from lnob_api.graphql.compiled import NOTE_KEY, observed, response_body
from lnob_api.idempotency.service import principal_key
from lnob_api.observability import logs, metrics, tracing
from lnob_api.observability.request import RequestInfo, begin
from lnob_api.ratelimit import RequestBudget, bucket_key

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# False: every request through the whole stack (bench/request_profile.py --ab fastlane).
ENABLED = True
ANSWERS = 1024  # remembered answers (least recently used dropped)
LARGEST_BODY = 16 * 1024  # larger request bodies are never remembered (16 MiB at most in all)
PATH = "/graphql"
# Request headers that never decide the answer (the id is echoed, the length is the body's).
_UNKEYED = frozenset((b"x-request-id", b"content-length"))
_REQUEST_ID = lane_http.REQUEST_ID
_filled, _token = lane_http.filled, lane_http.token
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Answer:
    """What the whole stack sent for one request (see the module docstring)."""

    sql: str
    arguments: tuple[Any, ...]
    bearer: bool  # the token's facts are read in the statement (a deferred check)
    requested: int
    limit: int
    operation: str | None
    principal: Any  # the principal it was read for (compared by identity)
    status: int
    headers: list[tuple[bytes, bytes]]  # as sent, the per-request ones filled again
    encoded: bool  # compressed (Content-Encoding; the body's length not sent)
    keys: Any  # the signing keys then
    # The plan the statement is of (its key in CompiledReads.plans, and the plan): the answer
    # holds while that plan is the one its key finds.
    plan: tuple[Any, Any]
    # The persisted document the request named (its hash, and its text when it was sent too):
    # looked up (or registered) in the store again each time, as the whole stack does.
    persisted: tuple[str, str | None] | None = None
    # With the response cache on: the cache it was read with, its key for the request and the
    # headers of the entry the whole stack stored (a miss the lane reads is stored so too).
    cache: Any = None
    cached: Any = None
    entry_headers: tuple[tuple[str, str], ...] = ()
    # A two-step plan's head (statement, parameters), run before ``sql`` (its whole form)
    # when ``graphql.compiled.TWO_STEP``: ``sql`` runs when the head's data is NULL.
    head: tuple[str, tuple[Any, ...]] | None = None


class Note:
    """The compiled path's report of a request the lane watches (``graphql.compiled``)."""

    __slots__ = ("body", "calls", "found", "head", "plan")

    def __init__(self) -> None:
        self.calls = 0
        self.found: tuple[str, tuple[Any, ...], bool, int, str | None] | None = None
        self.body = b""
        self.plan: tuple[Any, Any] | None = None
        self.head: tuple[str, tuple[Any, ...]] | None = None

    def compiled(
        self,
        sql: str,
        arguments: tuple[Any, ...],
        bearer: bool,
        requested: int,
        operation: str | None,
        body: bytes,
        plan: tuple[Any, Any] | None = None,
        head: tuple[str, tuple[Any, ...]] | None = None,
    ) -> None:
        """The statement a request's compiled read ran (its plan's whole form), the body it
        wrote, the plan (its key and the plan) the statement is of, and the head to run
        first (``graphql.compiled.answered``)."""
        self.calls += 1
        self.found = (sql, arguments, bearer, requested, operation)
        self.body = body
        self.plan = plan
        self.head = head


class FastLane:
    """ASGI middleware, outermost (inside Starlette's error middleware only)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        graphql: Any,
        bearer: BearerAuthMiddleware,
        limiter: Any,
        outage: Callable[[ASGIApp], ASGIApp],
        coding: Callable[[str | None], str | None],
        compress: Callable[[bytes, str], bytes],
        minimum_size: int,
    ) -> None:
        self.app = app
        self.graphql = graphql
        self.bearer = bearer  # its deferral only (``_deferred``): signature, times, remembered
        self.limiter = limiter
        # The outage middleware around the lane's statement; the compression's negotiation.
        self.outage = outage(self._endpoint)
        self.coding, self.compress, self.minimum_size = coding, compress, minimum_size
        self.answers: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()
        self.served = 0  # requests the lane answered itself
        # With the response cache on, the hits the whole stack answered (graphql.fasthit).
        self.hits: OrderedDict[tuple[Any, ...], fasthit.Hit] = OrderedDict()
        self.served_hits = 0  # of ``served``, hits of the response cache
        # With CORS, a request from an origin goes through the whole stack (its headers).
        self.cors = bool(graphql.settings.cors_origins)
        self.enabled = bool(getattr(graphql.settings, "fast_lane", True))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not ENABLED
            or not self.enabled
            or scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or scope.get("query_string")
            or not self.graphql.settings.compiled
            or tracing.enabled()
            or (self.cors and any(name == b"origin" for name, _ in scope["headers"]))
        ):
            await self.app(scope, receive, send)
            return
        body, messages = await _body(receive)
        replay = _replaying(messages, receive)
        if body is None or len(body) > LARGEST_BODY:
            await self.app(scope, replay, send)
            return
        key = (body, *((n, v) for n, v in scope["headers"] if n not in _UNKEYED))
        if self.graphql.cache is not None:
            hit = self.hits.get(key)
            if hit is not None and await fasthit.served(self, hit, scope, send):
                self.hits.move_to_end(key)
                self.served += 1
                return
        answer = self.answers.get(key)
        if answer is not None and self._current(answer) and self._known(answer, key):
            self.answers.move_to_end(key)
            state = dict(scope.get("state") or {})
            if await self._served(answer, key, scope, replay, send):
                return
            scope["state"] = state  # nothing of the lane's attempt stays
            replay = _replaying(messages, receive)
        await self._recorded(key, scope, replay, send)

    def _coding(self, scope: Scope) -> str | None:
        """The content coding the compression middleware negotiates (its first header)."""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                return self.coding(value.decode("latin-1"))
        return None

    def _known(self, answer: Answer, key: tuple[Any, ...]) -> bool:
        """The persisted document the request names still known, as the whole stack asks the
        store (a hash alone) or registers it again (a hash and its document). False: the store
        forgot it, and the whole stack answers (its "not found")."""
        if answer.persisted is None:
            return True
        sha, document = answer.persisted
        documents = self.graphql.documents
        if document is not None:
            documents.remember(sha, document)
            return True
        if documents.get(sha) is not None:
            return True
        self.answers.pop(key, None)
        return False

    def _current(self, answer: Answer) -> bool:
        plan_key, plan = answer.plan
        return (
            self.graphql.compiled.plans.get(plan_key) is plan
            and answer.keys is self.bearer.keys_holder.current()
            and answer.cache is self.graphql.cache
        )

    # --- the first time: the whole stack, watched ----------------------------------------------

    async def _recorded(
        self, key: tuple[Any, ...], scope: Scope, receive: Receive, send: Send
    ) -> None:
        note = Note()
        scope.setdefault("state", {})[NOTE_KEY] = note
        keys = self.bearer.keys_holder.current()
        cache = self.graphql.cache
        start: Message | None = None
        chunks: list[bytes] = []

        async def watched(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, watched)
        state = scope.get("state") or {}
        state.pop(NOTE_KEY, None)
        if cache is not None and cache is self.graphql.cache and note.calls == 0:
            self._hit_seen(key, state, start, b"".join(chunks), _token(scope), keys, cache)
            return
        if start is None or note.calls != 1 or note.found is None or note.plan is None:
            return
        headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", ())]
        coding = next((v.decode("latin-1") for k, v in headers if k == b"content-encoding"), None)
        formed = note.body if coding is None else self.compress(note.body, coding)
        if b"".join(chunks) != formed:
            return  # the lane would not send these bytes
        sql, arguments, bearer, requested, operation = note.found
        token = _token(scope)
        if start["status"] != 200:
            return
        principal = state.get("principal")
        if token is not None and bearer:  # its facts were read in the statement
            check = state.get(STATE_KEY)
            if (
                not isinstance(check, DeferredCheck)
                or check.principal is not check.remembered.principal
            ):
                return
            principal = check.principal
        elif token is not None:  # checked before the statement: the principal it remembers
            remembered = self.bearer.remembered.get(token) if token else None
            if remembered is None or remembered.principal is not principal:
                return
            bearer = True  # a token's facts are read in the lane's statement, every time
        elif bearer or principal is not ANONYMOUS:
            return
        cached, entry_headers = None, ()
        if cache is not None:  # the entry the whole stack stored, or no answer remembered
            cached = state.get(fasthit.KEY_STATE)
            entry = cache.peek(cached) if cached is not None else None
            if entry is None or entry.body != note.body:
                return
            entry_headers = entry.headers
        self.answers[key] = Answer(
            sql=sql,
            arguments=arguments,
            bearer=bearer,
            requested=requested,
            limit=self.graphql.settings.query_cost_limit,
            operation=operation,
            principal=principal,
            status=200,
            headers=headers,
            encoded=coding is not None,
            keys=keys,
            plan=note.plan,
            persisted=_persisted(key[0]),
            cache=cache,
            cached=cached,
            entry_headers=entry_headers,
            head=note.head,
        )
        if len(self.answers) > ANSWERS:
            self.answers.popitem(last=False)

    def _hit_seen(
        self,
        key: tuple[Any, ...],
        state: Any,
        start: Message | None,
        sent: bytes,
        token: str | None,
        keys: Any,
        cache: Any,
    ) -> None:
        """A hit of the response cache the whole stack answered, remembered when the lane can
        answer it again exactly so (``graphql.fasthit``)."""
        hit = fasthit.seen(
            state, start, sent, token=token, keys=keys, cache=cache, compress=self.compress
        )
        if hit is None:
            return
        self.hits[key] = hit
        if len(self.hits) > ANSWERS:
            self.hits.popitem(last=False)

    # --- the next times -------------------------------------------------------------------------

    async def _served(
        self, answer: Answer, key: tuple[Any, ...], scope: Scope, receive: Receive, send: Send
    ) -> bool:
        """The answer sent by the lane (True), or nothing sent (False: the whole stack's)."""
        state = scope["state"] = dict(scope.get("state") or {})
        check = None
        if answer.bearer:
            token = _token(scope)
            try:
                check = self.bearer._deferred(scope, token or "")
            except InvalidToken:
                return False  # the whole stack answers its 401
            if check is None or check.remembered.principal is not answer.principal:
                self.answers.pop(key, None)
                return False
            state[STATE_KEY] = check
        state["principal"] = answer.principal
        request_id = lane_http.request_id(scope)
        state["request_id"] = request_id
        info = RequestInfo(request_id=request_id, method="POST", path=PATH, state=state)
        begin(info)
        lane = _Exchange(answer, check, request_id.encode())
        state[_EXCHANGE] = lane
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = info.status = int(message["status"])
                if message is not lane.start:  # the outage middleware's 503/504
                    message = _outer(message, lane.request_id)
            await send(message)

        metrics.IN_FLIGHT.inc()
        try:
            await self.outage(scope, receive, observed_send)
        finally:
            metrics.IN_FLIGHT.dec()
            if not lane.aside:
                info.route = PATH
                info.status = status
                seconds = info.elapsed()
                metrics.observe_request("POST", PATH, status, seconds)
                logs.access(info, status, seconds)
        if lane.forget:
            self.answers.pop(key, None)
        if not lane.aside:
            self.served += 1
        return not lane.aside

    async def _endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Inside the outage middleware: the statement, and the answer (or nothing, aside)."""
        lane: _Exchange = scope["state"][_EXCHANGE]
        try:
            await self._answered(lane, scope, send)
        except Exception:
            if lane.start is not None:
                raise
            # A gap in the lane must never fail a request the whole stack answers.
            log.exception("the fast lane failed; answering through the whole stack")
            lane.aside = lane.forget = True

    async def _answered(self, lane: _Exchange, scope: Scope, send: Send) -> None:
        answer, check = lane.answer, lane.check
        started = time.perf_counter()
        cache, version = self.graphql.cache, None
        if cache is not None and cache.usable():
            if cache.peek(answer.cached) is not None:
                lane.aside = True  # a hit: the whole stack answers it (and the lane sees it)
                return
            cache.misses += 1
            version = cache.version
        budget = None
        if self.limiter.enabled:
            client = scope.get("client")
            budget = RequestBudget(
                self.limiter, bucket_key(answer.principal, client[0] if client else None)
            )
            if not (await budget.take(answer.requested)).allowed:
                lane.aside = True  # the whole stack says THROTTLED, with its 429
                return
        db = RequestDb(self.graphql.database)
        db.single_read()
        db.read_only(principal_key(answer.principal))
        steps = [(answer.sql, answer.arguments)]
        if answer.head is not None and reads.TWO_STEP:
            steps = [answer.head, *steps]
        try:
            facts = check.arguments if check is not None else None
            row, _ = await reads.answered(db.driver_row, steps, facts)
            await db.close()
        except Exception as exc:
            await db.close(failed=True)
            if availability.note(exc) is None:  # not an outage: the whole stack says what failed
                lane.aside = True
            return  # an outage: the outage middleware answers 503/504, as on the whole stack
        if check is not None:
            try:
                if not check.settle(tuple(row)[2:]):
                    lane.aside = lane.forget = True  # read for a principal that changed
                    return
            except InvalidToken:
                lane.aside = lane.forget = True  # the whole stack answers its 401
                return
        data, actual = row[0], int(row[1])
        throttle = None
        limits: list[tuple[bytes, bytes]] = []
        if budget is not None:
            await budget.settle(actual)
            decision = budget.decision
            assert decision is not None
            throttle = decision.throttle_status()
            limits = [(n.lower().encode(), v.encode()) for n, v in decision.headers()]
        cost = {
            "requestedQueryCost": answer.requested,
            "actualQueryCost": actual,
            "maximumQueryCost": answer.limit,
            "throttleStatus": throttle,
        }
        body = response_body(data, cost)
        if version is not None:  # stored as the whole stack stores it (graphql.fasthit)
            await self._stored(answer, version, body, budget is not None, cost)
        coding = self._coding(scope)
        encoded = coding is not None and len(body) >= self.minimum_size
        if encoded != answer.encoded:  # compressed then and not now, or the other way round
            lane.aside = lane.forget = True
            return
        if coding is not None and encoded:
            body = self.compress(body, coding)
        observed(self.graphql.settings, answer.operation, time.perf_counter() - started)
        lane.start = {
            "type": "http.response.start",
            "status": answer.status,
            "headers": _filled(answer.headers, body, lane.request_id, limits),
        }
        await send(lane.start)
        await send({"type": "http.response.body", "body": body})

    async def _stored(
        self, answer: Answer, version: int, body: bytes, metered: bool, cost: dict[str, Any]
    ) -> None:
        """The lane's answer to a miss filled into the response cache as ``GraphQLApp._answer``
        fills it: under the same key, unless the data version moved while it was read."""
        cache = self.graphql.cache
        if cache is None or version != cache.version or not cache.usable():
            return
        expires = await cache.deadline()
        if expires is None:
            return
        charge = (cost["requestedQueryCost"], cost["actualQueryCost"] or 0) if metered else None
        fasthit.stored(
            cache,
            answer.cached,
            version,
            body,
            answer.entry_headers,
            expires,
            charge,
            cost["throttleStatus"],
        )


_EXCHANGE = "lnob_fastlane"


def _persisted(body: bytes) -> tuple[str, str | None] | None:
    """The persisted document a remembered request names: its store key, and its text when
    the request sent it too (``graphql.persisted``: ``documentId`` or an APQ hash)."""
    try:
        params = json.loads(body)
    except ValueError:
        return None
    if not isinstance(params, dict):
        return None
    document_id = params.get("documentId")
    if isinstance(document_id, str):
        return document_id.partition(":")[2], None
    extensions = params.get("extensions")
    apq = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if isinstance(apq, dict) and isinstance(apq.get("sha256Hash"), str):
        query = params.get("query")
        return apq["sha256Hash"], query if isinstance(query, str) else None
    return None


@dataclass(slots=True)
class _Exchange:
    answer: Answer
    check: DeferredCheck | None
    request_id: bytes
    aside: bool = False  # nothing sent: the whole stack answers
    forget: bool = False  # the remembered answer no longer holds
    start: Message | None = None  # the lane's own response start, once sent


def _outer(start: Message, request_id: bytes) -> Message:
    """The outage middleware's JSON answer as the layers outside it send it on: the
    compression's ``Vary`` (a textual answer, never compressed) and the request id."""
    extra = [(b"vary", b"Accept-Encoding"), (_REQUEST_ID, request_id)]
    return {**start, "headers": [*start.get("headers", ()), *extra]}


async def _body(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The request's body (None when something else than the body came) and its messages."""
    messages: list[Message] = []
    parts: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts), messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives the messages already read, then the client's own."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


__all__ = ["ENABLED", "FastLane", "Note"]
