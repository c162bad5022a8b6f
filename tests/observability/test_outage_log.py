"""observability.outage.Outage: a dependency's loss and its return are logged once each."""

from __future__ import annotations

import logging

import pytest

from lnob_api.observability.outage import Outage


def test_loss_and_return_are_each_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("lnob_api.test_outage")
    outage = Outage(log, "thing unreachable (%s); carrying on", "thing answers again")
    caplog.set_level(logging.WARNING, logger=log.name)
    # given a dependency that answers, then fails three times, then answers twice
    outage.answered()
    for reason in ("refused", "timeout", "refused"):
        outage.failed(reason)
    assert outage.down
    outage.answered()
    outage.answered()
    # then: one line for the loss (the first failure's reason), one for the return
    assert [r.getMessage() for r in caplog.records if r.name == log.name] == [
        "thing unreachable (refused); carrying on",
        "thing answers again",
    ]
    assert not outage.down
