"""Outages, stalls and time bounds against a PostgreSQL that the test stops, freezes and
restarts itself (tests/cluster.py); the app runs on a real engine, or as a real uvicorn."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import psutil
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests import factories as f
from tests.cluster import Cluster, free_port, migrated_cluster
from tests.helpers import bearer, token_for

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.engine import Timeouts, create_engine
from lnob_api.db.request import EngineDatabase

LNOB_API = str(Path(sys.executable).with_name("lnob-api"))
DATASETS = "{ datasets(first: 5) { nodes { slug } } }"
CREATE = (
    "mutation($input: DatasetCreateInput!) "
    "{ datasetCreate(input: $input) { dataset { slug } userErrors { code } } }"
)
SETTINGS = Settings(
    env="test",
    issuer="http://testserver",
    statement_timeout=1,
    db_command_timeout=3,
    db_connect_timeout=1,
    db_pool_timeout=1,
    request_timeout=2.5,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from migrated_cluster()


@pytest.fixture(scope="module")
async def world(cluster: Cluster, signing_keys: KeyStore) -> dict[str, Any]:
    """Reference data, a coalition with a public dataset of 3 rows, a client and an editor."""
    from lnob_api.seed import seed

    engine = create_engine(cluster.url("lnob"), pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
        coalition = await f.create_coalition(conn, code="ZW")
        org = await f.create_organisation(conn)
        await f.add_member(conn, coalition, org)
        client = await f.create_client(conn, org)
        user = await f.create_user(conn)
        await f.give_role(conn, user, coalition, "EDITOR")
        dataset = await f.create_dataset(conn, coalition)
        for area in ("ZW", "KE", "UG"):
            await f.create_observation(conn, dataset, area_code=area)
    await engine.dispose()
    token = token_for(signing_keys, client=client, user=user, scopes=("data:read", "data:write"))
    return {"client": client, "token": token, "dataset": dataset}


@pytest.fixture
async def engine(cluster: Cluster) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(cluster.url("lnob"), pool_size=4, timeouts=Timeouts.of(SETTINGS))
    yield eng
    await eng.dispose()


@pytest.fixture
async def api(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SETTINGS, database=EngineDatabase(engine), keys=signing_keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _requests(world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every kind of route, anonymous and with a token."""
    auth = bearer(world["token"])
    client = world["client"]
    token_form = {"grant_type": "client_credentials"}
    basic = (client["client_id"], f"secret-{client['client_id']}")
    return [
        ("POST", "/graphql", {"json": {"query": DATASETS}}),
        ("POST", "/graphql", {"json": {"query": DATASETS}, "headers": auth}),
        ("GET", "/graphql?query={datasets(first:1){nodes{slug}}}", {"headers": auth}),
        ("GET", "/exports/observations.csv", {}),
        ("GET", "/exports/observations.csv.gz", {"headers": auth}),
        ("GET", "/sdmx/data/DF_LNOB_ZW", {}),
        ("GET", "/sdmx/data/DF_LNOB_ZW?format=csvdata", {"headers": auth}),
        ("GET", "/sdmx/dataflow", {}),
        ("GET", "/catalog.jsonld", {"headers": auth}),
        ("POST", "/oauth/token", {"data": token_form, "auth": basic}),
    ]


async def _call(api: httpx.AsyncClient, method: str, path: str, kw: dict[str, Any]) -> Any:
    return await api.request(method, path, **kw)


