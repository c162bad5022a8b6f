"""OpenTelemetry traces: a span per request, per loader batch and per SQL statement.

Optional: the ``otel`` extra installs the OpenTelemetry API, SDK and OTLP exporter. Tracing is
on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is set and the extra is
installed (the exporter and ``Resource`` read the other ``OTEL_*`` variables themselves), or when
a test hands a provider to ``use_provider``. Otherwise every function here is a cheap no-op, and
without the extra nothing is imported at all.

Spans carry no values: a statement span has the SQL text with its placeholders (never the
parameters), a request span the route template and path without the query string.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lnob_api.config import Settings

_log = logging.getLogger("lnob_api.tracing")

try:
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind, Status, StatusCode

    AVAILABLE = True
except ImportError:  # the otel extra is not installed
    AVAILABLE = False

TRACER_NAME = "lnob_api"
SERVICE_NAME = "lnob-api"
MAX_STATEMENT_LENGTH = 2000
_SPAN = "_lnob_span"
_tracer: Any = None
_provider: Any = None


def use_provider(provider: Any) -> None:
    """Trace into ``provider`` (a TracerProvider), or stop tracing with ``None``."""
    global _tracer, _provider
    _provider = provider
    _tracer = provider.get_tracer(TRACER_NAME) if provider is not None else None


def flush() -> None:
    """Send the spans still waiting in the provider's batch."""
    if _provider is not None:
        _provider.force_flush()


def enabled() -> bool:
    return _tracer is not None


def configure(settings: Settings) -> None:
    """Start exporting over OTLP when an endpoint is configured (once per process)."""
    if _tracer is not None or not settings.otel_endpoint:
        return
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        _log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but tracing is off: install lnob-api[otel]"
        )
        return
    # The exporter reads the endpoint (appending /v1/traces to the general one), headers and
    # timeouts from the OTEL_* variables itself; Resource reads OTEL_SERVICE_NAME and
    # OTEL_RESOURCE_ATTRIBUTES; the service is "lnob-api" unless they name it.
    resource = Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    atexit.register(provider.shutdown)  # the last batch is sent when the worker stops
    use_provider(provider)


@contextmanager
def request_span(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> Iterator[Any]:
    """The server span of one HTTP request, child of the caller's ``traceparent`` if any."""
    if _tracer is None:
        yield None
        return
    carrier = {
        k.decode("latin-1"): v.decode("latin-1")
        for k, v in headers
        if k in (b"traceparent", b"tracestate")
    }
    parent = propagate.extract(carrier)
    attributes = {"http.request.method": method, "url.path": path}
    with _tracer.start_as_current_span(
        method, context=parent, kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        yield span


def finish_request(
    span: Any, *, method: str, route: str, status: int, request_id: str, operation: str | None
) -> None:
    if span is None:
        return
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    span.set_attribute("lnob.request_id", request_id)
    if operation is not None:
        span.set_attribute("graphql.operation.name", operation)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


@contextmanager
def loader_span(kind: str, keys: int) -> Iterator[None]:
    """A span around one DataLoader batch (``kind``: one, list, page, count...)."""
    if _tracer is None:
        yield
        return
    attributes = {"lnob.loader.kind": kind, "lnob.loader.keys": keys}
    with _tracer.start_as_current_span(f"loader {kind}", attributes=attributes):
        yield


def instrument_engine(engine: Any) -> None:
    """A client span per SQL statement sent on ``engine`` (an AsyncEngine), when tracing is on."""
    from sqlalchemy import event

    sync_engine = engine.sync_engine
    database = sync_engine.url.database or ""
    event.listen(sync_engine, "before_cursor_execute", _before(database))
    event.listen(sync_engine, "after_cursor_execute", _after)
    event.listen(sync_engine, "handle_error", _failed)


def _before(database: str) -> Any:
    def before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if _tracer is None or context is None:
            return
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        attributes = {
            "db.system.name": "postgresql",
            "db.namespace": database,
            "db.operation.name": verb,
            "db.query.text": statement[:MAX_STATEMENT_LENGTH],
        }
        span = _tracer.start_span(verb, kind=SpanKind.CLIENT, attributes=attributes)
        setattr(context, _SPAN, span)

    return before


def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
    span = getattr(context, _SPAN, None)
    if span is not None:
        span.end()
        setattr(context, _SPAN, None)


def _failed(exception_context: Any) -> None:
    span = getattr(exception_context.execution_context, _SPAN, None)
    if span is not None:
        error = exception_context.original_exception
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()
        setattr(exception_context.execution_context, _SPAN, None)


def traced_batch(key: Any, batch: Any) -> Any:
    """``batch`` (a DataLoader batch function), each call in a loader span when tracing is on.
    ``key`` is the loader's key; its first part, when a string, names the kind of loader."""
    if _tracer is None:
        return batch
    kind = key[0] if isinstance(key, tuple) and key and isinstance(key[0], str) else "batch"

    async def traced(keys: list[Any]) -> Any:
        with loader_span(kind, len(keys)):
            return await batch(keys)

    return traced
