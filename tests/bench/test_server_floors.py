"""bench/servers.py's floors without PostgreSQL (``_Canned``): the plain ASGI callable and the
Starlette floor answer the same bytes for the bodies the load sends, the probe, and 400 for
an unknown request; the raw callable keeps the ASGI lifespan."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from bench import floor_app, servers

_CANNED_RAW = "bench.servers:create_canned_raw_app"

QUERY = "query W3($id: ID!) { dataset(id: $id) { title } }"
ANSWER = '{"dataset":{"title":"Survey KE 0"}}'


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = floor_app.request_body(QUERY, {"id": "RGF0YXNldDox"})
    entry = floor_app.Entry("W3", "anonymous", "", body, "SELECT $1::int", [1])
    floor_app.save([entry], tmp_path / "statements.json")
    (tmp_path / "answers.json").write_text(json.dumps([[entry.sql, entry.args, ANSWER]]))
    monkeypatch.setenv("FLOOR_STATEMENTS", str(tmp_path / "statements.json"))
    monkeypatch.setenv("FLOOR_ANSWERS", str(tmp_path / "answers.json"))


async def _post(app: Any, body: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
        return await client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )


class TestFloors:
    @pytest.mark.parametrize("factory", [servers.create_canned_app, servers.create_canned_raw_app])
    async def test_the_load_s_body_gets_the_statement_s_answer(
        self, files: None, factory: Any
    ) -> None:
        # given
        app = factory()
        # when
        sent = await _post(app, floor_app.request_body(QUERY, {"id": "RGF0YXNldDox"}))
        reordered = await _post(
            app, json.dumps({"variables": {"id": "RGF0YXNldDox"}, "query": QUERY})
        )
        # then
        assert sent.status_code == 200
        assert sent.content == b'{"data":' + ANSWER.encode() + b"}"
        assert sent.headers["content-type"].startswith("application/json")
        assert reordered.content == sent.content

    @pytest.mark.parametrize("factory", [servers.create_canned_app, servers.create_canned_raw_app])
    async def test_probe_and_unknown_request(self, files: None, factory: Any) -> None:
        # given
        app = factory()
        # when
        probe = await _post(app, json.dumps({"query": floor_app.PROBE}))
        unknown = await _post(app, floor_app.request_body(QUERY, {"id": "RGF0YXNldDoy"}))
        # then
        assert probe.status_code == 200
        assert probe.json() == {"data": {"__typename": "Query"}}
        assert unknown.status_code == 400

    async def test_raw_app_completes_its_lifespan(self, files: None) -> None:
        # given
        app = servers.create_canned_raw_app()
        incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent: list[str] = []

        async def receive() -> dict[str, str]:
            return incoming.pop(0)

        async def send(message: Any) -> None:
            sent.append(message["type"])

        # when
        await app({"type": "lifespan"}, receive, send)
        # then
        assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


class TestUvicornCommands:
    @pytest.mark.parametrize(("shared", "sockets"), [(False, 2), (True, 1)])
    def test_two_workers_listen_as_serve_does_or_on_one_shared_socket(
        self, files: None, shared: bool, sockets: int
    ) -> None:
        # given a uvicorn configuration's command with two workers, as serve starts them (each
        # on a socket of its own) or as uvicorn does (one shared socket)
        config = servers.Config("uvicorn raw no-db", "uvicorn", (_CANNED_RAW,), shared)
        port = servers.run._port()
        command = servers._command(config, port, 2)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            # when it answers
            body = floor_app.request_body(QUERY, {"id": "RGF0YXNldDox"})
            deadline = time.monotonic() + 120
            answer = None
            while answer is None and time.monotonic() < deadline and proc.poll() is None:
                try:
                    answer = httpx.post(f"http://127.0.0.1:{port}/graphql", content=body, timeout=5)
                except httpx.HTTPError:
                    time.sleep(0.2)
            assert answer is not None and answer.status_code == 200
            assert answer.json() == {"data": json.loads(ANSWER)}
            # then the supervisor holds a listening socket per worker, or the one they share
            # (a socket listens once its worker has started: the other may still be starting)
            supervisor = psutil.Process(proc.pid)
            listening: set[str] = set()
            while time.monotonic() < deadline and len(listening) < 2:
                listening = {
                    os.readlink(f"/proc/{proc.pid}/fd/{c.fd}")
                    for c in supervisor.net_connections("tcp")
                    if c.status == psutil.CONN_LISTEN and c.laddr.port == port
                }
                time.sleep(0.2)
            assert len(listening) == sockets
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
