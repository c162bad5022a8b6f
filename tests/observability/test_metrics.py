"""``/metrics``: what is counted, bounded labels, and who may read it (real HTTP through the app)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db import create_engine
from lnob_api.observability.metrics import OperationNames

NAMED = {"query": "query ViewerKind { viewer { kind } }"}
METRICS_TOKEN = "a-metrics-token-of-some-length"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def backend_pid(conn: AsyncConnection) -> int:
    return int((await conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one())


def scraped(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


async def _client(
    conn: AsyncConnection, keys: KeyStore, settings: Settings, address: str = "127.0.0.1"
) -> httpx.AsyncClient:
    from lnob_api.app import create_app
    from lnob_api.db.request import ConnectionDatabase

    app = create_app(settings, database=ConnectionDatabase(conn), keys=keys)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


class TestCounted:
    async def test_an_operation_is_counted_by_name_route_and_status(
        self, client: httpx.AsyncClient
    ) -> None:
        # given
        operation = ("lnob_graphql_operations_total", {"operation": "ViewerKind", "type": "query"})
        request = (
            "lnob_http_requests_total",
            {"method": "POST", "route": "/graphql", "status": "200"},
        )
        latency = (
            "lnob_http_request_duration_seconds_count",
            {"method": "POST", "route": "/graphql"},
        )
        before = [value(n, **labels) for n, labels in (operation, request, latency)]
        # when
        response = await client.post("/graphql", json=NAMED)
        # then
        assert response.status_code == 200
        after = [value(n, **labels) for n, labels in (operation, request, latency)]
        assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]

    async def test_errors_are_counted_by_graphql_code_and_http_status(
        self, client: httpx.AsyncClient
    ) -> None:
        # given
        parse = ("lnob_errors_total", {"source": "graphql", "code": "GRAPHQL_PARSE_FAILED"})
        missing = ("lnob_errors_total", {"source": "http", "code": "404"})
        unmatched = (
            "lnob_http_requests_total",
            {"method": "GET", "route": "unmatched", "status": "404"},
        )
        before = [value(n, **labels) for n, labels in (parse, missing, unmatched)]
        # when
        broken = await client.post("/graphql", json={"query": "{ viewer { kind "})
        lost = await client.get("/no/such/page/7f3a")
        # then
        assert broken.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        assert lost.status_code == 404
        after = [value(n, **labels) for n, labels in (parse, missing, unmatched)]
        assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]

    async def test_a_scrape_shows_itself_in_flight_and_the_fallback_counter(
        self, client: httpx.AsyncClient
    ) -> None:
        # when
        response = await client.get("/metrics")
        # then
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        samples = scraped(response.text)
        assert samples[("lnob_http_requests_in_flight", ())] == 1
        # the fallback counter (by reason, once one fell back; process-wide, so other tests'
        # fallbacks count too) does not move: a scrape is not a query
        again = scraped((await client.get("/metrics")).text)
        fell = [
            sum(v for (n, _), v in seen.items() if n == "lnob_compiled_fallbacks_total")
            for seen in (samples, again)
        ]
        assert fell[0] == fell[1] >= 0

    async def test_pool_use_is_reported(self, database_url: str) -> None:
        # given
        engine = create_engine(database_url, pool_size=3)
        url = engine.sync_engine.url
        labels = {"pool": f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"}
        try:
            # when
            async with engine.connect():
                during = value("lnob_db_pool_checked_out", **labels)
            after = value("lnob_db_pool_checked_out", **labels)
            # then
            assert (during, after) == (1, 0)
            # the pool keeps up to twice pool_size, all opened on demand
            assert value("lnob_db_pool_size", **labels) == 6
            assert value("lnob_db_pool_overflow", **labels) == -5  # one of six opened
        finally:
            await engine.dispose()

    async def test_the_pool_keeps_the_connections_a_burst_opened(self, database_url: str) -> None:
        # given: a pool of 2 and a burst of 4 concurrent checkouts
        engine = create_engine(database_url, pool_size=2)
        try:
            burst = [await engine.connect() for _ in range(4)]
            first = {await backend_pid(c) for c in burst}
            for c in burst:
                await c.close()
            # when: the next burst
            again = [await engine.connect() for _ in range(4)]
            second = {await backend_pid(c) for c in again}
            for c in again:
                await c.close()
            # then: the same four PostgreSQL backends (none closed and reopened)
            assert len(first) == 4
            assert second == first
        finally:
            await engine.dispose()


class TestOperationLabels:
    async def test_names_clients_make_up_count_as_other(self, client: httpx.AsyncClient) -> None:
        # given: not a GraphQL name as far as labels go (too long)
        long_name = "Q" + "x" * 80
        before = value("lnob_graphql_operations_total", operation="other", type="query")
        # when
        response = await client.post(
            "/graphql", json={"query": f"query {long_name} {{ viewer {{ kind }} }}"}
        )
        # then
        assert response.status_code == 200
        assert value("lnob_graphql_operations_total", operation="other", type="query") == before + 1
        assert value("lnob_graphql_operations_total", operation=long_name, type="query") == 0

    async def test_with_a_list_only_listed_names_are_labels(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given
        settings = Settings(
            env="test", issuer="http://testserver", metrics_operations=("ViewerKind",)
        )
        before = value("lnob_graphql_operations_total", operation="other", type="query")
        async with await _client(conn, signing_keys, settings) as client:
            # when
            await client.post("/graphql", json={"query": "query Unlisted7c { viewer { kind } }"})
        # then
        assert value("lnob_graphql_operations_total", operation="Unlisted7c", type="query") == 0
        assert value("lnob_graphql_operations_total", operation="other", type="query") == before + 1

    def test_a_worker_labels_at_most_its_limit_of_names(self) -> None:
        # given
        names = OperationNames(limit=2)
        # when
        labels = [names.label(n) for n in ("A", "B", "C", "A", None, "other", "bad name")]
        # then
        assert labels == ["A", "B", "other", "A", "anonymous", "other", "other"]


class TestAccess:
    async def test_without_a_token_only_loopback_clients_read_metrics(
        self, conn: AsyncConnection, signing_keys: KeyStore, settings: Settings
    ) -> None:
        # when
        async with await _client(conn, signing_keys, settings, "203.0.113.9") as outside:
            refused = await outside.get("/metrics")
        async with await _client(conn, signing_keys, settings, "::1") as local:
            served = await local.get("/metrics")
        # then
        assert refused.status_code == 403
        assert "LNOB_METRICS_TOKEN" in refused.json()["error_description"]
        assert "lnob_" not in refused.text
        assert served.status_code == 200
        assert "lnob_http_requests_total" in served.text

    @pytest.mark.parametrize(
        ("authorization", "status"),
        [
            (None, 401),
            ("Bearer wrong-token-of-some-length", 401),
            (f"Basic {METRICS_TOKEN}", 401),
            (f"Bearer {METRICS_TOKEN}", 200),
        ],
        ids=["none", "wrong", "other scheme", "right"],
    )
    async def test_with_a_token_it_is_required_from_anywhere(
        self, conn: AsyncConnection, signing_keys: KeyStore, authorization: str | None, status: int
    ) -> None:
        # given
        settings = Settings(env="test", issuer="http://testserver", metrics_token=METRICS_TOKEN)
        headers = {"Authorization": authorization} if authorization else {}
        async with await _client(conn, signing_keys, settings) as client:
            # when
            response = await client.get("/metrics", headers=headers)
        # then
        assert response.status_code == status
        assert ("lnob_http_requests_total" in response.text) == (status == 200)
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer ")
