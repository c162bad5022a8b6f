"""Worker processes: each with a listening socket of its own, none outliving its supervisor.

``lnob-api serve --workers N`` (and ``--reload``) runs the app in child processes of uvicorn's
supervisor. When the supervisor is killed outright (``kill -9``, the OOM killer), nothing tells
the children, which would go on serving the port with nobody to restart or stop them. On Linux
the kernel can send each child a signal when its parent dies (``PR_SET_PDEATHSIG``); elsewhere
a thread watches the parent process id.

uvicorn's own supervisor hands one listening socket to every worker, and whichever worker's
event loop wakes first accepts: under load the busy one rarely does, so an idle one takes a
burst of new keep-alive connections and keeps them (16 connections split 13 / 3, issue 12),
and the requests on the crowded worker wait behind one another. ``Supervisor`` binds one
socket per worker with ``SO_REUSEPORT`` instead (on Linux): the kernel hashes each new
connection to one of them. The supervisor keeps them all open, so a worker restarted
(crashed, or ``SIGHUP``) finds its socket, and the connections queued on it, waiting.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

_log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1
# Where the kernel spreads connections between sockets of one port (Linux 3.9; on macOS and
# the BSDs SO_REUSEPORT lets them bind, but does not balance: uvicorn's shared socket there).
SPREADS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def die_with_parent() -> None:
    """In a worker process, arrange a SIGTERM (a graceful shutdown) when the parent dies."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return  # a single process: nothing to follow
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            _log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    else:
        threading.Thread(target=_watch, args=(parent.pid,), daemon=True).start()
    if os.getppid() != parent.pid:  # it died before the request above took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


class CannotListen(Exception):
    """The address is taken (or not this host's): nothing was started."""


def run(app: str, *, host: str, port: int, workers: int | None, **options: Any) -> None:
    """``uvicorn.run(app, ...)``, but with several workers (on Linux) each on a socket of its
    own under ``Supervisor``; ``CannotListen`` when the address cannot be bound."""
    if not (workers and workers > 1 and SPREADS and not options.get("reload")):
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    config = Config(app, host=host, port=port, workers=workers, **options)
    try:
        sockets = listening_sockets(host, port, workers)
    except OSError as error:
        raise CannotListen(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    try:
        Supervisor(config, sockets).run()
    except KeyboardInterrupt:
        pass
    finally:
        for sock in sockets:
            sock.close()


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets bound to one address with ``SO_REUSEPORT``: the kernel spreads new
    connections between them by a hash of each connection's addresses. ``port`` 0: the first
    takes a free port, the others the same one. Bound here, listened to by the workers (a
    socket that nobody listens to yet gets no connections)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # First without SO_REUSEPORT, as uvicorn binds: refused where anything listens already,
    # another server of ours included (whose sockets would otherwise take this one's in).
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


# Seconds a worker has to answer its supervisor's health check, and a new one to finish starting
# (uvicorn's default is 5): on a busy machine a new worker takes longer than that to import and
# start the app, and a SIGHUP restart was given up ("not ready in time", on 2 loaded cores).
HEALTH_CHECK_TIMEOUT = 60


class Supervisor(Multiprocess):
    """uvicorn's supervisor (restarts, ``SIGHUP``, health checks) with worker ``i`` serving
    ``sockets[i]`` alone. The number of workers is the number of sockets: ``SIGTTIN`` and
    ``SIGTTOU`` (one worker more or less) are refused."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.processes_num = len(sockets)

    def _started(self, index: int) -> Process:
        process = Process(self.config, [self.sockets[index]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._started(i) for i in range(len(self.sockets))]

    def keep_subprocess_alive(self) -> None:
        # uvicorn's, with the socket of the worker replaced
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or dead already
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # it failed before serving: every restart would fail the same way
                _log.error("worker %s failed to start, stopping", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            _log.info("worker %s died", process.pid)
            self.processes[index] = self._started(index)

    def restart_all(self) -> None:
        # uvicorn's: each replacement serving before its predecessor stops (on the same socket)
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._started(index)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                if not self.should_exit.is_set():
                    _log.error("worker %s not ready in time; keeping %s", new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        _log.info("SIGTTIN ignored: one worker per socket, bound at start")

    def handle_ttou(self) -> None:
        _log.info("SIGTTOU ignored: one worker per socket, bound at start")
