"""Prometheus metrics (``prometheus_client``).

Labels stay bounded whatever clients send: routes are the application's route templates
(``unmatched`` for anything else), GraphQL operations are labelled by name only when the name is
known (listed in ``LNOB_METRICS_OPERATIONS``) or, without such a list, among the first
``MAX_OPERATION_NAMES`` well-formed names a worker sees; every other name counts as ``other``,
and an operation without a name as ``anonymous``. Error codes are the service's own
(``extensions.code``, HTTP status), checked against a pattern too.

With several workers (``serve --workers N``) the metrics live in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus_client's multiprocess mode, set up by ``serve``) and any worker's ``/metrics``
answers for all of them.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
MAX_OPERATION_NAMES = 200
OTHER = "other"
ANONYMOUS = "anonymous"
UNMATCHED = "unmatched"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")  # a GraphQL Name, at most 64 long
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,47}$")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "lnob_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "lnob_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "lnob_http_requests_in_flight",
    "Requests being served now.",
    multiprocess_mode="livesum",
)
OPERATIONS = Counter(
    "lnob_graphql_operations",
    "GraphQL operations executed, by operation name (bounded) and type.",
    ["operation", "type"],
)
OPERATION_LATENCY = Histogram(
    "lnob_graphql_operation_duration_seconds",
    "Time spent executing a GraphQL operation, by operation name (bounded) and type.",
    ["operation", "type"],
    buckets=_LATENCY_BUCKETS,
)
ERRORS = Counter(
    "lnob_errors",
    "Errors by source: graphql (one per error, by extensions.code) or http (status >= 400).",
    ["source", "code"],
)
POOL_SIZE = Gauge(
    "lnob_db_pool_size",
    "Connections the pool keeps (its size).",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "lnob_db_pool_checked_out",
    "Pooled connections in use now (shelved ones not counted: see lnob_db_pool_shelved).",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_SHELVED = Gauge(
    "lnob_db_pool_shelved",
    "Connections held idle off the pool for the next compiled read (given back when reads "
    "stop or the pool has no idle connection left).",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_OVERFLOW = Gauge(
    "lnob_db_pool_overflow",
    "Connections open beyond the pool's size (negative: fewer open than its size).",
    ["pool"],
    multiprocess_mode="livesum",
)
COMPILED_FALLBACKS = Counter(
    "lnob_compiled_fallbacks",
    "Read queries the compiled read path handed back to the resolvers, by reason.",
    ["reason"],
)
WORKERS = Gauge(
    "lnob_worker_up",
    "1 for each worker process serving (one series per process with several workers).",
    multiprocess_mode="liveall",
)


class OperationNames:
    """Which operation names become label values (see the module docstring)."""

    def __init__(self, known: Iterable[str] = (), *, limit: int = MAX_OPERATION_NAMES) -> None:
        self.known = frozenset(n for n in known if _NAME.match(n))
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if not _NAME.match(name) or name in (OTHER, ANONYMOUS):
            return OTHER
        if self.known:
            return name if name in self.known else OTHER
        if name in self._seen:
            return name
        with self._lock:
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(name)
        return name


def code_label(code: object) -> str:
    text = str(code) if code is not None else ""
    return text if _CODE.match(text) else "OTHER"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "OTHER"
    key = (method, route, status)
    children = _REQUEST_CHILDREN.get(key)
    if children is None:  # labels() takes a lock and checks its arguments: once per key
        children = (
            HTTP_REQUESTS.labels(method, route, str(status)),
            HTTP_LATENCY.labels(method, route),
            ERRORS.labels("http", str(status)) if status >= 400 else None,
        )
        _REQUEST_CHILDREN[key] = children  # bounded: methods x route templates x statuses
    children[0].inc()
    children[1].observe(seconds)
    if children[2] is not None:
        children[2].inc()


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}


def observe_operation(operation: str, kind: str, seconds: float) -> None:
    key = (operation, kind)
    children = _OPERATION_CHILDREN.get(key)
    if children is None:  # as observe_request: labels() once per key
        children = (OPERATIONS.labels(operation, kind), OPERATION_LATENCY.labels(operation, kind))
        _OPERATION_CHILDREN[key] = children  # bounded: operation labels (OperationNames) x types
    children[0].inc()
    children[1].observe(seconds)


_OPERATION_CHILDREN: dict[tuple[str, str], tuple[Any, Any]] = {}


def observe_errors(codes: Iterable[object]) -> None:
    for code in codes:
        ERRORS.labels("graphql", code_label(code)).inc()


class PoolWatch:
    """The pool gauges of one engine, kept current on every checkout, checkin and new
    connection, and on every move on or off the compiled reads' shelf
    (``db.request.EngineDatabase``): a shelved connection is checked out as far as the pool
    knows, idle as far as an operator cares, so it counts as shelved, not checked out."""

    def __init__(self, sync_engine: Any, name: str) -> None:
        self._engine = sync_engine  # its pool, read each time: ``dispose()`` replaces it
        self._size, self._checked_out, self._overflow, self._shelved = (
            gauge.labels(name)
            for gauge in (POOL_SIZE, POOL_CHECKED_OUT, POOL_OVERFLOW, POOL_SHELVED)
        )
        self._held = 0

    def update(self, returning: int = 0) -> None:
        pool = self._engine.pool
        self._size.set(pool.size())
        self._overflow.set(pool.overflow())
        self._counts(returning)

    def shelved(self, change: int) -> None:
        """``change`` connections put on a shelf (negative: taken off it, before they go
        back to the pool or into use)."""
        self._held = max(0, self._held + change)
        self._counts()

    def _counts(self, returning: int = 0) -> None:
        # During the checkin event the connection still counts as checked out.
        in_use = self._engine.pool.checkedout() - returning - self._held
        self._checked_out.set(max(0, in_use))
        self._shelved.set(self._held)


_WATCHES: weakref.WeakKeyDictionary[Any, PoolWatch] = weakref.WeakKeyDictionary()


def watch_pool(engine: Any, name: str = "primary") -> PoolWatch:
    """Keep the pool gauges of ``engine`` (an AsyncEngine) current (``PoolWatch``)."""
    from sqlalchemy import event

    sync_engine = engine.sync_engine
    watch = _WATCHES[sync_engine] = PoolWatch(sync_engine, name)
    event.listen(sync_engine, "checkout", lambda *_: watch.update())
    event.listen(sync_engine, "checkin", lambda *_: watch.update(returning=1))
    event.listen(sync_engine, "connect", lambda *_: watch.update())
    watch.update()
    return watch


def pool_watch(engine: Any) -> PoolWatch | None:
    """The ``PoolWatch`` of ``engine`` (an AsyncEngine), None when its pool is not watched."""
    return _WATCHES.get(engine.sync_engine)


def worker_started() -> None:
    WORKERS.set(1)


def worker_stopped(multiproc_dir: str | None) -> None:
    """Drop this process's live gauges (multiprocess mode): the others keep reporting."""
    if multiproc_dir:
        multiprocess.mark_process_dead(os.getpid(), multiproc_dir)  # type: ignore[no-untyped-call]


def exposition(multiproc_dir: str | None) -> tuple[bytes, str]:
    """The metrics in Prometheus' text format: this process's, or every worker's in
    multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, which prometheus_client reads when it is
    imported)."""
    if multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def multiprocess_dir(configured: str | None, workers: int) -> str | None:
    """The folder ``serve`` hands its workers as ``PROMETHEUS_MULTIPROC_DIR``: the configured
    one (emptied of a previous run's files), or with several workers a fresh temporary one;
    ``None`` for one worker without a configured folder (metrics stay in memory)."""
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return str(folder)
    if workers > 1:
        return tempfile.mkdtemp(prefix="lnob-metrics-")
    return None
