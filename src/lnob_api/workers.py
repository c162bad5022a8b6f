"""Worker processes that never outlive their supervisor.

``lnob-api serve --workers N`` (and ``--reload``) runs the app in child processes of uvicorn's
supervisor. When the supervisor is killed outright (``kill -9``, the OOM killer), nothing tells
the children, which would go on serving the port with nobody to restart or stop them. On Linux
the kernel can send each child a signal when its parent dies (``PR_SET_PDEATHSIG``); elsewhere
a thread watches the parent process id.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

_log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


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
