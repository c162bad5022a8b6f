"""The production topology without Docker: two API processes, one database, Redis, a proxy.

Each API process runs the image's own command (the Dockerfile's CMD, through ``sh -c``) on a
port of its own, against one PostgreSQL server and one signing key file (the compose stack's
shared volume). In front of them a small round-robin reverse proxy, like the stack's Caddy,
sets X-Forwarded-For to the address it was reached from and X-Forwarded-Proto to https.
Test clients connect from distinct loopback addresses (127.0.0.x), so that the proxy sees
different clients. Both processes start once for the module.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import make_url
from tests import factories as f
from tests.cluster import free_port
from tests.deploy.dockerfile import exec_form, runtime_stage

from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db import create_engine, migrate

REDIS = "redis://127.0.0.1:6379/0"
BUDGET = 300  # three exports (100 each) per minute and client
HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"te", b"trailer"}
FORWARDED = {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded"}
VIEWER = "{ viewer { __typename } }"


class RoundRobinProxy:
    """An ASGI reverse proxy: each request to the next backend, with forwarded headers that
    replace whatever the client sent; ``X-Served-By`` tells which backend answered."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = itertools.cycle(backends)
        self.client = httpx.AsyncClient(timeout=30)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await self.client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        backend = next(self.backends)
        headers = [
            (k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP and k not in FORWARDED
        ]
        headers += [
            (b"x-forwarded-for", scope["client"][0].encode()),
            (b"x-forwarded-proto", b"https"),
        ]
        url = (
            backend
            + scope["raw_path"].decode()
            + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
        )
        request = self.client.build_request(scope["method"], url, headers=headers, content=body)
        response = await self.client.send(request, stream=True)
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
            out.append((b"x-served-by", backend.encode()))
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": out}
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


class Stack:
    def __init__(self, proxy: str, backends: list[str], prefix: str, db: str) -> None:
        self.proxy, self.backends, self.prefix, self.db = proxy, backends, prefix, db

    def from_address(self, address: str, base: str | None = None) -> httpx.AsyncClient:
        """A client whose connections come from ``address`` (a loopback address)."""
        transport = httpx.AsyncHTTPTransport(local_address=address)
        return httpx.AsyncClient(transport=transport, base_url=base or self.proxy, timeout=30)


@pytest.fixture(scope="module")
async def database(database_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database of its own on the test session's server: the processes
    commit into it, which the session's rolled-back tests must not see."""
    name = f"lnob_topology_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrate.upgrade, url)
    yield url
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="module")
def image_command() -> list[str]:
    (cmd,) = runtime_stage().all("CMD")
    return exec_form(cmd)


@pytest.fixture(scope="module")
async def stack(database: str, image_command: list[str]) -> AsyncIterator[Stack]:
    folder = Path(tempfile.mkdtemp(prefix="lnob-topology-"))
    # The compose stack's migrate step writes the keys once, before the replicas start.
    KeyStore.load(Settings(data_dir=folder))
    prefix = f"lnob-test-{uuid.uuid4().hex[:12]}:"
    proxy_port = free_port()
    ports = [free_port(), free_port()]
    env_base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "LNOB_"))}
    env_base |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": database,
        "LNOB_DATA_DIR": str(folder),
        "LNOB_ENV": "production",
        "LNOB_ISSUER": f"http://127.0.0.1:{proxy_port}",
        "LNOB_RATE_LIMIT": str(BUDGET),
        "LNOB_QUERY_COST_LIMIT": str(BUDGET),
        "LNOB_PURGE_INTERVAL": "0",
        "REDIS_URL": REDIS,
        "LNOB_REDIS_PREFIX": prefix,
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # the proxy's address, as in compose
    }
    processes = [_spawn(image_command, env_base | {"LNOB_PORT": str(p)}, folder) for p in ports]
    backends = [f"http://127.0.0.1:{port}" for port in ports]
    proxy = RoundRobinProxy(backends)
    server = uvicorn.Server(
        uvicorn.Config(proxy, host="127.0.0.1", port=proxy_port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await _wait_healthy([*backends, f"http://127.0.0.1:{proxy_port}"], processes, folder)
        yield Stack(f"http://127.0.0.1:{proxy_port}", backends, prefix, database)
    finally:
        server.should_exit = True
        await serving
        for process, _ in processes:
            process.terminate()
        for process, log in processes:
            process.wait(timeout=30)
            log.close()
        client = aioredis.from_url(REDIS)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        shutil.rmtree(folder, ignore_errors=True)


def _spawn(command: list[str], env: dict[str, str], folder: Path) -> tuple[Any, Any]:
    """One API process, logging to a file of the folder."""
    log = (folder / f"api-{env['LNOB_PORT']}.log").open("wb")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT), log


def _logs(folder: Path) -> str:
    return "\n".join(p.read_text()[-2000:] for p in folder.glob("api-*.log"))


async def _wait_healthy(urls: list[str], processes: list[Any], folder: Path) -> None:
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(timeout=2) as client:
        for url in urls:
            while True:
                for process, _ in processes:
                    if process.poll() is not None:
                        raise AssertionError(f"an API process exited:\n{_logs(folder)}")
                try:
                    if (await client.get(url + "/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"{url} never became healthy"
                await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def machine(database: str) -> dict[str, Any]:
    """A statistics office's client, committed (the processes read the database)."""
    engine = create_engine(database, pool_size=1)
    async with engine.begin() as conn:
        home = await f.create_organisation(conn, slug=f"office-{uuid.uuid4().hex[:8]}")
        client = await f.create_client(
            conn, home, scopes=["data:read"], grant_types=["client_credentials"], redirect_uris=[]
        )
    await engine.dispose()
    return dict(client)


async def _token(
    http: httpx.AsyncClient, client: dict[str, Any], secret: str | None = None
) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "data:read"},
        auth=(client["client_id"], secret or f"secret-{client['client_id']}"),
    )


def _remaining(response: httpx.Response) -> int:
    """``r`` of the RateLimit field: what the client's bucket still holds."""
    (item,) = [p for p in response.headers["ratelimit"].split(";") if p.startswith("r=")]
    return int(item[2:])


class TestProxy:
    async def test_requests_are_balanced_over_both_processes(self, stack: Stack) -> None:
        async with stack.from_address("127.0.0.11") as http:
            served = [(await http.get("/healthz")).headers["x-served-by"] for _ in range(4)]
        assert served[0] != served[1] and served[:2] == served[2:]
        assert set(served) == set(stack.backends)

    async def test_the_processes_see_the_forwarded_scheme_and_host(self, stack: Stack) -> None:
        async with stack.from_address("127.0.0.12") as http:
            response = await http.get("/catalog.jsonld")
        assert response.status_code == 200, response.text
        assert response.json()["@id"] == stack.proxy.replace("http://", "https://") + "/catalog"


class TestTokens:
    async def test_a_token_issued_by_one_process_is_accepted_by_the_other(
        self, stack: Stack, machine: dict[str, Any]
    ) -> None:
        first, second = stack.backends
        for issuer, verifier in ((first, second), (second, first)):
            async with stack.from_address("127.0.0.1", issuer) as http:
                issued = await _token(http, machine)
            assert issued.status_code == 200, issued.text
            token = issued.json()["access_token"]
            async with stack.from_address("127.0.0.1", verifier) as http:
                accepted = await http.post(
                    "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
                )
                forged = await http.post(
                    "/graphql",
                    json={"query": VIEWER},
                    headers={"Authorization": f"Bearer {token[:-4]}AAAA"},
                )
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["data"]["viewer"] is not None
            assert forged.status_code == 401


class TestSharedLimits:
    async def test_one_client_spends_one_budget_across_both_processes(self, stack: Stack) -> None:
        # given one client and another, each behind the proxy
        async with (
            stack.from_address("127.0.0.21") as http,
            stack.from_address("127.0.0.22") as other,
        ):
            # when the first asks for four exports in a row (100 each of a 300 budget)
            answers = [await http.get("/exports/observations.csv") for _ in range(4)]
            elsewhere = await other.get("/exports/observations.csv")
        # then both processes drew from the same bucket
        assert {a.headers["x-served-by"] for a in answers[:2]} == set(stack.backends)
        first, second, third, fourth = answers
        assert _remaining(first) < BUDGET
        assert _remaining(second) < _remaining(first) - 50  # not a fresh bucket in process two
        assert _remaining(third) < _remaining(second)
        assert fourth.status_code == 429
        assert "retry-after" in fourth.headers
        # and the other client's budget is its own
        assert elsewhere.status_code != 429
        assert _remaining(elsewhere) >= BUDGET - 100 - 1
        # keyed by the forwarded address, in the shared Redis
        client = aioredis.from_url(REDIS)
        try:
            assert await client.exists(f"{stack.prefix}ratelimit:addr:127.0.0.21")
            assert not await client.exists(f"{stack.prefix}ratelimit:addr:127.0.0.1")
        finally:
            await client.aclose()

    async def test_a_client_reaching_a_process_directly_cannot_forge_its_address(
        self, stack: Stack
    ) -> None:
        async with stack.from_address("127.0.0.41", stack.backends[0]) as http:
            response = await http.get(
                "/exports/observations.csv", headers={"X-Forwarded-For": "198.51.100.9"}
            )
        assert response.status_code != 429
        client = aioredis.from_url(REDIS)
        try:
            assert await client.exists(f"{stack.prefix}ratelimit:addr:127.0.0.41")
            assert not await client.exists(f"{stack.prefix}ratelimit:addr:198.51.100.9")
        finally:
            await client.aclose()


class TestSignInThrottle:
    async def test_wrong_secrets_count_against_the_forwarded_address(
        self, stack: Stack, machine: dict[str, Any]
    ) -> None:
        # when wrong secrets come through the proxy from one address, to both processes
        async with stack.from_address("127.0.0.31") as http:
            refused = [await _token(http, machine, secret="wrong") for _ in range(2)]
        assert [r.status_code for r in refused] == [401, 401]
        assert {r.headers["x-served-by"] for r in refused} == set(stack.backends)
        # then the throttle counted both failures for that address, not for the proxy's
        engine = create_engine(stack.db, pool_size=1)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        "SELECT address, failures FROM login_throttles WHERE account = :account"
                        " AND failures > 0 AND address <> '*'"
                    ),
                    {"account": f"client:{machine['client_id']}"},
                )
            ).all()
        await engine.dispose()
        assert [tuple(r) for r in rows] == [("127.0.0.31", 2)]


class TestImageHealthCheck:
    def test_the_health_check_command_passes_on_a_live_process_only(self, stack: Stack) -> None:
        (check,) = runtime_stage().all("HEALTHCHECK")
        argv = exec_form(check.partition("CMD ")[2])
        argv[0] = sys.executable
        port = stack.backends[0].rsplit(":", 1)[1]
        env = os.environ | {"LNOB_PORT": port}
        assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode == 0
        env = os.environ | {"LNOB_PORT": str(free_port())}
        assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode != 0
