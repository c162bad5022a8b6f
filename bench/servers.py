"""How much of the one-statement floor (issue 12) is the HTTP server: the same floor app under
several servers and options, 1 and 2 worker processes, loaded by wrk in interleaved rounds.

    BENCH_DATABASE_URL=postgresql://... .venv/bin/python -m bench.servers
        [--workloads W3,W1] [--principals anonymous] [--workers 1,2] [--seconds 5]
        [--rounds 3] [--concurrency 16] [--only uvicorn,granian,...] [--api]

The database must hold the benchmark data (``bench.peer.run._prepare``). At start-up the
compiled path's statement of every variant is captured through the API's own app
(``bench/floor_app.capture``, as ``bench/peer/run.py --floor`` does), into a temporary file
every server's workers load. Then each configuration of ``CONFIGS`` (a server command line
around ``bench.floor_app:create_app``, or ``create_raw_app`` below: the same statements
answered by a plain ASGI callable, without Starlette's request, response and router) is started
with each worker count, checked to give the API's rows, and loaded alone, one configuration
after another in every round (``bench.peer.run.load_round``: wrk -t2, a 1 s warm-up before each
measured round). ``--api`` adds this API itself (``lnob-api serve`` as it runs uvicorn, response
cache off, compiled path on); every server is then checked to give the API's rows.

Prints per workload and configuration: req/s (median over rounds), its ratio to the
configuration ``lnob-api serve`` runs (uvicorn, uvloop, httptools) with the same worker count,
p50 / p99 latency, and the server's CPU per request (its whole process tree: supervisor and
workers). Figures only: nothing here asserts a time. wrk shares the machine's two cores.

granian (Rust HTTP with an ASGI interface) is no dependency of this project: install it apart
(``pip install --target DIR granian``) and put DIR on ``PYTHONPATH``; configurations whose server
is missing are skipped with a note. Figures: ``docs/development.md``, "Benchmarks".
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench import floor_app
from bench.peer import run
from bench.workloads import WORKLOADS
from lnob_api.auth.keys import KeyStore, new_key
from lnob_api.config import Settings
from lnob_api.db import embedded

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = [(b"content-type", b"application/json")]


class _Canned:
    """A connection (and its pool) answering each captured statement with the text PostgreSQL
    gave for it once (``FLOOR_ANSWERS``): the floor with no database, the server's ceiling."""

    def __init__(self, path: Path) -> None:
        self.answers = {
            (sql, json.dumps(args)): text for sql, args, text in json.loads(path.read_text())
        }

    async def fetchrow(self, sql: str, *args: Any) -> tuple[str]:
        return (self.answers[(sql, json.dumps(list(args)))],)

    def is_closed(self) -> bool:
        return False

    async def acquire(self) -> _Canned:
        return self

    def release(self, conn: Any, *, broken: bool = False) -> None:
        pass

    async def close(self) -> None:
        pass


def _pool() -> Any:
    dsn = embedded.psql_url(os.environ["FLOOR_DATABASE_URL"])
    idle = float(os.environ.get("FLOOR_IDLE_SECONDS") or 0) or None
    return floor_app.Pool(dsn, idle=idle)


def create_canned_app() -> Any:
    """``bench.floor_app``'s Starlette floor over ``_Canned``: no PostgreSQL."""
    entries = floor_app.load(Path(os.environ["FLOOR_STATEMENTS"]))
    return floor_app.build_app(entries, _Canned(Path(os.environ["FLOOR_ANSWERS"])))


def create_canned_raw_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """``create_raw_app`` over ``_Canned``: neither Starlette nor PostgreSQL."""
    return create_raw_app(_Canned(Path(os.environ["FLOOR_ANSWERS"])))


