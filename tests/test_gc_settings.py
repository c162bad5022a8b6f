"""The garbage collector settings the app applies at start-up (issue 10: memory that levels off).

Raised thresholds (50,000/50/100) let cyclic garbage of concurrent requests pile up in the old
generation; bench/soak.py measures it. The app freezes its start-up objects and keeps Python's
default thresholds.
"""

from __future__ import annotations

import gc
from typing import Any

from lnob_api.app import GC_THRESHOLDS


async def test_start_up_freezes_and_keeps_default_thresholds(app: Any) -> None:
    before = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)  # what the app used to set: start-up must replace it
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_threshold() == GC_THRESHOLDS == (700, 10, 10)
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0  # start-up objects sit in the permanent generation
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
