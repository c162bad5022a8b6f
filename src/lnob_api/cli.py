"""The ``lnob-api`` command: serve, migrate, seed, export-schema, db."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from lnob_api.config import ConfigError, Settings


def _schema_file() -> Path:
    """``schema/schema.graphql`` of the checkout (found upward), else of the current folder."""
    from lnob_api.config import _is_checkout

    here = Path.cwd().resolve()
    for folder in (here, *here.parents, Path(__file__).resolve().parents[2]):
        if _is_checkout(folder):
            return folder / "schema" / "schema.graphql"
    return here / "schema" / "schema.graphql"


class NoDatabase(Exception):
    """A command that works on an existing database found none (exit status 2)."""


def database_url(settings: Settings, *, keep_running: bool = False, create: bool = True) -> str:
    """The configured database, or the embedded one (started now; stopped at exit unless
    ``keep_running``). ``create=False``: no new cluster, ``NoDatabase`` instead."""
    if settings.database_url is not None:
        return settings.database_url
    from lnob_api.db import embedded

    stray = Path.cwd() / ".lnob"
    if (stray / "pg").is_dir() and stray.resolve() != settings.data_dir.resolve():
        print(
            f"lnob-api: note: ignoring {stray} (a data folder of an older version?); the data "
            f"folder is {settings.data_dir} (found from {settings.data_dir_origin})",
            file=sys.stderr,
        )
    try:
        url = embedded.start(settings.data_dir, create=create, user=settings.embedded_user)
    except embedded.NoCluster:
        raise NoDatabase(
            f"no embedded database in {settings.data_dir} (found from "
            f"{settings.data_dir_origin}): nothing to work on; set up the database with "
            "`lnob-api serve` (or `lnob-api migrate`) first, or point LNOB_DATA_DIR or "
            "DATABASE_URL at the existing one"
        ) from None
    if keep_running:
        embedded.detach(settings.data_dir)
    return url


def _migrate(url: str, revision: str = "head", *, down: bool = False) -> None:
    from lnob_api.db import migrate

    if not down:  # downgrading (with the newer code) is how one gets out of that state
        migrate.check_not_ahead(url)
    if down:
        migrate.downgrade(url, revision)
    else:
        migrate.upgrade(url, revision)


async def _seed(url: str, *, demo: bool, only_if_empty: bool, lease: float) -> str:
    import sqlalchemy as sa

    from lnob_api import models
    from lnob_api.cache.leases import acknowledged
    from lnob_api.db import create_engine
    from lnob_api.seed import seed

    engine = create_engine(url, pool_size=1)
    try:
        # Done once every serving worker (of this or another replica) has heard it.
        async with acknowledged(engine, lease=lease), engine.begin() as conn:
            if only_if_empty:
                goals = await conn.scalar(sa.select(sa.func.count()).select_from(models.SdgGoal))
                if goals:
                    return "database already seeded; skipping"
            report = await seed(conn, demo=demo)
        return str(report)
    finally:
        await engine.dispose()


def default_workers(settings: Settings) -> int:
    """One worker per core the process may use in production (one process serves one core at a
    time); one elsewhere, so that development and tests keep a single, debuggable process."""
    if settings.env != "production":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from lnob_api import workers as workers_module
    from lnob_api.db import migrate
    from lnob_api.observability import logs, metrics

    # Every line in the configured format (LNOB_LOG_FORMAT), from here and from the workers.
    logs.configure(settings)

    def say(message: object) -> None:
        logs.announce(settings, message)

    url = database_url(settings)
    if args.no_migrate:
        migrate.check_not_ahead(url)
    else:
        _migrate(url)
    if not args.no_seed:
        demo = settings.env != "production"
        say(
            asyncio.run(
                _seed(url, demo=demo, only_if_empty=True, lease=settings.response_cache_lease)
            )
        )
    # Workers (separate processes) build their settings from the environment: hand them the
    # database this process resolved, so they all share one embedded server.
    os.environ["DATABASE_URL"] = url
    workers = default_workers(settings) if args.workers is None else args.workers
    workers = workers if not args.reload else 1
    # Several workers keep their metrics in one folder, so that any of them answers for all.
    shared = metrics.multiprocess_dir(settings.metrics_dir, workers)
    if shared is not None:
        os.environ[metrics.MULTIPROC_ENV] = shared
    host = args.host or settings.host
    port = args.port or settings.port
    # The workers' default issuer (and GraphiQL's redirect URI) follow the port served.
    os.environ["LNOB_PORT"] = str(port)
    say(f"LNOB Data Commons API on http://{host}:{port}/graphql")
    # With several workers, each on a listening socket of its own (workers.py).
    try:
        workers_module.run(
            "lnob_api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers if not args.reload else None,
            reload=args.reload,
            log_level=settings.log_level,
            # The service writes its own access lines, with the request id (observability.logs).
            log_config=logs.log_config(settings),
            access_log=False,
            proxy_headers=True,
            # A slow download must not hold a shutdown (and new connections) forever: after this,
            # open responses are cut, and a cut stream never looks complete (README, "Exports").
            timeout_graceful_shutdown=settings.shutdown_timeout,
            timeout_worker_healthcheck=workers_module.HEALTH_CHECK_TIMEOUT,
        )
    except workers_module.CannotListen as exc:
        print(
            f"lnob-api: {exc}: stop what listens there, or choose another --port", file=sys.stderr
        )
        return 1
    finally:
        if shared is not None and settings.metrics_dir is None:  # this run's temporary folder
            import shutil

            shutil.rmtree(shared, ignore_errors=True)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    down = args.action == "downgrade"
    revision = args.revision or ("-1" if down else "head")
    _migrate(url, revision, down=down)
    print(f"{'downgraded' if down else 'upgraded'} to {revision}", file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    _migrate(url)
    lease = settings.response_cache_lease
    print(asyncio.run(_seed(url, demo=not args.no_demo, only_if_empty=False, lease=lease)))
    return 0


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from lnob_api.graphql.schema import schema

    sdl = schema.as_str().rstrip() + "\n"
    target = Path(args.output) if args.output else _schema_file()
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != sdl:
            print(f"{target} is stale: run `lnob-api export-schema`", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(sdl, encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from lnob_api.db import embedded

    if args.stop:
        if settings.database_url is not None:
            print("DATABASE_URL is set: there is no embedded server to stop", file=sys.stderr)
            return 1
        try:
            pid, users = embedded.stop_server(settings.data_dir)
        except embedded.EmbeddedError as exc:
            print(f"lnob-api: {exc}", file=sys.stderr)
            return 1
        using = f"; it was in use by pid {', '.join(map(str, users))}" if users else ""
        print(f"embedded PostgreSQL of {settings.data_dir} stopped (pid {pid}){using}")
        return 0
    url = database_url(settings, keep_running=True)
    print(embedded.psql_url(url))
    if settings.database_url is None:
        print("(embedded server left running; `lnob-api db --stop` stops it)", file=sys.stderr)
    return 0


def build_parser(*, admin: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The ``lnob-api`` parser; ``admin=False`` leaves out the admin and upload commands.

    ``only``: the command about to run (``main``). The admin and upload modules import most of
    the service (a second of start-up), so only that command's module is imported; the others
    are listed with their help line (``cli_admin.COMMANDS``). ``None``: every command in full.
    """
    parser = argparse.ArgumentParser(prog="lnob-api", description="LNOB Data Commons API")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, seed an empty database, and serve the API")
    serve.add_argument("--host", default=None, help="interface to listen on (LNOB_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (LNOB_PORT, 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: one per CPU core with LNOB_ENV=production, else 1)",
    )
    serve.add_argument(
        "--reload", action="store_true", help="restart on code changes (development)"
    )
    serve.add_argument("--no-migrate", action="store_true", help="do not run migrations first")
    serve.add_argument("--no-seed", action="store_true", help="do not seed an empty database")
    serve.set_defaults(handler=cmd_serve)

    mig = sub.add_parser("migrate", help="upgrade the schema to head (or downgrade)")
    mig.add_argument("action", nargs="?", choices=["upgrade", "downgrade"], default="upgrade")
    mig.add_argument(
        "--revision", default=None, help="target revision (upgrade: head; downgrade: -1)"
    )
    mig.set_defaults(handler=cmd_migrate)

    seed = sub.add_parser("seed", help="load reference data (and the demo set) idempotently")
    seed.add_argument("--no-demo", action="store_true", help="reference data only (production)")
    seed.set_defaults(handler=cmd_seed)

    export = sub.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument(
        "--output", "-o", default=None, help="target file (the checkout's schema/schema.graphql)"
    )
    export.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    export.set_defaults(handler=cmd_export_schema)

    db = sub.add_parser("db", help="print the database URL (starts the embedded server if needed)")
    db.add_argument("--stop", action="store_true", help="stop the embedded server")
    db.set_defaults(handler=cmd_db)

    if admin:
        from lnob_api import cli_admin

        cli_admin.register(sub, only=only)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(only=words[0] if words else "").parse_args(words)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"lnob-api: configuration error: {exc}", file=sys.stderr)
        return 2
    from lnob_api.db.embedded import EmbeddedError

    try:
        return int(args.handler(args, settings))
    except KeyboardInterrupt:
        return 130
    except (EmbeddedError, NoDatabase) as exc:
        print(f"lnob-api: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        problem = startup_problem(exc, settings)
        if problem is None:
            raise
        print(f"lnob-api: {problem}", file=sys.stderr)
        return 1


def startup_problem(error: Exception, settings: Settings) -> str | None:
    """What an operator needs to hear about a database the command cannot use, in one line
    (``None`` for any other error)."""
    from sqlalchemy.engine import make_url

    from lnob_api.db import availability, migrate

    if isinstance(error, migrate.DatabaseAhead):
        return str(error)
    if availability.failure_of(error) is None:
        return None
    where = "the embedded database"
    if settings.database_url is not None:
        url = make_url(settings.database_url)
        where = f"the database {url.database or ''} at {url.host or 'localhost'}:{url.port or 5432}"
    state = _sqlstate(error)
    if state in ("28P01", "28000"):
        user = make_url(settings.database_url or "postgresql://x").username
        return f"{where} refused user {user!r} (wrong password?): fix DATABASE_URL"
    if state == "3D000":
        name = make_url(settings.database_url or "postgresql://x").database
        return f"{where} does not exist: create it (createdb {name}) or fix DATABASE_URL"
    if state == "57P03":
        return f"{where} is starting up or shutting down: try again in a moment"
    if isinstance(error, TimeoutError) or "Timeout" in type(error).__name__:
        return f"{where} did not answer in time: check that it is up and reachable"
    return (
        f"cannot reach {where} ({availability.one_line(error)}): start PostgreSQL or fix "
        "DATABASE_URL"
    )


def _sqlstate(error: BaseException | None) -> str | None:
    for _ in range(5):
        if error is None:
            return None
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
        error = getattr(error, "orig", None) or error.__cause__
    return None


if __name__ == "__main__":
    sys.exit(main())
