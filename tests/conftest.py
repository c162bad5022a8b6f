"""Test database and app fixtures.

The suite runs against a real PostgreSQL: ``TEST_DATABASE_URL`` or ``DATABASE_URL`` when set
(a fresh database is created on that server and dropped afterwards), otherwise an embedded
server in a temporary folder. The schema is migrated once with alembic and the reference data
seeded once; each test then runs inside an outer transaction that is rolled back.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import hypothesis
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lnob_api.auth.keys import KeyStore, new_key
from lnob_api.config import Settings
from lnob_api.db import create_engine, embedded, migrate

# Hypothesis profiles (docs/development.md, "Property and fuzz tests"). Every property test
# takes its number of examples from the loaded profile (all of it, or its share through
# tests.helpers.examples): ``ci``, the default, keeps each run short; ``long`` is the full run,
# selected with HYPOTHESIS_PROFILE=long, or with LNOB_FUZZ_EXAMPLES=N (then N examples instead
# of 300).
FULL_EXAMPLES = 300
CI_EXAMPLES = 100
hypothesis.settings.register_profile("ci", max_examples=CI_EXAMPLES)
hypothesis.settings.register_profile(
    "long", max_examples=int(os.environ.get("LNOB_FUZZ_EXAMPLES") or FULL_EXAMPLES)
)
hypothesis.settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("long" if os.environ.get("LNOB_FUZZ_EXAMPLES") else "ci")
)


async def _create_database(server_url: str) -> tuple[str, str]:
    url = make_url(Settings.from_env({"DATABASE_URL": server_url}).database_url or "")
    name = f"lnob_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.render_as_string(hide_password=False), pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


async def _drop_database(server_url: str, name: str) -> None:
    url = Settings.from_env({"DATABASE_URL": server_url}).database_url or ""
    admin = create_engine(url, pool_size=1)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def _traversable(folder: Path) -> None:
    """Add o+x (traverse, no listing) to a test's temporary folder."""
    folder.chmod(folder.stat().st_mode | stat.S_IXOTH)


@pytest.fixture(scope="session", autouse=True)
def _reachable_basetemp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """As root, the embedded PostgreSQL runs as an unprivileged account that must reach its data
    folder through the folders above it, and lnob-api never changes those (db/embedded_root.py).
    pytest's temporary folders are mode 700: open the test run's own ones for traversal."""
    if os.geteuid() != 0:
        return
    base = tmp_path_factory.getbasetemp()
    for folder in (base.parent, base):
        _traversable(folder)


@pytest.fixture(autouse=True)
def _reachable_tmp_path(request: pytest.FixtureRequest) -> None:
    if os.geteuid() == 0 and "tmp_path" in request.fixturenames:
        _traversable(request.getfixturevalue("tmp_path"))


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A migrated, empty database for this test session."""
    server = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if server:
        url, name = await _create_database(server)
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
        await _drop_database(server, name)
        return
    folder = Path(tempfile.mkdtemp(prefix="lnob-test-"))
    url = embedded.start(folder, delete_on_exit=True)
    await asyncio.to_thread(migrate.upgrade, url)
    yield url
    embedded.stop(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The session's engine, with the reference data (no demo set) committed once."""
    from lnob_api.seed import seed

    eng = create_engine(database_url, pool_size=4)
    async with eng.begin() as conn:
        await seed(conn, demo=False)
    yield eng
    await eng.dispose()


@pytest.fixture
async def conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        outer = await connection.begin()
        yield connection
        if outer.is_active:
            await outer.rollback()


class StatementCounter:
    """Counts SQL statements sent on a connection (guards nested queries against N+1)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: object, **kwargs: object) -> None:
        self.count += 1


@pytest.fixture
def statements(conn: AsyncConnection) -> StatementCounter:
    counter = StatementCounter()
    event.listen(conn.sync_connection, "before_cursor_execute", counter)  # type: ignore[arg-type]
    return counter


@pytest.fixture(scope="session")
def signing_keys() -> KeyStore:
    """One in-memory ES256 key set for the whole session."""
    return KeyStore([new_key()])


@pytest.fixture
def settings() -> Settings:
    return Settings(env="test", issuer="http://testserver")


@pytest.fixture
async def app(conn: AsyncConnection, settings: Settings, signing_keys: KeyStore):  # type: ignore[no-untyped-def]
    from lnob_api.app import create_app
    from lnob_api.db.request import ConnectionDatabase

    return create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
