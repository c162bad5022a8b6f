"""A dependency that may stop answering (Redis, a read replica) while the service carries on
without it: its loss and its return are logged once each, not on every failed call."""

from __future__ import annotations

import logging


class Outage:
    """Whether a dependency is down; ``lost`` and ``back`` are the WARNING lines that say so."""

    def __init__(self, log: logging.Logger, lost: str, back: str) -> None:
        self.log = log
        self.lost = lost
        self.back = back
        self.down = False

    def failed(self, *args: object) -> None:
        """A call failed: the first failure logs ``lost`` (formatted with ``args``)."""
        if not self.down:
            self.down = True
            self.log.warning(self.lost, *args)

    def answered(self) -> None:
        """A call succeeded: the first success after failures logs ``back``."""
        if self.down:
            self.down = False
            self.log.warning(self.back)
