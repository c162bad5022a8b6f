"""In-process A/B of one change at a time, interleaved, on the read workloads.

    BENCH_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python -m bench.ab [--rounds 8] [-n 30]
        [--toggle validation_rules --toggle page_statement ...]

The database must already hold the benchmark data (``bench/data.py``; ``bench/run.py`` makes it).
Requests go through the ASGI app (httpx ASGITransport, one client, one at a time); the figure is
this process's CPU time per request (``time.process_time``: the server's Python work, client
included, PostgreSQL excluded), far less noisy on a shared machine than wall time. Each round runs
``n`` requests of a workload with the change off, then ``n`` with it on (the order alternates
between rounds); the ratio printed is the median over rounds of time(on) / time(off), below 1
when the change helps. Figures only: nothing here asserts a time.

Toggles (each a way to switch one change off again in the running process):
- ``validation_rules``: depth/alias rules built per request (new classes, so ``ValidationCache``
  never hits) against the rules built once (``graphql.schema.STATIC_RULES``).
- ``page_statement``: ``read.repository.page_by_parent`` with the parent keys as VALUES rows
  (no cache key: compiled per request) against one ``unnest`` array parameter (compiled once).
- ``orjson``: Strawberry's ``json.dumps`` for the response body against ``orjson.dumps`` (a
  candidate, patched onto ``GraphQLApp`` here; needs ``pip install orjson``).
- ``pool_reset``: the pool's rollback-on-return against no reset (a candidate).
- ``gc_defaults``: ``gc.set_threshold(50000, 50, 100)`` against CPython's defaults (the app's).
- ``lazy_cursors``: every edge's cursor encoded when a page is wrapped against cursors encoded
  only when resolved (``graphql.pagination.EAGER_CURSORS``).
- ``scope_cache``: every scoped select (and nested-page child statement) built per request
  against built once per principal shape (``read.repository.SCOPE_CACHE``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bench import given_database

WORKLOADS: dict[str, tuple[str, dict[str, Any]]] = {
    # W1 (the bench data has no projects): coalitions -> first 10 datasets -> indicators.
    "W1 coalition page": (
        """query { coalitions(first: 10) { nodes { code name
             datasets(first: 10) { nodes { slug title indicators { code title } } } } } }""",
        {},
    ),
    "W2 100 observations": (
        """query($i: [String!]) { observations(filter: {indicators: $i}, first: 100) {
             nodes { value areaCode period sex age dataset { slug } } } }""",
        {"i": ["1.1.1"]},
    ),
    "W3 lookup": (
        """query($s: String) { dataset(slug: $s) { title coalition { name } } }""",
        {"s": "bench-np-7"},
    ),
    "W4 nested page": (
        """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 20) { totalCount
             edges { node { title coalition { code name } project { title }
             indicators { code title target { code goal { shortTitle } } }
             observations(first: 10) { edges { node { value suppressed period sex age
               area { name } } } } } } } }""",
        {"c": ["KE"]},
    ),
}


@contextmanager
def _per_request_rules() -> Iterator[None]:
    """The old configuration: depth and alias limiters built per request."""
    from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, QueryDepthLimiter

    from lnob_api.graphql import schema as module
    from lnob_api.graphql.inputs import StorableLiterals

    schema = module.schema
    saved = schema.extensions
    old: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: AddValidationRules([StorableLiterals]),
    ]
    index = saved.index(module.static_rules)
    schema.extensions = (*saved[:index], *old, *saved[index + 1 :])
    try:
        yield
    finally:
        schema.extensions = saved


@contextmanager
def _uncached_page_statement() -> Iterator[None]:
    from lnob_api.read import repository

    saved = repository.PAGE_STATEMENT_CACHE
    repository.PAGE_STATEMENT_CACHE = False
    try:
        yield
    finally:
        repository.PAGE_STATEMENT_CACHE = saved


def _orjson_encode(_self: Any, data: object) -> bytes:
    import orjson

    try:
        return orjson.dumps(data)
    except TypeError:  # what orjson refuses (lone surrogates, huge ints): the stdlib's answer
        return json.dumps(data, separators=(",", ":")).encode()


@contextmanager
def _stdlib_json() -> Iterator[None]:
    """Strawberry's ``json.dumps`` for the response body; "on" is orjson (the candidate)."""
    from lnob_api.graphql.app import GraphQLApp

    saved = GraphQLApp.__dict__.get("encode_json")
    if saved is not None:
        del GraphQLApp.encode_json
    try:
        yield
    finally:
        GraphQLApp.encode_json = saved or _orjson_encode  # type: ignore[method-assign]