class TestOutage:
    async def test_every_route_answers_503_while_down_and_recovers(
        self,
        cluster: Cluster,
        world: dict[str, Any],
        api: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        # given a service that answers every route
        requests = _requests(world)
        for method, path, kw in requests:
            ok = await _call(api, method, path, kw)
            assert ok.status_code == 200, (path, ok.status_code, ok.text[:300])
        # when PostgreSQL goes away
        cluster.stop()
        try:
            caplog.clear()
            with caplog.at_level(logging.INFO):
                answers = [await _call(api, m, p, kw) for m, p, kw in requests]
                ready = await api.get("/readyz")
        finally:
            cluster.start()
        # then every route says so in JSON, with Retry-After, and logs one line per request
        for (_, path, _), answer in zip(requests, answers, strict=True):
            assert answer.status_code == 503, (path, answer.status_code, answer.text[:300])
            assert answer.headers["retry-after"] == "5"
            assert answer.headers["content-type"].startswith("application/json")
            body = answer.json()
            if path.startswith("/graphql"):
                assert "data" not in body
                assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
                assert body["errors"][0]["extensions"]["requestId"]
            else:
                assert body["error"] == "service_unavailable"
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        outage_lines = [r for r in caplog.records if r.name == "lnob_api.outage"]
        assert len(outage_lines) == len(requests) + 1
        assert not [r for r in caplog.records if r.exc_info], "no tracebacks during an outage"
        assert all("\n" not in r.getMessage() for r in caplog.records)
        # and once it is back, the service answers again without a restart
        for method, path, kw in requests:
            again = await _eventually_ok(api, method, path, kw)
            assert again.status_code == 200, (path, again.text[:300])

    async def test_first_request_after_an_idle_restart_succeeds(
        self, cluster: Cluster, world: dict[str, Any], api: httpx.AsyncClient
    ) -> None:
        # given pooled connections from earlier requests
        for _ in range(3):
            assert (await api.post("/graphql", json={"query": DATASETS})).status_code == 200
        # when PostgreSQL restarts while the service idles
        cluster.stop()
        cluster.start()
        await asyncio.sleep(0.5)  # the service idles: its event loop runs
        # then the very first authenticated request is served
        first = await api.post("/graphql", json={"query": DATASETS}, headers=bearer(world["token"]))
        assert first.status_code == 200, first.text
        assert "errors" not in first.json()

    async def test_acknowledged_writes_survive_an_outage(
        self, cluster: Cluster, world: dict[str, Any], api: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        # given a client writing continuously
        acked: list[str] = []
        refused = 0
        stop = asyncio.Event()

        async def writer() -> None:
            nonlocal refused
            n = 0
            while not stop.is_set():
                n += 1
                variables = {"input": {"coalition": "ZW", "title": f"Outage survey {n}"}}
                answer = await api.post(
                    "/graphql",
                    json={"query": CREATE, "variables": variables},
                    headers=bearer(world["token"]),
                )
                payload = answer.json()
                if answer.status_code == 200 and not payload.get("errors"):
                    assert payload["data"]["datasetCreate"]["userErrors"] == []
                    acked.append(payload["data"]["datasetCreate"]["dataset"]["slug"])
                else:
                    assert answer.status_code == 503, answer.text
                    refused += 1
                    await asyncio.sleep(0.05)

        task = asyncio.create_task(writer())
        await asyncio.sleep(0.5)
        # when PostgreSQL stops in the middle and comes back
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(cluster.start)
        await asyncio.sleep(1.5)
        stop.set()
        await task
        # then every acknowledged write is there, and writes were refused while it was down
        async with engine.connect() as conn:
            slugs = set(
                (
                    await conn.execute(
                        sa.text("SELECT slug FROM datasets WHERE slug = ANY(:s)"), {"s": acked}
                    )
                )
                .scalars()
                .all()
            )
        assert refused > 0
        assert len(acked) > 0
        assert slugs == set(acked)


async def _eventually_ok(
    api: httpx.AsyncClient, method: str, path: str, kw: dict[str, Any]
) -> httpx.Response:
    """The answer once it is 200, retrying for at most 5 s after PostgreSQL is back."""
    answer = await _call(api, method, path, kw)
    for _ in range(50):
        if answer.status_code == 200:
            break
        await asyncio.sleep(0.1)
        answer = await _call(api, method, path, kw)
    return answer


class TestStall:
    async def test_a_statement_waiting_on_a_lock_is_stopped_by_the_statement_timeout(
        self, cluster: Cluster, world: dict[str, Any], api: httpx.AsyncClient
    ) -> None:
        # given another transaction holding a lock that the datasets query needs
        async with _locked(cluster, "datasets"):
            # when a request reads datasets (statement timeout 1 s)
            with anyio.fail_after(5):
                answer = await api.post("/graphql", json={"query": DATASETS})
            ready = await api.get("/readyz")
        # then it is stopped, told so, and the service stays ready
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert answer.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
        assert ready.status_code == 200

    async def test_a_frozen_server_bounds_requests_and_readyz_answers_within_2_s(
        self, cluster: Cluster, world: dict[str, Any], api: httpx.AsyncClient
    ) -> None:
        # given a warm pool
        assert (await api.post("/graphql", json={"query": DATASETS})).status_code == 200
        # when every PostgreSQL process is stopped (SIGSTOP): nothing answers, nothing closes
        cluster.freeze()
        try:
            with anyio.fail_after(2):
                ready = await api.get("/readyz")
            with anyio.fail_after(5):  # the request deadline is 2.5 s
                answer = await api.post("/graphql", json={"query": DATASETS})
        finally:
            cluster.thaw()
        # then both answer 503 in time
        assert ready.status_code == 503
        assert ready.json()["reason"] == "the database did not answer in time"
        assert answer.status_code == 503
        # the pool or command timeout (unavailable) or the request deadline (timeout) ends it
        code = answer.json()["errors"][0]["extensions"]["code"]
        assert code in ("SERVICE_UNAVAILABLE", "TIMEOUT")
        # and the service recovers once PostgreSQL runs again
        again = await _eventually_ok(api, "POST", "/graphql", {"json": {"query": DATASETS}})
        assert again.status_code == 200


class _locked:
    """A transaction on its own connection holding ACCESS EXCLUSIVE on ``table``."""

    def __init__(self, cluster: Cluster, table: str) -> None:
        self.engine = create_engine(cluster.url("lnob"), pool_size=1)
        self.table = table

    async def __aenter__(self) -> None:
        self.conn = await self.engine.connect()
        await self.conn.begin()
        await self.conn.execute(sa.text(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE"))

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.rollback()
        await self.conn.close()
        await self.engine.dispose()


def _serve(
    cluster: Cluster, folder: Path, *args: str, **env: str
) -> tuple[subprocess.Popen[bytes], str]:
    """``lnob-api serve`` on a free port, on the test cluster; returns once it is ready."""
    port = free_port()
    environ = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    environ |= {
        "DATABASE_URL": cluster.url("lnob"),
        "LNOB_DATA_DIR": str(folder),
        "LNOB_LOG_LEVEL": "info",
        **env,
    }
    proc = subprocess.Popen(
        [LNOB_API, "serve", "--no-migrate", "--no-seed", "--port", str(port), *args],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # spawned workers import the whole app: slow on 2 cores
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0].decode()[-2000:]
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not become ready")


def _active(cluster: Cluster, like: str) -> int:
    """Statements of the service (application_name lnob-api) running now."""
    return int(
        cluster.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lnob-api' "
            f"AND state = 'active' AND query ILIKE '{like}'",
            "lnob",
        )
    )


async def _wait_for(check: Any, expected: int, seconds: float = 5) -> int:
    value = check()
    for _ in range(int(seconds / 0.2)):
        if value == expected:
            break
        await asyncio.sleep(0.2)
        value = check()
    return int(value)


class TestRealServer:
    async def test_a_client_going_away_cancels_its_statement(
        self, cluster: Cluster, world: dict[str, Any], tmp_path: Path
    ) -> None:
        # given a server whose own bounds are far away, and a lock its queries wait for
        proc, url = _serve(
            cluster, tmp_path, LNOB_STATEMENT_TIMEOUT="120", LNOB_REQUEST_TIMEOUT="120"
        )
        try:
            port = int(url.rsplit(":", 1)[1])
            body = json.dumps({"query": DATASETS}).encode()
            graphql = (
                b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            export = b"GET /exports/observations.csv HTTP/1.1\r\nHost: t\r\n\r\n"
            async with _locked(cluster, "datasets"):
                for raw, like in ((graphql, "%datasets%"), (export, "%observations%")):
                    with socket.create_connection(("127.0.0.1", port)) as sock:
                        sock.sendall(raw)
                        running = await _wait_for(lambda like=like: _active(cluster, like), 1)
                    # when the client gives up (closes its connection) while its statement waits
                    # then the statement is cancelled on the server (the lock is still held)
                    assert running == 1, like
                    left = await _wait_for(lambda like=like: _active(cluster, like), 0)
                    assert left == 0, like
        finally:
            proc.send_signal(signal.SIGINT)
            out = proc.communicate(timeout=30)[0].decode()
        assert "Traceback" not in out and "Exception in ASGI application" not in out, out

    async def test_closing_a_download_early_logs_no_traceback_and_frees_the_statement(
        self, cluster: Cluster, world: dict[str, Any], tmp_path: Path
    ) -> None:
        # given a large export
        rows = _grow(cluster, world, 30_000)
        proc, url = _serve(cluster, tmp_path)
        try:
            with httpx.stream("GET", f"{url}/exports/observations.csv", timeout=30) as r:
                assert r.status_code == 200
                assert int(r.headers["x-row-count"]) >= rows
                next(r.iter_bytes())
            # when the client closed it after the first chunk, then
            assert await _wait_for(lambda: _active(cluster, "%COPY%"), 0) == 0
            ready = await asyncio.to_thread(httpx.get, f"{url}/readyz")
            assert ready.status_code == 200
        finally:
            proc.send_signal(signal.SIGINT)
            out = proc.communicate(timeout=30)[0].decode()
        assert "Traceback" not in out and "Exception in ASGI application" not in out, out

    async def test_a_cut_export_is_detectable_and_shutdown_waits_at_most_its_grace(
        self, cluster: Cluster, world: dict[str, Any], tmp_path: Path
    ) -> None:
        # given a large export (far more than the socket buffers hold)
        _grow(cluster, world, 80_000)
        proc, url = _serve(cluster, tmp_path, LNOB_SHUTDOWN_TIMEOUT="1")
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.sendall(b"GET /exports/observations.csv HTTP/1.1\r\nHost: t\r\n\r\n")
            head = sock.recv(4096)
            # when the server is asked to stop while this slow client downloads
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(proc.wait, 30)
            received = head + _read_to_end(sock)
        # then it stopped after its grace period, and the body lacks chunked encoding's end
        assert code is not None
        headers, _, body = received.partition(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in headers.lower()
        assert int(re.search(rb"x-row-count: (\d+)", headers.lower()).group(1)) >= 80_000
        assert not body.endswith(b"0\r\n\r\n"), "a cut export must not end like a whole one"
        # while a whole download ends properly and has every announced row
        proc, url = _serve(cluster, tmp_path)
        try:
            async with httpx.AsyncClient() as http:
                whole = await http.get(f"{url}/exports/observations.csv", timeout=60)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
        assert whole.content.count(b"\n") == int(whole.headers["x-row-count"]) + 1

    async def test_workers_die_with_their_parent(
        self, cluster: Cluster, world: dict[str, Any], tmp_path: Path
    ) -> None:
        # given a server with two workers
        proc, url = _serve(cluster, tmp_path, "--workers", "2")
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2
        # when its parent is killed outright
        proc.kill()
        proc.wait(timeout=10)
        # then every worker exits within a few seconds
        _gone, alive = psutil.wait_procs(children, timeout=10)
        for leftover in alive:
            leftover.kill()
        assert alive == []
        with pytest.raises(httpx.HTTPError):
            await asyncio.to_thread(httpx.get, f"{url}/readyz", timeout=2)


def _read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _grow(cluster: Cluster, world: dict[str, Any], n: int) -> int:
    """Give the world's dataset ``n`` more observations (once); returns the total."""
    dataset = world["dataset"]["id"]
    cluster.psql(
        "INSERT INTO observations (dataset_id, indicator_id, area_code, period, period_start, "
        "period_end, value, unit, sample_size, dimensions) "
        f"SELECT {dataset}, i.id, 'ZW', '2020', '2020-01-01', '2020-12-31', g, 'PERCENT', 100, "
        "jsonb_build_object('ROW', g::text) FROM generate_series(1, "
        f"{n}) g, (SELECT id FROM indicators WHERE code = '1.1.1') i "
        "ON CONFLICT DO NOTHING",
        "lnob",
    )
    return int(
        cluster.psql(f"SELECT count(*) FROM observations WHERE dataset_id = {dataset}", "lnob")
    )
