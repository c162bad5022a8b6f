"""What a bearer token costs a read, in-process and interleaved (issue 12).

    BENCH_DATABASE_URL=postgresql://... .venv/bin/python -m bench.token_cost \
        [--workloads W3,W1] [--rounds 8] [-n 200]

Drives the whole ASGI app (every middleware, as ``bench.request_profile`` does, with raw ASGI
messages, one request at a time) in four arms per round, in an order that rotates: anonymous;
the benchmark agency's token with the bearer check as it was (its facts read with SQLAlchemy
in a transaction of their own, BEGIN and COMMIT included, every signature verified); with the
check as it is (one statement by asyncpg in autocommit, signature checks remembered per
token); and the agency's principal put in the request state without a token (no bearer check
at all: what the agency's read itself costs, the floor of the token path). The figure is this
process's CPU time per request (PostgreSQL excluded), the median over rounds; and the ratios
to anonymous. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg

from bench import given_database
from bench.request_profile import ISSUER, _call
from bench.workloads import MAX_PAGE_SIZE, WORKLOADS

ARMS = (
    "anonymous",
    "agency, check as it was",
    "agency, check as it is",
    "agency, no check (floor)",
)


@contextmanager
def _check_as_it_was(app: Any) -> Iterator[None]:
    """The bearer check before issue 12's token work: the facts statement through SQLAlchemy
    in a transaction (BEGIN, statement, COMMIT), and no remembered signature checks."""
    from lnob_api.auth import principal_repository, resolver
    from lnob_api.auth.middleware import BearerAuthMiddleware
    from lnob_api.auth.tokens import VerifiedTokens
    from lnob_api.db.request import RequestDb

    async def facts(db: RequestDb, *, client_id: str, user_id: int | None, jti: str) -> Any:
        db._single = False  # undo single_read: a transaction of its own, as before
        params = {"client_id": client_id, "user_id": user_id, "jti": jti}
        return await db.first(principal_repository._PRINCIPAL_SQL, params)

    middleware = _find(app, BearerAuthMiddleware)
    kept, kept_facts = middleware.verified, resolver.principal_facts
    middleware.verified, resolver.principal_facts = VerifiedTokens(size=0), facts
    try:
        yield
    finally:
        middleware.verified, resolver.principal_facts = kept, kept_facts


def _find(app: Any, kind: type) -> Any:
    """The middleware instance of ``kind`` in the app's built stack."""
    node = app.middleware_stack
    seen = 0
    while node is not None and seen < 50:
        if isinstance(node, kind):
            return node
        node = getattr(node, "app", None)
        seen += 1
    raise SystemExit(f"no {kind.__name__} in the middleware stack")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workloads", default="W3,W1")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("-n", type=int, default=200, help="requests per arm per round")
    args = parser.parse_args()

    from bench.peer.run import _agency
    from lnob_api.app import create_app
    from lnob_api.auth.keys import KeyStore, new_key
    from lnob_api.config import Settings

    url = given_database()
    chosen = [next(w for w in WORKLOADS if w.name == n) for n in args.workloads.split(",")]
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        variants = {w.name: [api for api, _ in await w.variants(conn)][:50] for w in chosen}
    finally:
        await conn.close()
    keys = KeyStore([new_key()])
    token, principal = await _agency(url, keys)
    plain = [(b"content-type", b"application/json"), (b"host", b"bench")]
    signed = [*plain, (b"authorization", f"Bearer {token}".encode())]
    settings = dataclasses.replace(
        Settings.from_env({"DATABASE_URL": url}),
        issuer=ISSUER,
        audience="lnob-api",
        rate_limit=0,
        response_cache_mb=0,
        max_page_size=MAX_PAGE_SIZE,
        graphiql=False,
        log_level="warning",
    )
    app = create_app(settings, keys=keys)
    cpu: dict[tuple[str, str], list[float]] = {}
    async with app.router.lifespan_context(app):
        for w in chosen:
            bodies = [
                json.dumps({"query": w.api, "variables": v}).encode() for v in variants[w.name]
            ]
            if not bodies:
                raise SystemExit(f"{w.name}: no variants in this database")

            async def arm(name: str, n: int, start: int, bodies: list[bytes] = bodies) -> float:
                headers = signed if name in ARMS[1:3] else plain
                preset = principal if name == ARMS[3] else None  # kept by the middleware
                ctx = _check_as_it_was(app) if name == ARMS[1] else _nothing()
                with ctx:
                    began = time.process_time()
                    for i in range(n):
                        body = bodies[(start + i) % len(bodies)]
                        status, out = await _call(app, body, headers, preset)
                        if status != 200 or b'"errors"' in out:
                            raise SystemExit(f"{status}: {out[:300]!r}")
                    return (time.process_time() - began) * 1000 / n

            for name in ARMS:  # warm: plans, caches, pool
                await arm(name, 20, 0)
            for r in range(args.rounds):
                order = ARMS[r % len(ARMS) :] + ARMS[: r % len(ARMS)]
                for name in order:
                    cpu.setdefault((w.name, name), []).append(await arm(name, args.n, r * args.n))
    print(
        f"\nCPU ms per request (this process; median of {args.rounds} rounds of {args.n}),"
        " interleaved\n"
    )
    ratios = " | ".join(f"{a.split(', ')[1]} / anonymous" for a in ARMS[1:])
    print("| workload | " + " | ".join(ARMS) + " | " + ratios + " |")
    print("|---|" + "---:|" * (2 * len(ARMS) - 1))
    for w in chosen:
        med = [statistics.median(cpu[(w.name, a)]) for a in ARMS]
        print(
            f"| {w.name} | "
            + " | ".join(f"{m:.3f}" for m in med)
            + " | "
            + " | ".join(f"{m / med[0]:.2f}" for m in med[1:])
            + " |"
        )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    asyncio.run(main())
