"""Before/after of the compiled read path's statements across a code change, interleaved.

    BENCH_DATABASE_URL=postgresql://... .venv/bin/python -m bench.statement_ab --save FILE
    (change the code)
    BENCH_DATABASE_URL=postgresql://... .venv/bin/python -m bench.statement_ab --against FILE \\
        [--only W2,W2b] [--rounds 6] [-n 40] [--plans] [--indicator 5.5.1]

``--save`` captures each workload's statements (``bench/workloads.py``, first variant,
anonymous and as the benchmark agency: ``bench/pg_settings.capture``) from this checkout and
writes them as JSON: a plan's two-step form (``graphql.compiled.TWO_STEP``) is its head, then
its whole form, run in turn until one's data is not NULL, as the app runs them (each side's
request is that sequence); ``--one-step`` captures the whole form alone. ``--against`` captures them again from this checkout and replays both sides on the
same database, the sides alternating per round: both must return the same JSON; then per
workload the statement's length, EXPLAIN (ANALYZE, BUFFERS)'s execution time, and the backend's
CPU per request from ``/proc`` as the app runs it (a prepared statement per connection,
``jit=off``, ``plan_cache_mode=force_generic_plan``), medians over rounds, with the median of
the per-round CPU ratios after/before (below 1 when the new statement is cheaper). ``--indicator``
replays W2 and W2b for that indicator instead of the first variant's (its code is a bind
parameter of both sides: at 1M rows 5.5.1 and 8.5.2 have fewer matches than a W2b page within
the windowed page's first 5,000 keys, the other codes more). The database must hold the benchmark data (``python -m bench.peer.run`` prepares it). Figures
only: asserts no time.

Besides ``bench/workloads.py``'s, ``EXTRA`` (filtered root pages and a nested one, 100 rows
each, W2's fields) are captured and replayed the same way, so that the figures of W1-W4 stay
those of the other runs: W2d the first page of one dataset (``datasets: [id]``, the first
benchmark dataset: 9,136 rows at 1M, one in 110 ids), W2d+ its page after its 4,000th row (its middle one when it has fewer)
(a frontend paging through it), W2dd of it and the next dataset, W2i of two indicators,
W2di of one dataset and one of its indicators, W4d the dataset's own
``observations(first: 100)`` connection.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import statistics
from pathlib import Path
from typing import Any

import asyncpg

from bench import given_database, pg_settings, workloads
from lnob_api.db import embedded
from lnob_api.read.keyset import encode_cursor

SETTINGS = {"jit": "off", "plan_cache_mode": "force_generic_plan"}

_FIELDS = "nodes { value areaCode period sex age dataset { slug } }"
_ROOT = (
    "query($f: ObservationFilter, $after: String) { observations(filter: $f, first: 100,"
    f" after: $after) {{ {_FIELDS} }} }}"
)
_NESTED = f"query($id: ID!) {{ dataset(id: $id) {{ observations(first: 100) {{ {_FIELDS} }} }} }}"


async def _first_dataset(conn: asyncpg.Connection) -> tuple[int, str]:
    """The first benchmark dataset W3 reads: its id and global id."""
    found = await conn.fetchrow(
        "SELECT id FROM datasets WHERE slug LIKE 'bench-%' AND slug NOT LIKE 'bench-hidden-%'"
        " ORDER BY id LIMIT 1"
    )
    assert found is not None, "no benchmark dataset: prepare the data first"
    return found["id"], base64.b64encode(f"Dataset:{found['id']}".encode()).decode()


def _root(name: str, filter_of: Any) -> workloads.Workload:
    async def variants(conn: asyncpg.Connection) -> Any:
        return [(await filter_of(conn), {})]

    return workloads.Workload(name, name, _ROOT, "", variants, lambda b: b, lambda b: b)


async def _dataset_page(conn: asyncpg.Connection) -> dict[str, Any]:
    _, gid = await _first_dataset(conn)
    return {"f": {"datasets": [gid]}}


async def _dataset_later_page(conn: asyncpg.Connection) -> dict[str, Any]:
    pk, gid = await _first_dataset(conn)
    # Its 4,000th row, or its middle one in a smaller dataset (at 100k rows it has about 900).
    rows = await conn.fetchval("SELECT count(*) FROM observations WHERE dataset_id = $1", pk)
    after = await conn.fetchval(
        "SELECT id FROM observations WHERE dataset_id = $1 ORDER BY id OFFSET $2 LIMIT 1",
        pk,
        min(3999, rows // 2),
    )
    return {"f": {"datasets": [gid]}, "after": encode_cursor([after])}


async def _two_datasets(conn: asyncpg.Connection) -> dict[str, Any]:
    pk, gid = await _first_dataset(conn)
    return {"f": {"datasets": [gid, base64.b64encode(f"Dataset:{pk + 1}".encode()).decode()]}}


async def _two_indicators(conn: asyncpg.Connection) -> dict[str, Any]:
    codes = [v[0]["i"][0] for v in (await workloads.WORKLOADS[1].variants(conn))[:2]]
    return {"f": {"indicators": codes}}


async def _dataset_indicator(conn: asyncpg.Connection) -> dict[str, Any]:
    pk, gid = await _first_dataset(conn)
    code = await conn.fetchval(
        "SELECT i.code FROM dataset_indicators di JOIN indicators i ON i.id = di.indicator_id"
        " WHERE di.dataset_id = $1 ORDER BY i.code LIMIT 1",
        pk,
    )
    return {"f": {"datasets": [gid], "indicators": [code]}}


async def _nested(conn: asyncpg.Connection) -> Any:
    return [({"id": (await _first_dataset(conn))[1]}, {})]


EXTRA = [
    _root("W2d", _dataset_page),
    _root("W2d+", _dataset_later_page),
    _root("W2dd", _two_datasets),
    _root("W2i", _two_indicators),
    _root("W2di", _dataset_indicator),
    workloads.Workload("W4d", "W4d", _NESTED, "", _nested, lambda b: b, lambda b: b),
]


async def _execution_ms(conn: asyncpg.Connection, sql: str, params: Any) -> tuple[float, str]:
    rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *params)
    text = "\n".join(r[0] for r in rows)
    found = re.search(r"Execution Time: ([\d.]+) ms", text)
    return (float(found.group(1)) if found else float("nan")), text


async def _answer(run: Any, steps: Any) -> Any:
    """The rows of the first of ``steps`` whose first row's data is not NULL (the last one's
    otherwise), as ``graphql.compiled.answered`` runs them: ``run(index, params)``."""
    rows = []
    for index, (_sql, params) in enumerate(steps):
        rows = await run(index, params)
        if not rows or rows[0][0] is not None:
            return rows
    return rows


async def _cpu_per_request(dsn: str, steps: Any, n: int) -> float:
    """Backend CPU seconds per request (its steps' prepared statements), after six warm-ups."""
    conn = await asyncpg.connect(dsn, server_settings=SETTINGS)
    try:
        pid = conn.get_server_pid()
        prepared = [await conn.prepare(sql) for sql, _ in steps]

        async def run(index: int, params: Any) -> Any:
            return await prepared[index].fetch(*params)

        for _ in range(6):
            await _answer(run, steps)
        started = pg_settings._cpu(pid)
        for _ in range(n):
            await _answer(run, steps)
        return (pg_settings._cpu(pid) - started) / n
    finally:
        await conn.close()


def _with_whole(seen: Any, whole: Any) -> Any:
    """Each workload's captured steps, followed by its whole form (``whole``'s one statement)
    when they do not hold it: a head that answered the first variant may fall short of
    another's (``--indicator``)."""
    out = {}
    for name, steps in seen.items():
        last = whole.get(name, [None])[0]
        known = [sql for sql, _ in steps]
        out[name] = steps if last is None or last[0] in known else [*steps, last]
    return out


def _for_indicator(statements: Any, first: str, code: str) -> list[tuple[str, Any]]:
    """``statements`` with the indicator code parameter ``first`` replaced by ``code``."""
    return [(sql, [code if p == first else p for p in params]) for sql, params in statements]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--save", type=Path, help="capture this checkout's statements to FILE")
    parser.add_argument("--against", type=Path, help="compare this checkout with FILE")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("-n", type=int, default=40, help="executions per side per round")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--plans", action="store_true", help="print each new plan")
    parser.add_argument("--indicator", help="W2 and W2b for this indicator code")
    parser.add_argument("--one-step", action="store_true", help="the whole form alone")
    args = parser.parse_args()
    url = given_database()
    dsn = embedded.psql_url(url)
    from lnob_api.graphql import compiled

    compiled.TWO_STEP = False
    whole = await pg_settings.capture(url, compiled=True, extra=EXTRA)
    compiled.TWO_STEP = not args.one_step
    seen = whole if args.one_step else await pg_settings.capture(url, compiled=True, extra=EXTRA)
    seen = _with_whole(seen, whole)
    if args.save:
        args.save.write_text(json.dumps(seen))
        print(f"saved {len(seen)} workloads' statements to {args.save}")
        return
    if not args.against:
        raise SystemExit("give --save FILE or --against FILE")
    before: dict[str, list[tuple[str, Any]]] = json.loads(args.against.read_text())
    wanted = {w for w in args.only.split(",") if w}
    conn = await asyncpg.connect(dsn, server_settings=SETTINGS)
    if args.indicator:
        w2 = next(w for w in workloads.WORKLOADS if w.name == "W2")
        first = (await w2.variants(conn))[0][0]["i"][0]
        for statements_of in (seen, before):
            for name, statements in statements_of.items():
                if name.split()[0] in ("W2", "W2b"):
                    statements_of[name] = _for_indicator(statements, first, args.indicator)
    print(
        "| workload | chars before | after | exec ms before | after"
        " | CPU ms/req before | after | after / before |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    plans = []
    med = statistics.median
    try:
        for name, statements in seen.items():
            if (wanted and name.split()[0] not in wanted) or name not in before:
                continue
            sides = {"before": before[name], "after": statements}
            rows = {}
            for side, steps in sides.items():

                async def run(index: int, params: Any, steps: Any = steps) -> Any:
                    return await conn.fetch(steps[index][0], *params)

                rows[side] = await _answer(run, steps)
            if rows["before"] != rows["after"]:
                raise SystemExit(f"{name}: the new statements answer differently")
            execution: dict[str, list[float]] = {"before": [], "after": []}
            cpu: dict[str, list[float]] = {"before": [], "after": []}
            ratios = []
            text = ""
            for round_ in range(args.rounds):
                for side in ("before", "after") if round_ % 2 == 0 else ("after", "before"):
                    sql, params = sides[side][0]
                    ms, plan = await _execution_ms(conn, sql, params)
                    execution[side].append(ms)
                    text = plan if side == "after" else text
                    cpu[side].append(await _cpu_per_request(dsn, sides[side], args.n))
                ratios.append(cpu["after"][-1] / cpu["before"][-1] if cpu["before"][-1] else 0)
            print(
                f"| {name} | {len(sides['before'][0][0]):,} | {len(sides['after'][0][0]):,}"
                f" | {med(execution['before']):.2f} | {med(execution['after']):.2f}"
                f" | {med(cpu['before']) * 1000:.2f} | {med(cpu['after']) * 1000:.2f}"
                f" | {med(ratios):.3f} |",
                flush=True,
            )
            plans.append((name, text))
    finally:
        await conn.close()
    if args.plans:
        for name, text in plans:
            print(f"\n### {name}\n\n```\n{text}\n```")


if __name__ == "__main__":
    asyncio.run(main())
