"""The API app as ``bench/soak.py`` serves it: the real app, plus an A/B switch for the garbage
collector settings and a probe of the collector's state.

    uvicorn bench.soak_app:create --factory      (LNOB_BENCH_GC=app|old|<t0,t1,t2>)

- ``LNOB_BENCH_GC=app`` (default) keeps what ``lnob_api.app`` sets at start-up; ``old`` applies
  the settings the app had before issue 10 (``gc.freeze()`` and thresholds 50,000/50/100) after
  the app's own start-up; three numbers apply those thresholds instead.
- ``GET /_bench/gc`` answers this worker's pid, RSS, collector counts and thresholds, the number
  of objects the collector tracks and the 12 most common types among them; with
  ``?collect=1`` it first runs a full collection and says how many unreachable objects it found
  (garbage that was waiting for a collection, not live data).
"""

from __future__ import annotations

import gc
import json
import os
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import psutil

from lnob_api.app import create_app

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
OLD_THRESHOLDS = (50_000, 50, 100)


def _apply(setting: str) -> None:
    if setting == "app":
        return
    thresholds = OLD_THRESHOLDS if setting == "old" else tuple(int(x) for x in setting.split(","))
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)


def _probe(collect: bool) -> dict[str, Any]:
    found = gc.collect() if collect else None
    tracked = gc.get_objects()
    common = Counter(type(o).__name__ for o in tracked).most_common(12)
    n_tracked = len(tracked)
    del tracked
    return {
        "pid": os.getpid(),
        "rss_mib": round(psutil.Process().memory_info().rss / 2**20, 1),
        "threshold": gc.get_threshold(),
        "count": gc.get_count(),
        "frozen": gc.get_freeze_count(),
        "collections": [s["collections"] for s in gc.get_stats()],
        "tracked": n_tracked,
        "common": common,
        "unreachable_found": found,
    }


def create() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    inner = create_app()
    setting = os.environ.get("LNOB_BENCH_GC", "app")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":

            async def started(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "lifespan.startup.complete":
                    _apply(setting)
                await send(message)

            await inner(scope, receive, started)
            return
        if scope["type"] == "http" and scope["path"] == "/_bench/gc":
            body = json.dumps(_probe(b"collect=1" in scope.get("query_string", b""))).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await inner(scope, receive, send)

    return app
