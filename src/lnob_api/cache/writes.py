"""Every write announces itself: a data version that every worker hears.

Trigger-free: SQLAlchemy engine events (on every engine of the process: the app's, the CLI's,
the seeders') notice a statement that changes data and mark its connection; when that
transaction commits, ``pg_notify`` runs inside it, so PostgreSQL delivers the notification
exactly when the write becomes visible, to every listening worker (``cache.listener``). The
process's own caches are told at once too (``writing``), so that none of them serves or stores
a response between the write and the moment its notification comes back.

Each writing transaction also moves the data version (``data_versions``) just before it
commits and sends it in its notification: the row stays locked until the commit, so versions
follow the commit order, which is the order every listener hears them in. The versions a
request committed are collected (``collecting``) so that it is answered only once every worker
has heard them (``cache.leases``).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event

log = logging.getLogger(__name__)
CHANNEL = "lnob_data_version"
# The write token of each connection's open transaction. Kept beside the connection rather than
# in ``conn.info``: that proxies to the pooled connection, which raises once the database went
# away (an outage), right when the rollback event must still release the token.
_wrote: weakref.WeakKeyDictionary[sa.Connection, str] = weakref.WeakKeyDictionary()
# Statements that only read; anything else (INSERT, UPDATE, DELETE, MERGE, COPY, TRUNCATE,
# DDL, a WITH ... INSERT) counts as a write.
_READS = (
    "SELECT",
    "SHOW",
    "SET",
    "RESET",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "EXPLAIN",
    "VALUES",
    "LISTEN",
    "UNLISTEN",
    "DISCARD",
    "PREPARE",
)
# A data-modifying statement inside (or after) WITH: the syntax, not a word (``updated_at``).
_MODIFIES = re.compile(
    r"\b(INSERT\s+INTO|UPDATE\s+\S+(\s+(AS\s+)?\S+)?\s+SET|DELETE\s+FROM|MERGE\s+INTO)\b",
    re.IGNORECASE,
)
_COPY_OUT = re.compile(r"\bTO\s+STDOUT\b", re.IGNORECASE)
_sequence = itertools.count(1)
# Whether the database has the data version (a database not migrated yet, or a migration run
# itself, has not): asked in each announcing transaction, which may be the one creating it,
# until an engine's database has it; from then on the announcement is the commit's one
# statement (a database downgraded under it fails that commit once, and is asked again).
_HAS_VERSIONS = "SELECT to_regclass('data_versions') IS NOT NULL"
_versioned: weakref.WeakKeyDictionary[sa.Engine, bool] = weakref.WeakKeyDictionary()
_IN_FAILED_TRANSACTION = "25P02"
_ANNOUNCE = (
    "WITH moved AS (INSERT INTO data_versions (id, version) VALUES (1, 1)"
    " ON CONFLICT (id) DO UPDATE SET version = data_versions.version + 1 RETURNING version)"
    " SELECT version, pg_notify($2, $1::text || ' ' || version::text) FROM moved"
)
# The data versions committed by the current request (``collecting``).
_committed: ContextVar[list[int] | None] = ContextVar("lnob_committed_versions", default=None)


class Watcher(Protocol):
    def writing(self, token: str) -> None: ...

    def committed(self, token: str) -> None: ...

    def abandoned(self, token: str) -> None: ...


_watchers: weakref.WeakSet[Any] = weakref.WeakSet()


def watch(watcher: Watcher) -> None:
    """Tell ``watcher`` about every write of this process (held weakly)."""
    _install()
    _watchers.add(watcher)


def unwatch(watcher: Watcher) -> None:
    """Stop telling ``watcher`` (it hears this process's writes only through ``LISTEN`` then,
    as a worker in another process does: the tests' second worker)."""
    _watchers.discard(watcher)


@lru_cache(maxsize=2048)  # statements repeat (compiled once): their hash is cached on the str
def is_write(statement: str) -> bool:
    """Whether a SQL statement may change data (conservative: unknown means yes)."""
    head = statement.lstrip(" \t\r\n(").split(None, 1)
    if not head:
        return False
    word = head[0].upper()
    if word == "WITH":
        return _MODIFIES.search(statement) is not None
    if word == "COPY":  # COPY ... TO STDOUT reads (exports); COPY ... FROM writes
        return _COPY_OUT.search(statement) is None
    if word == "SELECT":  # a data-modifying function is not called on any read path
        return False
    return word not in _READS


def _token() -> str:
    return f"{os.getpid()}:{next(_sequence)}"


@contextmanager
def collecting() -> Iterator[list[int]]:
    """The data versions that commits in this context (and the tasks it starts) make."""
    versions: list[int] = []
    reset = _committed.set(versions)
    try:
        yield versions
    finally:
        _committed.reset(reset)


def parse(payload: str) -> tuple[str, int | None]:
    """A notification's write token and data version (None: sent without one)."""
    token, _, version = payload.partition(" ")
    return token, int(version) if version.isdigit() else None


def _after_execute(conn: sa.Connection, cursor: Any, statement: str, *args: Any) -> None:
    if not is_write(statement) or statement == _ANNOUNCE:
        return
    token = _wrote.get(conn)
    if token is None:
        token = _wrote[conn] = _token()
    # Every write statement, not only the first: the tests' writes (and a mutation's) are seen
    # by later reads of the same transaction.
    for watcher in list(_watchers):
        watcher.writing(token)


def _on_commit(conn: sa.Connection) -> None:
    token = _wrote.pop(conn, None)
    if token is None:
        return
    # Inside the transaction that is committing: delivered when (and only if) it commits.
    engine = conn.engine
    try:
        versioned = _versioned.get(engine) or bool(conn.exec_driver_sql(_HAS_VERSIONS).scalar())
        if not versioned:
            conn.exec_driver_sql(f"SELECT pg_notify('{CHANNEL}', '{token}')")
    except sa.exc.DBAPIError:  # an aborted transaction: its COMMIT rolls back, nothing to tell
        log.warning("could not announce a write (the transaction had failed)", exc_info=True)
        versioned = False
    version = None
    if versioned:
        try:
            version = conn.exec_driver_sql(_ANNOUNCE, (token, CHANNEL)).scalar()
        except sa.exc.DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == _IN_FAILED_TRANSACTION:  # as above
                log.warning("could not announce a write (the transaction had failed)")
            else:
                _failed(engine, token)
                raise
        except BaseException:
            _failed(engine, token)
            raise
        else:
            _versioned[engine] = True
    collected = _committed.get()
    if collected is not None and version is not None:
        collected.append(int(version))
    for watcher in list(_watchers):
        watcher.committed(token)


def _failed(engine: sa.Engine, token: str) -> None:
    """The transaction was fine until its announcement failed: its COMMIT would silently roll it
    back, so the commit fails instead (the write is not acknowledged)."""
    _versioned.pop(engine, None)  # (a downgraded database: asked again next time)
    for watcher in list(_watchers):
        watcher.abandoned(token)


def _on_rollback(conn: sa.Connection) -> None:
    token = _wrote.pop(conn, None)
    if token is not None:
        for watcher in list(_watchers):
            watcher.abandoned(token)


_installed = False


def _install() -> None:
    global _installed
    if _installed:
        return
    event.listen(sa.Engine, "after_cursor_execute", _after_execute)
    event.listen(sa.Engine, "commit", _on_commit)
    event.listen(sa.Engine, "rollback", _on_rollback)
    _installed = True


def install() -> None:
    """Announce this process's writes even with no cache in it (CLI commands, seeders)."""
    _install()
