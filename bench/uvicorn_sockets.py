"""uvicorn's command line, with its workers started as ``lnob-api serve`` starts them: each on
a listening socket of its own (``lnob_api.workers``), not all on one shared socket.

    .venv/bin/python -m bench.uvicorn_sockets --factory APP --port 8000 --workers 2 [...]

``bench.servers`` runs its uvicorn configurations through this, so that they compare with the
API as it is served; its "uvicorn shared socket" configuration is plain ``python -m uvicorn``.
"""

from __future__ import annotations

import importlib
import socket
from typing import Any

from uvicorn.config import Config

from lnob_api import workers


class _OwnSockets:
    """Stands in for uvicorn's ``Multiprocess``: the socket uvicorn bound (not listened to
    yet) is closed, and ``workers.Supervisor`` runs the workers on sockets of their own."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        for sock in sockets:
            sock.close()
        self.config = config

    def run(self) -> None:
        sockets = workers.listening_sockets(self.config.host, self.config.port, self.config.workers)
        try:
            workers.Supervisor(self.config, sockets).run()
        finally:
            for sock in sockets:
                sock.close()


def main() -> Any:
    # the module (the package's ``uvicorn.main`` is its command, a function of the same name)
    module = importlib.import_module("uvicorn.main")
    module.Multiprocess = _OwnSockets
    return module.main()


if __name__ == "__main__":
    main()
