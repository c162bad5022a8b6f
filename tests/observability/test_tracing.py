"""OpenTelemetry spans with the SDK's in-memory exporter: one per request (the caller's
``traceparent`` as parent), per loader batch and per SQL statement; nothing breaks without the
``otel`` extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from lnob_api.config import Settings
from lnob_api.observability import tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
NESTED = {"query": "query Goals { sdgGoals(first: 3) { nodes { code targets { code } } } }"}


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    yield exporter
    tracing.use_provider(None)
    provider.shutdown()


def _one(found: list[ReadableSpan], kind: SpanKind) -> ReadableSpan:
    matching = [s for s in found if s.kind is kind]
    assert len(matching) == 1, [s.name for s in found]
    return matching[0]


class TestRequestSpans:
    async def test_the_request_span_continues_the_callers_trace(
        self, client: httpx.AsyncClient, spans: InMemorySpanExporter
    ) -> None:
        # when
        response = await client.post(
            "/graphql",
            json={"query": "query Probe { viewer { kind } }"},
            headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "X-Request-Id": "trace-1"},
        )
        # then
        assert response.status_code == 200
        server = _one(list(spans.get_finished_spans()), SpanKind.SERVER)
        assert format(server.context.trace_id, "032x") == TRACE_ID
        assert server.parent is not None and format(server.parent.span_id, "016x") == PARENT_ID
        assert server.name == "POST /graphql"
        attributes = dict(server.attributes or {})
        assert attributes["http.route"] == "/graphql"
        assert attributes["http.response.status_code"] == 200
        assert attributes["graphql.operation.name"] == "Probe"
        assert attributes["lnob.request_id"] == "trace-1"

    async def test_without_traceparent_the_request_starts_a_trace(
        self, client: httpx.AsyncClient, spans: InMemorySpanExporter
    ) -> None:
        # when
        await client.get("/.well-known/openid-configuration")
        # then
        server = _one(list(spans.get_finished_spans()), SpanKind.SERVER)
        assert server.parent is None
        assert server.name == "GET /.well-known/openid-configuration"

    async def test_loader_batches_and_statements_are_children_of_the_request(
        self, client: httpx.AsyncClient, spans: InMemorySpanExporter
    ) -> None:
        # when
        response = await client.post("/graphql", json=NESTED)
        # then
        assert response.status_code == 200
        assert len(response.json()["data"]["sdgGoals"]["nodes"]) == 3
        found = list(spans.get_finished_spans())
        server = _one(found, SpanKind.SERVER)
        by_id = {s.context.span_id: s for s in found}
        loaders = [s for s in found if s.name.startswith("loader ")]
        statements = [s for s in found if s.kind is SpanKind.CLIENT]
        assert loaders and statements
        assert {s.context.trace_id for s in found} == {server.context.trace_id}
        for span in loaders:
            assert span.parent is not None and span.parent.span_id == server.context.span_id
            assert dict(span.attributes or {})["lnob.loader.keys"] == 3
        # the targets of the three goals are read in one batch, by one statement inside it
        targets = [s for s in statements if s.parent and by_id[s.parent.span_id] in loaders]
        assert len(targets) == 1
        for span in statements:
            attributes = dict(span.attributes or {})
            assert attributes["db.system.name"] == "postgresql"
            assert span.name == attributes["db.operation.name"]
        # the statement's text, with placeholders where the values go (never the values)
        text = str(dict(targets[0].attributes or {})["db.query.text"])
        assert text.startswith("SELECT") and "$1" in text


class TestWithoutTheExtra:
    def test_nothing_breaks_when_opentelemetry_is_missing(self) -> None:
        # given: a process where opentelemetry cannot be imported
        script = textwrap.dedent(
            """
            import sys
            sys.modules["opentelemetry"] = None  # makes every import of it fail
            import asyncio, httpx
            from lnob_api.app import create_app
            from lnob_api.auth.keys import KeyStore, new_key
            from lnob_api.config import Settings
            from lnob_api.db import create_engine
            from lnob_api.observability import tracing
            assert not tracing.AVAILABLE
            settings = Settings(env="test", otel_endpoint="http://127.0.0.1:9/v1/traces")
            create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")  # instrumented, unused
            app = create_app(settings, database=object(), keys=KeyStore([new_key()]))
            async def main():
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                    r = await c.get("/.well-known/openid-configuration")
                    assert r.status_code == 200, r.text
            asyncio.run(main())
            print("ok")
            """
        )
        # when
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
        )
        # then
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"
        assert "install lnob-api[otel]" in result.stderr


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append((self.path, self.headers.get("Content-Type", ""), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class TestOtlpExport:
    def test_spans_reach_an_otlp_endpoint(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # given: a collector on a free port, named the way an operator would
        collector = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
        threading.Thread(target=collector.serve_forever, daemon=True).start()
        endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "lnob-api-under-test")
        settings = Settings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
        try:
            # when
            tracing.configure(settings)
            with tracing.loader_span("one", 2):
                pass
            assert tracing.enabled()
            tracing.flush()
        finally:
            provider = tracing._provider
            tracing.use_provider(None)
            if provider is not None:
                provider.shutdown()
            collector.shutdown()
        # then
        paths = [(path, kind) for path, kind, _ in _Collector.received]
        assert ("/v1/traces", "application/x-protobuf") in paths
        body = b"".join(b for _, _, b in _Collector.received)
        assert b"loader one" in body and b"lnob-api-under-test" in body
