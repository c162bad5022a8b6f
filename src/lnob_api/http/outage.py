"""Outages and time bounds as ASGI middleware: every route answers a JSON 503 with
``Retry-After`` when the database is unreachable or too slow, and no request outlives its
client or its deadline.

- A request that failed on the database (an exception, or a failure noted by ``RequestDb``
  while GraphQL turned it into a field error) gets 503 instead of whatever the route would
  have sent, as long as no response has started; ``/graphql`` gets a GraphQL error body with
  ``extensions.code`` ``SERVICE_UNAVAILABLE`` (or ``TIMEOUT``) and no ``data``.
- The request deadline runs until the response starts (GraphQL answers in one piece; a
  stream, once started, is bounded by its statement timeout instead).
- When the client goes away (``http.disconnect``) before the response starts, the statement
  the request is running is cancelled on the server (``pg_cancel_backend`` from another
  pooled connection: cancelling the request's task does not reach a statement inside asyncpg,
  and request statements are shielded from it on purpose), then the request is cancelled.
  So are the statements of a request past its deadline, before its 503 (waiting at most
  ``CANCEL_WAIT`` for the cancels): left alone, each would run on to its statement_timeout
  holding a pooled connection, while the retries of a stall open new ones.
- A request that has answered within ``WATCH_AFTER`` never needed either: the disconnect
  watcher (a task) and the deadline (a timer) are set up only once it has run that long
  (this middleware alone around a trivial endpoint: 18.0 -> 12.2 µs of CPU per request). One
  timer per event loop does it for every request in flight (``_Arming``), at the moment a
  timer of its own would have: a request only joins its queue, and leaves it when it ends
  (a timer per request was created and cancelled around each: 35 -> 27 µs, bench/
  request_profile.py --ab arm).
- One log line per failed request, never a traceback for an outage or a closed download.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Any

import anyio
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lnob_api.db import availability
from lnob_api.db.availability import MESSAGES, Failure, RequestHealth
from lnob_api.http.middleware import HttpMiddleware

_log = logging.getLogger("lnob_api.outage")

RETRY_AFTER = 5
# How long a request runs before its disconnect watcher and deadline are set up.
WATCH_AFTER = 0.01
# How long a request past its deadline waits for its statements' cancels before its 503.
CANCEL_WAIT = 1.0
# The ``native`` middlewares stop their app without an anyio cancel scope (False: with one,
# for the A/B of bench/request_profile.py --ab native).
NATIVE = True
# Requests armed by one timer per event loop (``_Arming``); False: a timer of each request's
# own, for the A/B (bench/request_profile.py --ab arm).
SHARED_TIMER = True


class _Arming:
    """The requests of one event loop waiting for their ``slow`` call, in the order of their
    arming times (every request of a middleware waits as long), and the one timer that calls
    them when due."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[_Exchange, float] = {}  # in arrival order: arming time
        self.timer: asyncio.TimerHandle | None = None

    def add(self, exchange: _Exchange, at: float) -> None:
        self.waiting[exchange] = at
        if self.timer is None:
            self.timer = self.loop.call_at(at, self.due)

    def discard(self, exchange: _Exchange) -> None:
        self.waiting.pop(exchange, None)  # the timer stays: it stops when nobody waits

    def due(self) -> None:
        self.timer = None
        now = self.loop.time()
        waiting = self.waiting
        while waiting:
            exchange, at = next(iter(waiting.items()))
            if at > now:
                self.timer = self.loop.call_at(at, self.due)
                return
            del waiting[exchange]
            exchange.slow()


class OutageMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, request_timeout: float, native: bool = False) -> None:
        """``native``: the app is stopped by a cancellation of the request's task
        (``_Exchange.stop``), not by an anyio cancel scope; only for an app whose every
        await lets one cancellation through, such as the fast lane's statement."""
        super().__init__(app)
        self.request_timeout = request_timeout
        self.native = native
        self._arming: _Arming | None = None  # of the event loop serving (tests use several)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = _Exchange(scope, receive, send, self.native and NATIVE)
        health = RequestHealth()
        token = availability.CURRENT.set(health)
        loop = asyncio.get_running_loop()
        now = loop.time()
        exchange.deadline = now + self.request_timeout
        wait = min(WATCH_AFTER, self.request_timeout)
        arming = later = None
        if SHARED_TIMER:
            arming = self._arming
            if arming is None or arming.loop is not loop:
                arming = self._arming = _Arming(loop)
            arming.add(exchange, now + wait)
        else:
            later = loop.call_later(wait, exchange.slow)
        try:
            await exchange.run(self.app, health)
            await self._answer(exchange, health)
        finally:
            if arming is not None:
                arming.discard(exchange)
            if later is not None:
                later.cancel()
            watcher = exchange.watcher
            if watcher is not None:
                # Dropped, not only cancelled: the cancelled task keeps its CancelledError,
                # whose traceback holds this exchange (and through its ``send`` the response's
                # compressor), and the exchange held the task: a cycle that only the
                # collector's rare full passes freed (RSS grew ~70 MiB under load, issue 12).
                exchange.watcher = None
                watcher.cancel()
            availability.CURRENT.reset(token)
            if health.cleanups:
                # After the answer, and not in its way: releasing a connection to a stalled
                # server waits for the command timeout.
                task = asyncio.create_task(_release(health))
                _releasing.add(task)
                task.add_done_callback(_releasing.discard)

    async def _answer(self, exchange: _Exchange, health: RequestHealth) -> None:
        if exchange.timed_out:
            if health.cancels:
                await _cancel_in_time(health)
            if health.failure is None:
                health.failure = Failure.TIMEOUT
                health.detail = f"no response within {self.request_timeout:g} s"
        if health.failure is None or exchange.client_left:
            return
        scope = exchange.scope
        _log.warning(
            "%s: %s %s (request %s): %s",
            health.failure.value.lower().replace("_", " "),
            scope.get("method", ""),
            scope.get("path", ""),
            scope.get("state", {}).get("request_id", "-"),
            health.detail,
        )
        if not exchange.started:
            await send_unavailable(scope, exchange.raw_send, health.failure)


_releasing: set[asyncio.Task[None]] = set()


async def _release(health: RequestHealth) -> None:
    for cleanup in health.cleanups:
        try:
            await cleanup()
        except Exception as exc:  # the request is over: nobody else would hear of it
            _log.warning("could not release a database connection: %s", availability.one_line(exc))


async def _cancel_in_time(health: RequestHealth) -> None:
    """Ask PostgreSQL to stop the statements of a request past its deadline before the 503
    goes out, so that a client retrying at once does not find its old statement still
    holding a connection; but wait at most CANCEL_WAIT for it (a stalled server may not
    answer the cancel either): the cancels carry on after the answer."""
    task = asyncio.ensure_future(_cancel_running(health))
    _releasing.add(task)
    task.add_done_callback(_releasing.discard)
    await asyncio.wait((task,), timeout=CANCEL_WAIT)


async def _cancel_running(health: RequestHealth) -> None:
    """Ask PostgreSQL to stop the statements of a request whose client left, or that ran
    past its deadline."""
    for cancel in list(health.cancels):
        try:
            await cancel()
        except Exception as exc:  # the request is over for its client: only the log hears
            _log.warning("could not cancel a statement: %s", availability.one_line(exc))


