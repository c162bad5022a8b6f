"""Released migrations are history: the SQL each revision runs, up and down, never changes.

Every statement a revision sends (DDL and data fixes, in order) is hashed per revision and
compared with the hashes recorded when it was released, so that a refactoring of the revision
files (shared helpers, tidied headers) is proven to leave the DDL exactly as it was. A new
revision adds its line to ``RELEASED`` once it is released.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from tests.db.test_migrations import _drop, _scratch_database

from lnob_api.db import migrate

# revision -> (sha256 of its upgrade statements, sha256 of its downgrade statements)
RELEASED: dict[str, tuple[str, str]] = {
    "0001": ("b45a74f5", "0aaa7036"),
    "0002": ("472be4b3", "4d590c17"),
    "0003": ("20d5190e", "e42c03b9"),
    "0004": ("cca48b63", "439044f8"),
    "0005": ("10e8cd1b", "e3e5c9fb"),
    "0006": ("9083882a", "959ffd44"),
    "0007": ("0c5655ec", "004a97fb"),
    "0008": ("3a2438bd", "bdb01282"),
    "0009": ("aa8a2e0c", "34ab6bc4"),
    "0010": ("53539d2e", "19c241db"),
    "0011": ("c2ee5a4a", "c519b0c3"),
    "0012": ("a82f9935", "03b348e9"),
    "0013": ("1b5f0bc7", "30fc723c"),
    "0014": ("187a84b7", "23c2c8dd"),
    "0015": ("9a93aa10", "50860199"),
}

# Where alembic records that a revision is done (upgrade) or undone (downgrade).
_STAMP = re.compile(
    r"INSERT INTO alembic_version \(version_num\) VALUES \('(?P<new>\w+)'\)"
    r"|UPDATE alembic_version SET version_num='(?P<to>\w+)'"
    r" WHERE alembic_version.version_num = '(?P<from>\w+)'"
    r"|DELETE FROM alembic_version WHERE alembic_version.version_num = '(?P<gone>\w+)'"
)
_CURRENT = "SELECT alembic_version.version_num"
# The response cache's change notice names the sending process.
_NOTIFY = re.compile(r"pg_notify\('lnob_data_version', '\d+:")


@contextmanager
def _recorded() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(_NOTIFY.sub("pg_notify('lnob_data_version', 'PID:", statement.strip()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _by_revision(statements: list[str], *, upgrade: bool) -> dict[str, str]:
    """sha256 (first 8 hex digits) of the statements each revision ran, its stamp included."""
    found: dict[str, str] = {}
    run: list[str] = []
    for statement in statements:
        if statement.startswith(_CURRENT):  # what ran before it is alembic's own set-up
            run = []
            continue
        run.append(statement)
        stamp = _STAMP.search(statement)
        if stamp is None:
            continue
        revision = (stamp["new"] or stamp["to"]) if upgrade else (stamp["from"] or stamp["gone"])
        found[revision] = hashlib.sha256("\n;\n".join(run).encode()).hexdigest()[:8]
        run = []
    return found


class TestMigrationHistory:
    async def test_released_revisions_run_the_sql_they_were_released_with(
        self, database_url: str
    ) -> None:
        # given
        url, name = await _scratch_database(database_url)
        try:
            # when
            with _recorded() as up:
                await asyncio.to_thread(migrate.upgrade, url)
            with _recorded() as down:
                await asyncio.to_thread(migrate.downgrade, url, "base")
        finally:
            await _drop(database_url, name)
        # then
        upgrades = _by_revision(up, upgrade=True)
        downgrades = _by_revision(down, upgrade=False)
        ran = {rev: (upgrades.get(rev), downgrades.get(rev)) for rev in RELEASED}
        assert ran == RELEASED
