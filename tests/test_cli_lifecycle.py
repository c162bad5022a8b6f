"""The embedded server's life cycle with real processes: a ``serve`` killed with SIGKILL leaves
PostgreSQL running, the next ``serve`` adopts it and stops it at Ctrl-C; ``db --stop`` tells
the truth; two servers share one cluster and one GraphiQL client; as root nothing above the
data folder changes."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
import sqlalchemy as sa

from lnob_api.db import create_engine, embedded, embedded_root

LNOB_API = str(Path(sys.executable).with_name("lnob-api"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    for name in ("LNOB_ISSUER", "LNOB_PORT", "LNOB_SIGNING_KEYS"):
        env.pop(name, None)
    return env | {"LNOB_DATA_DIR": str(data_dir), "LNOB_LOG_LEVEL": "warning"} | extra


def _serve(data_dir: Path, port: int, *more: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [LNOB_API, "serve", "--port", str(port), *more],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise AssertionError(f"serve exited with {proc.returncode}: {out}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("serve did not become ready")


def _interrupt(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out.decode(errors="replace")


def _db(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LNOB_API, "db", *args], env=_env(data_dir), capture_output=True, text=True, timeout=120
    )


def _wait_gone(pid: int, timeout: float = 30) -> bool:
    try:
        psutil.Process(pid).wait(timeout)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return False
    return True


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, int]]:
    """One cluster for the module, migrated once and stopped (initdb and the first migration
    are the slow part); with the modes of the folders above it from before it existed."""
    parent = tmp_path_factory.mktemp("lifecycle")
    parent.chmod(0o711)
    data_dir = parent / "data"
    data_dir.mkdir(mode=0o700)
    modes = {p: p.stat().st_mode for p in (parent, *parent.parents)}
    migrated = subprocess.run(
        [LNOB_API, "migrate"], env=_env(data_dir), capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr
    assert embedded.running_pid(data_dir) is None
    return data_dir, modes


class TestDbStop:
    def test_reports_the_truth(self, shared: tuple[Path, dict[Path, int]], tmp_path: Path) -> None:
        # nothing there at all
        nothing = _db(tmp_path / "none", "--stop")
        assert nothing.returncode == 1 and "no embedded database" in nothing.stderr
        assert not (tmp_path / "none" / "pg").exists()
        data_dir = shared[0]
        # started and left running by `db`
        started = _db(data_dir)
        assert started.returncode == 0, started.stderr
        pid = embedded.running_pid(data_dir)
        assert pid is not None and psutil.pid_exists(pid)
        stopped = _db(data_dir, "--stop")
        assert stopped.returncode == 0, stopped.stderr
        assert f"stopped (pid {pid})" in stopped.stdout
        assert _wait_gone(pid, timeout=1)  # stopped before it answered
        # stopping again says it was not running
        again = _db(data_dir, "--stop")
        assert again.returncode == 1
        assert "was not running" in again.stderr and again.stderr.count("\n") == 1


async def _graphiql_redirect_uris(data_dir: Path) -> list[str]:
    url = embedded.start(data_dir)  # this process holds the server too, for its query
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            uris = await conn.scalar(
                sa.text("SELECT redirect_uris FROM oauth_clients WHERE client_id = 'lnob-graphiql'")
            )
    finally:
        await engine.dispose()
        embedded.stop(data_dir)
    return list(uris)


class TestServe:
    def test_adopts_an_orphan_shares_it_with_a_second_server_and_stops_it_last(
        self, shared: tuple[Path, dict[Path, int]]
    ) -> None:
        data_dir = shared[0]
        ports = [_free_port(), _free_port()]
        # given a serve killed with SIGKILL (it cannot clean up): PostgreSQL keeps running
        killed = _serve(data_dir, ports[0], "--no-seed")
        _wait_ready(ports[0], killed)
        killed.kill()
        killed.communicate(timeout=30)
        orphan = embedded.running_pid(data_dir)
        assert orphan is not None
        # when serve starts again, and a second one on another port
        first = _serve(data_dir, ports[0], "--no-seed")
        second: subprocess.Popen[bytes] | None = None
        try:
            _wait_ready(ports[0], first)
            second = _serve(data_dir, ports[1], "--no-seed")
            _wait_ready(ports[1], second)
            # then both use the orphan
            assert embedded.running_pid(data_dir) == orphan
            # and GraphiQL's client knows both pages, and both log-ins accept their own page
            uris = asyncio.run(_graphiql_redirect_uris(data_dir))
            assert {f"http://127.0.0.1:{p}/graphql" for p in ports} <= set(uris)
            for port in ports:
                authorize = httpx.get(
                    f"http://127.0.0.1:{port}/oauth/authorize",
                    params={
                        "response_type": "code",
                        "client_id": "lnob-graphiql",
                        "redirect_uri": f"http://127.0.0.1:{port}/graphql",
                        "scope": "data:read",
                        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                        "code_challenge_method": "S256",
                        "state": "s",
                    },
                    timeout=30,
                )
                assert authorize.status_code == 200, authorize.text
                assert "not supported" not in authorize.text
            # when the first gets Ctrl-C, the second keeps its database
            out = _interrupt(first)
            assert first.returncode == 0, out
            assert "adopted the embedded PostgreSQL" in out
            again = httpx.post(
                f"http://127.0.0.1:{ports[1]}/graphql",
                json={"query": "{ sdgGoals { totalCount } }"},
                timeout=30,
            )
            assert again.status_code == 200 and again.json()["data"]["sdgGoals"] == {
                "totalCount": 0  # --no-seed
            }
            assert embedded.running_pid(data_dir) == orphan
            # and Ctrl-C of the last one stops PostgreSQL
            out = _interrupt(second)
            assert second.returncode == 0, out
            assert _wait_gone(orphan)
            assert embedded.running_pid(data_dir) is None
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    _interrupt(proc)


class TestHolders:
    """The same rules in one process, through ``lnob_api.db.embedded``."""

    def test_starting_twice_is_one_hold_and_stop_lets_go(
        self, shared: tuple[Path, dict[Path, int]], capsys: pytest.CaptureFixture[str]
    ) -> None:
        data_dir = shared[0]
        first = embedded.start(data_dir)
        assert embedded.start(data_dir) == first
        assert "adopted" not in capsys.readouterr().err  # its own server, not an orphan
        pid = embedded.running_pid(data_dir)
        assert pid is not None
        embedded.stop(data_dir)
        assert _wait_gone(pid, timeout=1)

    def test_what_this_process_starts_it_stops_even_after_db_kept_an_earlier_one(
        self, shared: tuple[Path, dict[Path, int]]
    ) -> None:
        data_dir = shared[0]
        # given `lnob-api db` left a server running, which then went away on its own
        assert _db(data_dir).returncode == 0
        kept = embedded.running_pid(data_dir)
        assert kept is not None
        os.kill(kept, signal.SIGINT)
        assert _wait_gone(kept)
        # when this process starts it again and lets go
        embedded.start(data_dir)
        started = embedded.running_pid(data_dir)
        assert started is not None and started != kept
        embedded.stop(data_dir)
        # then it stopped
        assert _wait_gone(started, timeout=1)


@pytest.mark.skipif(os.geteuid() != 0, reason="the root path runs only as root")
class TestAsRoot:
    def test_a_closed_parent_is_refused_and_left_as_it_was(self, tmp_path: Path) -> None:
        # given a data folder below a folder only root may enter
        closed = tmp_path / "closed"
        closed.mkdir(mode=0o700)
        modes = {p: p.stat().st_mode for p in (closed, *closed.parents)}
        # when
        done = _db(closed / "data")
        # then one line says why and what to do; no mode above the data folder changed
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "cannot enter" in done.stderr
        assert "LNOB_DATA_DIR" in done.stderr
        assert {p: p.stat().st_mode for p in modes} == modes
        assert not (closed / "data" / "pg").exists()

    def test_runs_as_an_unprivileged_account_changing_nothing_above(
        self, shared: tuple[Path, dict[Path, int]]
    ) -> None:
        # given open parents (traverse only) and a data folder that was mode 700 (fixture)
        data_dir, modes = shared
        # when
        started = _db(data_dir)
        try:
            assert started.returncode == 0, started.stderr
            pid = embedded.running_pid(data_dir)
            assert pid is not None
            # then the server runs as the unprivileged account, which owns only pg/
            server = psutil.Process(pid)
            assert server.uids().effective != 0
            assert (data_dir / "pg").stat().st_uid == server.uids().effective
            assert stat.S_IMODE((data_dir / "pg").stat().st_mode) == 0o700
            assert data_dir.stat().st_uid == 0 and (data_dir / "keys").stat().st_uid == 0
            # the data folder itself is traversable, not listable, by others
            assert stat.S_IMODE(data_dir.stat().st_mode) == 0o701
            # and no folder above it changed
            assert {p: p.stat().st_mode for p in modes} == modes
        finally:
            _db(data_dir, "--stop")

    def test_binaries_it_cannot_reach_are_linked_into_the_data_folder(self, tmp_path: Path) -> None:
        # given the binaries below a closed folder (hard links of the wheel's, so it is fast)
        closed = tmp_path / "venv"
        closed.mkdir(mode=0o700)
        copy = closed / "pginstall"
        subprocess.run(["cp", "-al", str(embedded.installation()), str(copy)], check=True)
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        account = embedded_root.server_account()
        # when
        reachable = embedded_root.reachable_binaries(copy, data_dir, account)
        # then the account runs them from the data folder; the closed folder stays closed
        assert reachable == data_dir / "pgsql"
        version = subprocess.run(
            [str(reachable / "bin" / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=True,
            **account.run_as(),
        )
        assert "PostgreSQL" in version.stdout
        assert stat.S_IMODE(closed.stat().st_mode) == 0o700
        # and the wheel's own binaries, reachable, are used in place
        assert embedded_root.reachable_binaries(embedded.installation(), data_dir, account) == (
            embedded.installation()
        )
        shutil.rmtree(copy)