@contextmanager
def _per_release_reset() -> Iterator[None]:
    """The pool's reset on return (a rollback call per release; asyncpg sends nothing when the
    request's transaction already ended). The "on" side is no reset at all (the candidate)."""
    from sqlalchemy.pool.base import ResetStyle

    pool = ENGINE[0].sync_engine.pool
    pool._reset_on_return = ResetStyle.reset_rollback
    try:
        yield
    finally:
        pool._reset_on_return = ResetStyle.reset_none


@contextmanager
def _high_gc_thresholds() -> Iterator[None]:
    """gc.set_threshold(50000, 50, 100) against the app's CPython defaults (app.GC_THRESHOLDS).
    Time per request only: the RSS cost under concurrency is bench/soak.py's to measure."""
    import gc

    saved = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


@contextmanager
def _flag(module_name: str, name: str, value: Any) -> Iterator[None]:
    """Set ``module.name`` to ``value`` (the "off" side) for the block."""
    import importlib

    module = importlib.import_module(module_name)
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


ENGINE: list[Any] = []

TOGGLES: dict[str, Callable[[], Any]] = {
    "validation_rules": _per_request_rules,
    "page_statement": _uncached_page_statement,
    "orjson": _stdlib_json,
    "pool_reset": _per_release_reset,
    "gc_defaults": _high_gc_thresholds,
    "lazy_cursors": lambda: _flag("lnob_api.graphql.pagination", "EAGER_CURSORS", True),
    "scope_cache": lambda: _flag("lnob_api.read.repository", "SCOPE_CACHE", False),
}


async def _time(client: httpx.AsyncClient, query: str, variables: dict[str, Any], n: int) -> float:
    # This process's CPU time, not wall time: the machine is shared, PostgreSQL is another
    # process, and what a change saves is Python work per request.
    started = time.process_time()
    for _ in range(n):
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        if response.status_code != 200 or "errors" in response.json():
            raise SystemExit(f"{response.status_code}: {response.text[:300]}")
    return (time.process_time() - started) / n


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("-n", type=int, default=30, help="requests per side per round")
    parser.add_argument("--toggle", action="append", choices=sorted(TOGGLES))
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    args = parser.parse_args()

    from lnob_api.app import create_app
    from lnob_api.auth.keys import KeyStore, new_key
    from lnob_api.config import Settings
    from lnob_api.db import create_engine
    from lnob_api.db.request import EngineDatabase

    url = given_database()
    import gc

    from lnob_api.app import GC_THRESHOLDS

    engine = create_engine(url, pool_size=2)
    ENGINE.append(engine)
    app = create_app(
        Settings(env="test", rate_limit=0),
        database=EngineDatabase(engine),
        keys=KeyStore([new_key()]),
    )
    # ASGITransport runs no lifespan: do what it does for a served worker's heap.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for toggle in args.toggle or sorted(TOGGLES):
            default_reset = engine.sync_engine.pool._reset_on_return
            if toggle == "orjson":
                from lnob_api.graphql.app import GraphQLApp

                had_encoder = "encode_json" in GraphQLApp.__dict__
                if not had_encoder:
                    GraphQLApp.encode_json = _orjson_encode  # type: ignore[method-assign]
            if toggle == "pool_reset":
                from sqlalchemy.pool.base import ResetStyle

                engine.sync_engine.pool._reset_on_return = ResetStyle.reset_none
            print(f"## {toggle}: CPU ms per request, change off -> on (median of rounds)")
            for name in args.workload or list(WORKLOADS):
                query, variables = WORKLOADS[name]
                await _time(client, query, variables, 5)  # warm-up
                with TOGGLES[toggle]():
                    await _time(client, query, variables, 5)
                ratios, offs, ons = [], [], []
                for round_ in range(args.rounds):
                    first_off = round_ % 2 == 0
                    for side in ("off", "on") if first_off else ("on", "off"):
                        if side == "off":
                            with TOGGLES[toggle]():
                                off = await _time(client, query, variables, args.n)
                        else:
                            on = await _time(client, query, variables, args.n)
                    ratios.append(on / off)
                    offs.append(off)
                    ons.append(on)
                print(
                    f"{name:22s} off {statistics.median(offs) * 1000:7.2f} ms  "
                    f"on {statistics.median(ons) * 1000:7.2f} ms  "
                    f"ratio on/off {statistics.median(ratios):.3f}"
                )
            engine.sync_engine.pool._reset_on_return = default_reset
            if toggle == "orjson" and not had_encoder:
                del GraphQLApp.encode_json
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
