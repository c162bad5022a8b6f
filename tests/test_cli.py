"""The ``lnob-api`` command, run as a newcomer would: real processes, a real embedded database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from lnob_api.cli import main

LNOB_API = str(Path(sys.executable).with_name("lnob-api"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    return env | {"LNOB_DATA_DIR": str(data_dir), "LNOB_LOG_LEVEL": "warning"}


def _postgres_running(data_dir: Path) -> bool:
    pgdata = str((data_dir / "pg").resolve())
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and pgdata in " ".join(proc.info["cmdline"] or []):
            return True
    return False


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early with {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("server did not become ready")


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [LNOB_API, "serve", "--port", str(port)],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen[bytes]) -> bytes:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out


class TestServe:
    def test_from_an_empty_data_folder_and_again(self, tmp_path: Path) -> None:
        # given an empty data folder
        data_dir = tmp_path / "data"
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        # when the server starts for the first time
        proc = _serve(data_dir, port)
        try:
            _wait_ready(url, proc)
            body = httpx.post(
                f"{url}/graphql",
                json={"query": "{ coalitions { totalCount } datasets { totalCount } }"},
            ).json()
            page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"})
        finally:
            out = _stop(proc)
        # then it migrated, seeded the reference and demo data, served GraphiQL, and stopped cleanly
        assert body["data"]["coalitions"]["totalCount"] == 7
        assert body["data"]["datasets"]["totalCount"] > 0
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert proc.returncode == 0, out.decode(errors="replace")
        assert not _postgres_running(data_dir)
        # when it starts again on the same folder, the data is still there and not seeded twice
        proc = _serve(data_dir, port)
        try:
            _wait_ready(url, proc)
            again = httpx.post(
                f"{url}/graphql", json={"query": "{ datasets { totalCount } }"}
            ).json()
        finally:
            out = _stop(proc)
        assert again["data"]["datasets"]["totalCount"] == body["data"]["datasets"]["totalCount"]
        assert b"already seeded" in out
        assert not _postgres_running(data_dir)


class TestDb:
    def test_prints_a_psql_url_and_stops(self, tmp_path: Path) -> None:
        env = _env(tmp_path)
        printed = subprocess.run(
            [LNOB_API, "db"], env=env, capture_output=True, text=True, timeout=120
        )
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout.startswith("postgresql://")
        assert _postgres_running(tmp_path)
        stopped = subprocess.run(
            [LNOB_API, "db", "--stop"], env=env, capture_output=True, text=True, timeout=120
        )
        assert stopped.returncode == 0, stopped.stderr
        assert not _postgres_running(tmp_path)


class TestExportSchema:
    def test_check_fails_on_a_stale_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        target = tmp_path / "schema.graphql"
        target.write_text("type Query { stale: Int }\n")
        assert main(["export-schema", "--output", str(target), "--check"]) == 1
        assert main(["export-schema", "--output", str(target)]) == 0
        assert main(["export-schema", "--output", str(target), "--check"]) == 0
        assert "type Coalition implements Node" in target.read_text()