async def save_answers(url: str, statements: Path, path: Path) -> None:
    """Each captured statement's text as PostgreSQL returns it, for ``_Canned``."""
    conn = await asyncpg.connect(embedded.psql_url(url), server_settings=floor_app.SERVER_SETTINGS)
    try:
        answers = []
        for e in floor_app.load(statements):
            answers.append([e.sql, e.args, (await conn.fetchrow(e.sql, *e.args))[0]])
    finally:
        await conn.close()
    await asyncio.to_thread(path.write_text, json.dumps(answers))


def create_raw_app(pool: Any = None) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The floor as a plain ASGI callable: the floor's pool, lookup and answer, no framework."""
    pool = _pool() if pool is None else pool
    exact: dict[tuple[str, bytes], tuple[str, list[Any]]] = {}
    parsed: dict[tuple[str, str], tuple[str, list[Any]]] = {}
    for e in floor_app.load(Path(os.environ["FLOOR_STATEMENTS"])):
        exact[(e.authorization, e.body.encode())] = (e.sql, e.args)
        sent = json.loads(e.body)
        parsed[(e.authorization, floor_app._canonical(sent["query"], sent.get("variables")))] = (
            e.sql,
            e.args,
        )

    async def answer(send: Send, status: int, body: bytes) -> None:
        headers = [*_JSON, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        auth = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value.decode("latin-1")
        found = exact.get((auth, body))
        query = None
        if found is None:  # not the bytes the load sends (the rows check's client)
            try:
                sent = json.loads(body)
                query = sent["query"]
                found = parsed.get((auth, floor_app._canonical(query, sent.get("variables"))))
            except (ValueError, KeyError, TypeError):
                pass
        if found is None:
            if query == floor_app.PROBE:
                await answer(send, 200, floor_app._PROBE_ANSWER)
            else:
                await answer(send, 400, b'{"errors":[{"message":"unknown request"}]}')
            return
        sql, args = found
        conn = await pool.acquire()
        try:
            row = await conn.fetchrow(sql, *args)
        except BaseException:
            pool.release(conn, broken=True)
            raise
        pool.release(conn)
        await answer(send, 200, b'{"data":' + row[0].encode() + b"}")

    return app


# -- configurations -------------------------------------------------------------------------

# as ``lnob-api serve`` starts its workers: each on a listening socket of its own
_UVICORN = [sys.executable, "-m", "bench.uvicorn_sockets", "--factory", "--host", "127.0.0.1"]
_UVICORN += ["--log-level", "warning", "--no-access-log", "--proxy-headers"]
_GRANIAN = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory"]
_GRANIAN += ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]
_FLOOR = "bench.floor_app:create_app"
_RAW = "bench.servers:create_raw_app"
_CANNED = "bench.servers:create_canned_app"
_CANNED_RAW = "bench.servers:create_canned_raw_app"


@dataclass(frozen=True)
class Config:
    name: str
    server: str  # "uvicorn" or "granian" (the module that must be importable)
    argv: tuple[str, ...]  # after the server's common arguments; "{port}" and "{workers}"
    shared_socket: bool = False  # uvicorn's own workers, all on one listening socket


CONFIGS = [
    # as ``lnob-api serve`` runs it: uvloop and httptools (uvicorn's "auto"), no access log
    Config("uvicorn", "uvicorn", (_FLOOR,)),
    # uvicorn's own --workers: one socket shared, an idle worker accepting a burst (workers.py)
    Config("uvicorn shared socket", "uvicorn", (_FLOOR,), shared_socket=True),
    Config("uvicorn h11", "uvicorn", ("--http", "h11", _FLOOR)),
    Config("uvicorn asyncio loop", "uvicorn", ("--loop", "asyncio", _FLOOR)),
    Config(
        "uvicorn backlog 4096 keep-alive 30",
        "uvicorn",
        ("--backlog", "4096", "--timeout-keep-alive", "30", _FLOOR),
    ),
    Config("uvicorn raw ASGI", "uvicorn", (_RAW,)),
    Config("granian", "granian", ("--loop", "uvloop", _FLOOR)),
    Config("granian rt2", "granian", ("--loop", "uvloop", "--runtime-threads", "2", _FLOOR)),
    Config("granian st", "granian", ("--loop", "uvloop", "--runtime-mode", "st", _FLOOR)),
    Config("granian bp32", "granian", ("--loop", "uvloop", "--backpressure", "32", _FLOOR)),
    Config("granian raw ASGI", "granian", ("--loop", "uvloop", _RAW)),
    # no PostgreSQL: each statement's answer from memory (the server's and framework's ceiling)
    Config("uvicorn no-db", "uvicorn", (_CANNED,)),
    Config("uvicorn raw no-db", "uvicorn", (_CANNED_RAW,)),
    Config("granian no-db", "granian", ("--loop", "uvloop", _CANNED)),
    Config("granian raw no-db", "granian", ("--loop", "uvloop", _CANNED_RAW)),
]


