"""The one Settings object. Nothing else in the service reads ``os.environ``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Environment = Literal["development", "test", "production"]


class ConfigError(ValueError):
    """A configuration variable has a value the service cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime configuration, read from environment variables (see README, Configuration)."""

    database_url: str | None = None
    # A streaming read replica of database_url: read-only operations go there (db/replica.py).
    database_read_url: str | None = None
    # A principal's reads stay on the primary for this many seconds after its last write.
    read_your_writes: float = 10.0
    data_dir: Path = Path(".lnob")
    # How data_dir was found (LNOB_DATA_DIR, the checkout, the user's data folder): for messages.
    data_dir_origin: str = "default"
    # As root: the unprivileged account the embedded PostgreSQL runs as (embedded_root).
    embedded_user: str | None = None
    env: Environment = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    db_pool_size: int = 10
    max_page_size: int = 100
    graphiql: bool = True
    cors_origins: tuple[str, ...] = ()
    log_level: str = "info"
    # The authorization server (tokens this service issues).
    issuer: str = "http://127.0.0.1:8000"
    audience: str = "lnob-api"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    signing_keys_json: str | None = None
    # An external OpenID Connect issuer whose tokens are accepted too (resource-server mode).
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_user_claim: str = "email"
    oidc_jwks_url: str | None = None
    # Query cost and rate limits (README, "Query cost and rate limits").
    query_cost_limit: int = 10_000
    rate_limit: int = 60_000
    redis_url: str | None = None
    # Prefix of every Redis key (several deployments can share one Redis).
    redis_prefix: str = "lnob:"
    # Time bounds, in seconds (README, "Time bounds"); 0 means no bound where allowed.
    statement_timeout: float = 15.0
    export_statement_timeout: float = 600.0
    db_command_timeout: float = 900.0
    db_connect_timeout: float = 5.0
    db_pool_timeout: float = 5.0
    request_timeout: float = 30.0
    shutdown_timeout: int = 10
    # Observability (docs/operator.md): the log format, the token that opens /metrics
    # beyond the loopback interface, the operation names used as metric labels, the workers'
    # shared metrics folder (PROMETHEUS_MULTIPROC_DIR) and the OTLP endpoint of traces.
    log_format: str = "text"
    metrics_token: str | None = None
    metrics_operations: tuple[str, ...] = ()
    metrics_dir: str | None = None
    otel_endpoint: str | None = None
    # Purge of expired OAuth state and old idempotency keys in the server; 0 turns it off.
    purge_interval: float = 0.0
    # The response cache of repeated reads (docs/configuration.md): MiB per worker (0 turns
    # it off), seconds an entry lives at most, and the max-age shared caches (CDNs) may keep
    # an anonymous GET response (0: they revalidate with the ETag every time).
    response_cache_mb: int = 64
    response_cache_ttl: float = 60.0
    # Seconds of a worker's lease on trusting its cache (lnob_api.cache.leases): a write is
    # acknowledged once every worker heard it, or after this long for a worker that did not.
    response_cache_lease: float = 5.0
    public_max_age: int = 0
    # The compiled read path (docs/compiled.md): one SQL statement builds a query's JSON. On
    # when served (LNOB_COMPILED); off in Settings built by code, so that tests of resolvers
    # keep testing them (tests/compiled turns it on and compares both paths).
    compiled: bool = False
    # A repeated compiled read answered by the outermost layer (graphql.fastlane; LNOB_FAST_LANE).
    fast_lane: bool = True

    @property
    def keys_file(self) -> Path:
        """Where the signing keys live when not given by LNOB_SIGNING_KEYS."""
        return self.data_dir / "keys" / "jwks.json"

    @property
    def embedded(self) -> bool:
        """True when the service runs its own PostgreSQL in ``data_dir``."""
        return self.database_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ
        app_env = env.get("LNOB_ENV", "development")
        if app_env not in ("development", "test", "production"):
            raise ConfigError(
                "LNOB_ENV", f"expected development, test or production, got {app_env!r}"
            )
        data_dir, data_dir_origin = find_data_dir(env)
        return cls(
            database_url=_database_url(env.get("DATABASE_URL")),
            database_read_url=_database_url(
                env.get("DATABASE_READ_URL"), variable="DATABASE_READ_URL"
            ),
            read_your_writes=_seconds(env, "LNOB_READ_YOUR_WRITES", 10),
            data_dir=data_dir,
            data_dir_origin=data_dir_origin,
            embedded_user=(env.get("LNOB_EMBEDDED_USER") or "").strip() or None,
            env=app_env,  # type: ignore[arg-type]
            host=env.get("LNOB_HOST", "127.0.0.1"),
            port=_int(env, "LNOB_PORT", 8000, low=1, high=65535),
            db_pool_size=_int(env, "LNOB_DB_POOL_SIZE", 10, low=1, high=500),
            max_page_size=_int(env, "LNOB_MAX_PAGE_SIZE", 100, low=1, high=1000),
            graphiql=_bool(env, "LNOB_GRAPHIQL", app_env != "production"),
            compiled=_bool(env, "LNOB_COMPILED", True),
            fast_lane=_bool(env, "LNOB_FAST_LANE", True),
            cors_origins=tuple(o for o in env.get("LNOB_CORS_ORIGINS", "").split(",") if o.strip()),
            log_level=_choice(env, "LNOB_LOG_LEVEL", "info", LOG_LEVELS),
            issuer=_url(
                env, "LNOB_ISSUER", default=f"http://127.0.0.1:{env.get('LNOB_PORT') or 8000}"
            )
            or "",
            audience=env.get("LNOB_AUDIENCE", "lnob-api"),
            access_token_ttl=_int(env, "LNOB_ACCESS_TOKEN_TTL", 900, low=30, high=86_400),
            refresh_token_ttl=_int(
                env, "LNOB_REFRESH_TOKEN_TTL", 30 * 24 * 3600, low=60, high=365 * 24 * 3600
            ),
            signing_keys_json=env.get("LNOB_SIGNING_KEYS") or None,
            oidc_issuer=_url(env, "LNOB_OIDC_ISSUER", default=None),
            oidc_audience=env.get("LNOB_OIDC_AUDIENCE") or None,
            oidc_user_claim=env.get("LNOB_OIDC_USER_CLAIM", "email"),
            oidc_jwks_url=_url(env, "LNOB_OIDC_JWKS_URL", default=None),
            query_cost_limit=_int(env, "LNOB_QUERY_COST_LIMIT", 10_000, low=1, high=10**9),
            rate_limit=_rate_limit(env),
            redis_url=_redis_url(env.get("REDIS_URL")),
            redis_prefix=env.get("LNOB_REDIS_PREFIX") or "lnob:",
            statement_timeout=_seconds(env, "LNOB_STATEMENT_TIMEOUT", 15, zero=False),
            export_statement_timeout=_seconds(env, "LNOB_EXPORT_STATEMENT_TIMEOUT", 600),
            db_command_timeout=_seconds(env, "LNOB_DB_COMMAND_TIMEOUT", 900),
            db_connect_timeout=_seconds(env, "LNOB_DB_CONNECT_TIMEOUT", 5, zero=False),
            db_pool_timeout=_seconds(env, "LNOB_DB_POOL_TIMEOUT", 5, zero=False),
            request_timeout=_seconds(env, "LNOB_REQUEST_TIMEOUT", 30, zero=False),
            shutdown_timeout=_int(env, "LNOB_SHUTDOWN_TIMEOUT", 10, low=1, high=3600),
            log_format=_choice(
                env, "LNOB_LOG_FORMAT", "json" if app_env == "production" else "text", LOG_FORMATS
            ),
            metrics_token=_metrics_token(env),
            metrics_operations=tuple(
                n.strip() for n in env.get("LNOB_METRICS_OPERATIONS", "").split(",") if n.strip()
            ),
            metrics_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            otel_endpoint=env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or None,
            purge_interval=_seconds(env, "LNOB_PURGE_INTERVAL", 0 if app_env == "test" else 3600),
            response_cache_mb=_int(env, "LNOB_RESPONSE_CACHE_MB", 64, low=0, high=65_536),
            response_cache_ttl=_seconds(env, "LNOB_RESPONSE_CACHE_TTL", 60, zero=False),
            response_cache_lease=_seconds(env, "LNOB_RESPONSE_CACHE_LEASE", 5, zero=False),
            public_max_age=_int(env, "LNOB_PUBLIC_MAX_AGE", 0, low=0, high=86_400),
        )


CHECKOUT_MARKER = 'name = "lnob-api"'


def find_data_dir(
    env: Mapping[str, str], *, cwd: Path | None = None, code: Path | None = None
) -> tuple[Path, str]:
    """Where the data (embedded cluster, signing keys) lives, and how that was decided.

    ``LNOB_DATA_DIR`` when set (relative to the current folder); else ``.lnob/`` of the checkout
    the current folder is in, found upward like git finds ``.git/`` (a checkout is a folder with
    a ``pyproject.toml`` naming lnob-api); else ``.lnob/`` of the checkout this code runs from (an
    editable install used from another folder); else the user's data folder (root:
    ``/var/lib/lnob-api``). Every command of one installation finds the same folder from anywhere.
    """
    here = (cwd or Path.cwd()).resolve()
    raw = (env.get("LNOB_DATA_DIR") or "").strip()
    if raw:
        return (here / Path(raw).expanduser()).resolve(), "LNOB_DATA_DIR"
    for folder in (here, *here.parents):
        if _is_checkout(folder):
            return folder / ".lnob", f"the checkout {folder}"
    source = (code or Path(__file__)).resolve().parents[2]
    if _is_checkout(source):
        return source / ".lnob", f"the checkout {source} this lnob-api runs from"
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root's home is usually closed (700)
        return Path("/var/lib/lnob-api"), "the system data folder (running as root)"
    import platformdirs

    return Path(platformdirs.user_data_dir("lnob-api", appauthor=False)), "the user's data folder"


def _is_checkout(folder: Path) -> bool:
    project = folder / "pyproject.toml"
    try:
        return project.is_file() and CHECKOUT_MARKER in project.read_text(encoding="utf-8")
    except OSError:
        return False


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
LOG_FORMATS = ("json", "text")


def _metrics_token(env: Mapping[str, str]) -> str | None:
    token = (env.get("LNOB_METRICS_TOKEN") or "").strip()
    if token and len(token) < 16:
        raise ConfigError("LNOB_METRICS_TOKEN", "use a random value of at least 16 characters")
    return token or None


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ConfigError(name, f"expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _url(env: Mapping[str, str], name: str, *, default: str | None) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.startswith(("http://", "https://")):
        raise ConfigError(name, f"expected an http(s):// URL, got {raw!r}")
    return raw.rstrip("/")


def _database_url(raw: str | None, *, variable: str = "DATABASE_URL") -> str | None:
    if raw is None or not raw.strip():
        return None
    url = raw.strip()
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ConfigError(variable, "expected a postgresql:// URL")


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"expected a value from {low} to {high}, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, *, zero: bool = True) -> float:
    """A duration in seconds (decimals allowed); 0 (no bound) only where ``zero``."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"expected a number of seconds, got {raw!r}") from None
    low = 0.0 if zero else 0.001
    if not low <= value <= 86_400:  # NaN fails too
        allowed = "0 (no bound) to 86400" if zero else "more than 0 and at most 86400"
        raise ConfigError(name, f"expected {allowed} seconds, got {raw}")
    return value


def _rate_limit(env: Mapping[str, str]) -> int:
    """Cost per minute per client; 0 turns limits off. A budget smaller than one request's
    limit would refuse some valid requests forever."""
    value = _int(env, "LNOB_RATE_LIMIT", 60_000, low=0, high=10**9)
    per_request = _int(env, "LNOB_QUERY_COST_LIMIT", 10_000, low=1, high=10**9)
    if 0 < value < per_request:
        raise ConfigError(
            "LNOB_RATE_LIMIT",
            f"expected 0 (no limit) or at least LNOB_QUERY_COST_LIMIT ({per_request}), got {value}",
        )
    return value


def _redis_url(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    url = raw.strip()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL", "expected a redis://, rediss:// or unix:// URL")
    return url


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}")
