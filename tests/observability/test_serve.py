"""A real ``lnob-api serve --workers 2`` with JSON logs: every line of its output is JSON with
the request context, secrets sent to it never show, and ``/metrics`` answers for both workers.

One server for the module (starting it is the slow part)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

SECRET_TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdG9rZW4tNDQxIn0.c2lnbmF0dXJlLTQ0MQ"
CLIENT_SECRET = "client-secret-never-logged-5521"
PASSWORD = "password-never-logged-8830"
COOKIE = "cookie-value-never-logged-1174"
VALUE = 987654.321987


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    command: list[str]
    env: dict[str, str]

    def lines(self) -> list[str]:
        return [line for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()]


def server_log(log: Path) -> str:
    return log.read_text(encoding="utf-8")[-3000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited:\n{log.read_text(encoding='utf-8')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"serve did not come up:\n{log.read_text(encoding='utf-8')}")


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LNOB_", "PROMETHEUS_", "OTEL_")) and k != "DATABASE_URL"
    }
    env |= {
        "DATABASE_URL": database_url,
        "LNOB_DATA_DIR": str(folder / "data"),
        "LNOB_PORT": str(port),
        "LNOB_LOG_FORMAT": "json",
        "LNOB_GRAPHIQL": "false",  # no GraphiQL client row written into the test database
        "LNOB_PURGE_INTERVAL": "0",
        "TMPDIR": str(folder),  # where serve makes the workers' metrics folder
    }
    log = folder / "stderr.log"
    command = [
        sys.executable,
        "-m",
        "lnob_api.cli",
        "serve",
        "--workers",
        "2",
        "--no-migrate",
        "--no-seed",
    ]
    with log.open("wb") as err:
        process = subprocess.Popen(
            command, env=env, cwd=folder, stdout=err, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Server(url, process, log, command, env)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # a clean stop removes the workers' temporary metrics folder
    assert process.returncode == 0, server_log(log)
    assert list(folder.glob("lnob-metrics-*")) == []


def _traffic(url: str, request_id: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        ok = client.post(
            "/graphql",
            json={
                "query": "query LogProbe($x: Float) { viewer { kind } }",
                "variables": {"x": VALUE},
            },
            headers={"X-Request-Id": request_id, "Cookie": f"session={COOKIE}"},
        )
        assert ok.status_code == 200, ok.text
        refused = client.post(
            "/graphql",
            json={"query": "{ viewer { kind } }"},
            headers={"Authorization": f"Bearer {SECRET_TOKEN}"},
        )
        assert refused.status_code == 401
        unknown = client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "nobody",
                "client_secret": CLIENT_SECRET,
            },
        )
        assert unknown.status_code == 401
        form = client.post(
            "/oauth/authorize",
            data={"email": "someone@example.org", "password": PASSWORD, "client_id": "nobody"},
        )
        assert form.status_code < 500


class TestJsonLogs:
    def test_every_line_is_json_with_the_request_context(self, server: Server) -> None:
        # given
        request_id = f"probe-{uuid.uuid4().hex[:12]}"
        # when
        _traffic(server.url, request_id)
        time.sleep(0.5)  # the access line is written once the response has ended
        # then
        lines = server.lines()
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                pytest.fail(f"not a JSON line: {line!r}")
        for record in records:
            assert {
                "timestamp",
                "level",
                "logger",
                "message",
                "request_id",
                "operation",
                "principal",
                "route",
                "status",
                "duration_ms",
            } <= record.keys()
        access = [r for r in records if r["logger"] == "lnob_api.access"]
        assert access and all(r["request_id"] for r in access)
        probe = [r for r in access if r["request_id"] == request_id]
        assert len(probe) == 1
        assert probe[0]["operation"] == "LogProbe"
        assert probe[0]["principal"] == "anonymous"
        assert probe[0]["route"] == "/graphql"
        assert probe[0]["status"] == 200
        assert isinstance(probe[0]["duration_ms"], float)
        assert probe[0]["message"] == "POST /graphql 200"
        assert not any(r["logger"] == "uvicorn.access" for r in records)

    def test_secrets_and_values_never_show(self, server: Server) -> None:
        # given
        _traffic(server.url, f"probe-{uuid.uuid4().hex[:12]}")
        time.sleep(0.5)
        # when
        text = server.log.read_text(encoding="utf-8")
        # then
        for secret in (SECRET_TOKEN, CLIENT_SECRET, PASSWORD, COOKIE, str(VALUE), "987654"):
            assert secret not in text


class TestWorkers:
    def test_any_worker_answers_for_both(self, server: Server) -> None:
        # given
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(20):
                assert client.get("/readyz").status_code in (200, 503)
            # when
            body = client.get("/metrics").text
        # then
        samples = [s for f in text_string_to_metric_families(body) for s in f.samples]
        pids = {s.labels["pid"] for s in samples if s.name == "lnob_worker_up" and s.value == 1}
        assert len(pids) == 2
        ready = sum(
            s.value
            for s in samples
            if s.name == "lnob_http_requests_total" and s.labels["route"] == "/readyz"
        )
        assert ready >= 20

    def test_each_worker_listens_on_a_socket_of_its_own_and_both_get_connections(
        self, server: Server
    ) -> None:
        # given: 32 clients, each keeping its connection open (as a load generator's do)
        port = int(server.url.rsplit(":", 1)[1])
        supervisor = psutil.Process(server.process.pid)
        # (a worker listens once it has started: the fixture waited for one of them)
        deadline = time.monotonic() + 120
        while len(workers := _workers(supervisor, port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(32)]
        try:
            # when
            for client in clients:
                assert client.get("/healthz").status_code == 200
            # then: the supervisor holds a listening socket per worker (SO_REUSEPORT), and
            # each worker listens on one; the kernel spread the connections over both (with
            # one socket shared, an idle worker accepts a burst and keeps it: 15 of 16)
            assert len(_listening(supervisor, port)) == 2
            assert len(workers) == 2
            sockets = [_listening(w, port) for w in workers]
            assert all(len(s) == 1 for s in sockets)
            assert sockets[0] != sockets[1]
            served = [_established(w, port) for w in workers]
            assert sum(served) == 32
            assert min(served) > 0
        finally:
            for client in clients:
                client.close()

    def test_a_worker_killed_is_replaced_on_its_own_socket(self, server: Server) -> None:
        # given
        port = int(server.url.rsplit(":", 1)[1])
        supervisor = psutil.Process(server.process.pid)
        before = {w.pid: _listening(w, port) for w in _workers(supervisor, port)}
        killed, its_socket = next(iter(before.items()))
        # when
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 120
        after: dict[int, set[str]] = {}
        while time.monotonic() < deadline:
            after = {w.pid: _listening(w, port) for w in _workers(supervisor, port)}
            if len(after) == 2 and killed not in after:
                break
            time.sleep(0.2)
        # then: its replacement listens on the socket it had, the other worker kept its own
        assert killed not in after and len(after) == 2, after
        assert sorted(map(sorted, after.values())) == sorted(map(sorted, before.values()))
        replacement = next(pid for pid, s in after.items() if s == its_socket)
        assert replacement not in before
        _wait_until_up(server.url, server.process, server.log)
        clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(32)]
        try:
            for client in clients:
                assert client.get("/healthz").status_code == 200
            assert min(_established(psutil.Process(pid), port) for pid in after) > 0
        finally:
            for client in clients:
                client.close()

    def test_a_second_server_on_its_port_is_refused_and_the_first_serves_on(
        self, server: Server, tmp_path: Path
    ) -> None:
        # given the server of the module, its sockets bound with SO_REUSEPORT (which would let
        # a second group of such sockets in beside them)
        port = server.url.rsplit(":", 1)[1]
        # when the same command starts again on the same port
        second = subprocess.run(
            server.command,
            env=server.env | {"TMPDIR": str(tmp_path)},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # then it stops with one line saying why, having left nothing behind
        assert second.returncode == 1, second.stderr[-2000:]
        assert f"lnob-api: cannot listen on 127.0.0.1:{port}: Address already in use" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr
        assert list(tmp_path.glob("lnob-metrics-*")) == []
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/healthz").status_code == 200

    def test_a_hangup_replaces_each_worker_on_its_socket(self, server: Server) -> None:
        # given
        port = int(server.url.rsplit(":", 1)[1])
        supervisor = psutil.Process(server.process.pid)
        deadline = time.monotonic() + 120
        while len(before := _workers(supervisor, port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        sockets = {w.pid: _listening(w, port) for w in before}
        # when (uvicorn's restart: each replacement serving before its predecessor stops)
        server.process.send_signal(signal.SIGHUP)
        after: dict[int, set[str]] = {}
        while time.monotonic() < deadline:
            after = {w.pid: _listening(w, port) for w in _workers(supervisor, port)}
            if len(after) == 2 and not set(after) & set(sockets):
                break
            time.sleep(0.2)
        # then two new workers, one on each socket, and the server answers
        assert len(after) == 2 and not set(after) & set(sockets), (sockets, after)
        assert sorted(map(sorted, after.values())) == sorted(map(sorted, sockets.values()))
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/healthz").status_code == 200


def _workers(supervisor: psutil.Process, port: int) -> list[psutil.Process]:
    return [p for p in supervisor.children() if _listening(p, port)]


def _socket_inodes(process: psutil.Process) -> dict[int, str]:
    """The process's file descriptors that are sockets, with the socket's inode."""
    found = {}
    for fd in os.listdir(f"/proc/{process.pid}/fd"):
        try:
            target = os.readlink(f"/proc/{process.pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found[int(fd)] = target
    return found


def _listening(process: psutil.Process, port: int) -> set[str]:
    """The inodes of the sockets ``process`` listens on at ``port`` (a socket passed to
    another process keeps its inode: two processes listening on one socket give one); none
    for a process that has ended (a worker being replaced)."""
    try:
        inodes = _socket_inodes(process)
        connections = process.net_connections("tcp")
    except (OSError, psutil.Error):
        return set()
    return {
        inodes[c.fd]
        for c in connections
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.fd in inodes
    }


def _established(process: psutil.Process, port: int) -> int:
    return sum(
        1
        for c in process.net_connections("tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
    )