def _command(config: Config, port: int, workers: int) -> list[str]:
    common = _UVICORN if config.server == "uvicorn" else _GRANIAN
    if config.shared_socket:
        common = [sys.executable, "-m", "uvicorn", *_UVICORN[3:]]
    return [*common, "--port", str(port), "--workers", str(workers), *config.argv]


def _start(config: Config, env: dict[str, str], workers: int, folder: Path) -> run.Server:
    port = run._port()
    name = f"{config.name}, {workers}w"
    log = folder / f"{name.replace(' ', '_').replace(',', '')}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _command(config, port, workers), env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return run.Server(name, "postgres", proc, port, log, kind="floor")


def _start_api(env: dict[str, str], workers: int, folder: Path) -> run.Server:
    port = run._port()
    cmd = [str(Path(sys.executable).with_name("lnob-api")), "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-migrate", "--no-seed"]
    name = f"API uvicorn, {workers}w"
    log = folder / f"api-{workers}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return run.Server(name, "postgres", proc, port, log, kind="api")


# -- run --------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    p.add_argument("--workloads", default="W3,W1")
    p.add_argument("--principals", default="anonymous")
    p.add_argument("--workers", default="1,2")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--only", default="", help="configuration names, comma-separated")
    p.add_argument(
        "--statements", type=Path, help="a capture to reuse (floor_app.save's JSON) instead"
    )
    p.add_argument("--api", action="store_true", help="also lnob-api serve itself")
    p.add_argument(
        "--idle",
        type=float,
        default=1.0,
        help="the floors close connections unused this long (PostgreSQL's 100 are shared)",
    )
    p.add_argument(
        "--pause", type=float, default=2.5, help="seconds after each round (idle ones close)"
    )
    return p