class _Exchange:
    """One request's messages: who has started answering, and whether the client left."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, native: bool) -> None:
        self.scope = scope
        self._receive = receive
        self.raw_send = send
        self.started = False  # a response start went out to the client
        self.replaced = False  # the app's answer is being dropped for a 503
        self.complete = False
        self.timed_out = False
        self.client_left = False  # the client went away before the response was complete
        self.disconnected = asyncio.Event()
        self._body_read = asyncio.Event()
        self._first: Message | None = None
        # How the app is stopped at its deadline or when its client leaves: an anyio cancel
        # scope, delivered again at every await until the app is out (a ``finally`` that
        # awaits is cut short too); or, ``native``, one cancellation of the request's task
        # (anyio's scope costs about 6 µs of CPU a request: its creation, entry and exit).
        self._app_scope = None if native else anyio.CancelScope()
        self._task: asyncio.Task[Any] | None = None  # native: the request's, while in the app
        self._stopping = False  # native: the request's task was cancelled by ``stop``
        self._timer: asyncio.TimerHandle | None = None  # native: the deadline's
        self._health: RequestHealth | None = None
        self.deadline = math.inf  # the request's deadline (event loop time)
        self.watcher: asyncio.Task[None] | None = None

    def slow(self) -> None:
        """The request has run ``WATCH_AFTER``: watch for the client leaving, and bound it by
        its deadline unless its response has started."""
        loop = asyncio.get_running_loop()
        self.watcher = loop.create_task(self.watch())
        if not self.started and not self.complete:
            if self._app_scope is not None:
                self._app_scope.deadline = self.deadline
            elif self._task is not None:
                self._timer = loop.call_at(self.deadline, self.stop)

    def stop(self) -> None:
        """Stop the app (its deadline passed, or its client left)."""
        if self._app_scope is not None:
            self._app_scope.cancel()
        elif self._task is not None and not self._stopping:
            # The request's task is waiting at an await of the app (this runs in a callback
            # or another task): the cancellation is raised there.
            self._stopping = True
            self._task.cancel()

    async def run(self, app: ASGIApp, health: RequestHealth) -> None:
        self._health = health
        try:
            if self._app_scope is not None:
                with self._app_scope:
                    await self._run(app)
                caught = self._app_scope.cancelled_caught
            else:
                caught = await self._run_native(app)
        except Exception as exc:
            failure = availability.note(exc)
            if self.started and isinstance(exc, ClientDisconnect | OSError):
                return  # the client closed a download: nothing to tell anyone
            if failure is None:
                raise
            return
        if caught and not self.client_left:
            self.timed_out = True

    async def _run(self, app: ASGIApp) -> None:
        # Take the first request message now (for a GET, the empty body), so that the
        # watcher never reads concurrently with the app.
        self._first = await self._receive()
        self._observe(self._first)
        await app(self.scope, self.receive, self.send)

    async def _run_native(self, app: ASGIApp) -> bool:
        """``_run`` stopped by a cancellation of its task; whether ``stop`` stopped it."""
        task = self._task = asyncio.current_task()
        assert task is not None
        try:
            await self._run(app)
        except asyncio.CancelledError:
            if self._stopping and task.uncancel() == 0:
                return True
            raise  # cancelled by someone else (the server shutting down) as well
        finally:
            self._task = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self._stopping:  # the app let the cancellation go and answered all the same
            task.uncancel()
        return False

    async def receive(self) -> Message:
        if self._first is not None:
            message, self._first = self._first, None
            return message
        if self._body_read.is_set():
            await self.disconnected.wait()
            return {"type": "http.disconnect"}
        message = await self._receive()
        self._observe(message)
        return message

    def _observe(self, message: Message) -> None:
        if message["type"] == "http.disconnect":
            self.disconnected.set()
            self._body_read.set()
        elif not message.get("more_body", False):
            self._body_read.set()

    async def watch(self) -> None:
        """Wait for the client to go away once the body is read, and cancel the request."""
        await self._body_read.wait()
        if not self.disconnected.is_set():
            message = await self._receive()
            if message["type"] != "http.disconnect":
                return
            self.disconnected.set()
        if not self.complete:
            self.client_left = True
            if not self.started:  # a started stream stops itself on the disconnect message
                if self._health is not None:
                    await _cancel_running(self._health)
                self.stop()

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            health = self._health
            if health is not None and health.failure is not None and message["status"] != 503:
                self.replaced = True
                return
            self.started = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            elif self._app_scope is not None and self._app_scope.deadline != math.inf:
                self._app_scope.deadline = math.inf
        elif self.replaced:
            return
        elif kind == "http.response.body" and not message.get("more_body", False):
            self.complete = True
        await self.raw_send(message)


async def send_unavailable(scope: Scope, send: Send, failure: Failure) -> None:
    """The 503 answer: a GraphQL error body on ``/graphql``, an OAuth-style one elsewhere."""
    message = MESSAGES[failure]
    request_id = scope.get("state", {}).get("request_id", "")
    body: dict[str, Any]
    if scope.get("path", "").startswith("/graphql"):
        extensions = {"code": failure.value} | ({"requestId": request_id} if request_id else {})
        body = {"errors": [{"message": message, "extensions": extensions}]}
        media_type = _graphql_media_type(scope)
    else:
        body = {"error": failure.value.lower(), "error_description": message}
        media_type = b"application/json"
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(payload)).encode()),
        (b"retry-after", str(RETRY_AFTER).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _graphql_media_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"accept" and b"application/graphql-response+json" in value:
            return b"application/graphql-response+json; charset=utf-8"
    return b"application/json"