def _report(
    rounds: dict[tuple[str, str], list[run.Round]],
    keys: list[str],
    servers: list[run.Server],
) -> str:
    lines = [
        "| workload | server | req/s | / uvicorn | p50 / p99 ms | server CPU ms/req |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for key in keys:
        base: dict[str, float] = {}
        for s in servers:
            rs = rounds[(key, s.name)]
            rps = statistics.median(r.rps for r in rs)
            workers = s.name.rsplit(", ", 1)[1]
            if s.name.startswith("uvicorn, ") or s.name.startswith("API uvicorn, "):
                base.setdefault(f"{s.kind} {workers}", rps)
            ref = base.get(f"{s.kind} {workers}")
            ratio = f"{rps / ref:.2f}" if ref else "-"
            cpu = statistics.median(r.server_cpu for r in rs) * 1000
            p50 = statistics.median(r.p50 for r in rs) * 1000
            p99 = statistics.median(r.p99 for r in rs) * 1000
            failed = sum(r.errors + r.socket_errors for r in rs)
            lines.append(
                f"| {key} | {s.name} | {rps:,.0f}{f' ({failed} failed)' if failed else ''}"
                f" | {ratio} | {p50:.1f} / {p99:.0f} | {cpu:.3f} |"
            )
    return "\n".join(lines)


async def main() -> None:
    args = parser().parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url or set BENCH_DATABASE_URL")
    url = Settings.from_env({"DATABASE_URL": args.database_url}).database_url or args.database_url
    chosen = [w for w in WORKLOADS if w.name in args.workloads.split(",")]
    principals = [p for p in run.PRINCIPALS if p in args.principals.split(",")]
    counts = [int(n) for n in args.workers.split(",")]
    only = set(filter(None, args.only.split(",")))
    configs = [c for c in CONFIGS if not only or c.name in only]

    def missing(c: Config) -> bool:
        return importlib.util.find_spec(c.server) is None

    for c in configs:
        if missing(c):
            print(f"skipped {c.name}: {c.server} is not installed")
    configs = [c for c in configs if not missing(c)]
    keys = KeyStore([new_key()])
    keys_json = json.dumps(keys.to_json())
    folder = Path(tempfile.mkdtemp(prefix="lnob-servers-"))
    conn = await asyncpg.connect(embedded.psql_url(url))
    servers: list[run.Server] = []
    try:
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        if "agency" in principals:
            token, _ = await run._agency(url, keys)
            headers["agency"] = {"Authorization": f"Bearer {token}"}
        headers = {p: headers[p] for p in principals}
        variants = {w.name: await w.variants(conn) for w in chosen}
        environ = run._api_env(url, folder, keys=keys_json, cache=False, compiled=True)
        if args.statements:
            statements = args.statements.resolve()
        else:
            statements = await run._floor_statements(
                url, folder, environ, keys, chosen, variants, headers
            )
        answers = folder / "floor-answers.json"
        await save_answers(url, statements, answers)
        env = dict(os.environ) | {
            "FLOOR_ANSWERS": str(answers),
            "FLOOR_STATEMENTS": str(statements),
            "FLOOR_DATABASE_URL": url,
            "FLOOR_IDLE_SECONDS": str(args.idle),
        }
        servers = [_start(c, env, n, folder) for c in configs for n in counts]
        apis = [_start_api(environ, n, folder) for n in counts] if args.api else []
        servers += apis
        for s in servers:
            await asyncio.to_thread(run._wait_ready, s, {"query": floor_app.PROBE})
        monitor = run.Monitor(conn, statements=False)
        # every server gives the rows of the first (the API's, with --api)
        reference = apis[0] if apis else servers[0]
        for p in principals:
            for s in servers:
                if s is not reference:
                    await run.check_floor_rows(
                        reference, s, chosen, variants, monitor, headers[p], p
                    )
        rounds: dict[tuple[str, str], list[run.Round]] = defaultdict(list)
        print(
            f"load: wrk -t2 -c{args.concurrency}, {args.rounds} rounds of {args.seconds:g} s,"
            f" interleaved; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        for number in range(args.rounds):
            for w in chosen:
                for p in principals:
                    bodies = [floor_app.request_body(w.api, v[0]) for v in variants[w.name]]
                    for s in servers:
                        await run.load_round(
                            s, bodies, 1, args.concurrency, monitor, folder, headers[p]
                        )
                        r = await run.load_round(
                            s, bodies, args.seconds, args.concurrency, monitor, folder, headers[p]
                        )
                        rounds[(f"{w.name} {p}", s.name)].append(r)
                        await asyncio.sleep(args.pause)
                        print(
                            f"round {number + 1} {w.name} {p} {s.name:40s} {r.rps:9.1f} req/s"
                            f" cpu {r.server_cpu * 1000:.3f} ms",
                            flush=True,
                        )
        print(f"\nload average at the end {os.getloadavg()[0]:.2f}\n")
        names = [f"{w.name} {p}" for w in chosen for p in principals]
        print(_report(rounds, names, servers))
    finally:
        await conn.close()
        for s in servers:
            if s.proc.poll() is None:
                s.proc.send_signal(2)
        for s in servers:
            try:
                s.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                s.proc.kill()


def _main(argv: Sequence[str] | None = None) -> None:
    del argv
    asyncio.run(main())


if __name__ == "__main__":
    _main()
