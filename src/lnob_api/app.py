"""The ASGI application: ``create_app(settings) -> Starlette``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from lnob_api.auth.deferred import RememberedChecks
from lnob_api.auth.keys import KeyStore, LiveKeys
from lnob_api.auth.middleware import BearerAuthMiddleware
from lnob_api.auth.oidc import OidcVerifier
from lnob_api.cache.leases import AcknowledgeWhenHeard, Waiter
from lnob_api.cache.listener import listen
from lnob_api.cache.store import ResponseCache
from lnob_api.config import Settings
from lnob_api.db import create_engine, replica, resolve_database_url
from lnob_api.db.engine import Timeouts
from lnob_api.db.migrate import current_heads
from lnob_api.db.request import Database
from lnob_api.graphiql.assets import Assets
from lnob_api.graphiql.service import ensure_graphiql_client
from lnob_api.graphql.app import GraphQLApp
from lnob_api.graphql.fastlane import FastLane
from lnob_api.http import compression
from lnob_api.http.catalog import catalog_routes
from lnob_api.http.compression import CompressionMiddleware
from lnob_api.http.datapackage import datapackage_routes
from lnob_api.http.discovery import discovery_routes
from lnob_api.http.exports import exports_routes
from lnob_api.http.gaps import gaps_routes
from lnob_api.http.health import healthz, readyz
from lnob_api.http.hygiene import InputHygieneMiddleware
from lnob_api.http.metrics import ObserveMiddleware, metrics_routes
from lnob_api.http.oauth import oauth_routes
from lnob_api.http.outage import OutageMiddleware
from lnob_api.http.ratelimit import RateLimitMiddleware
from lnob_api.http.request_id import RequestIdMiddleware
from lnob_api.http.sdmx import sdmx_routes
from lnob_api.idempotency.service import principal_key
from lnob_api.maintenance import service as maintenance
from lnob_api.observability import metrics, tracing
from lnob_api.ratelimit import Limiter
from lnob_api.workers import die_with_parent

# Python's own defaults, set explicitly (see the lifespan).
GC_THRESHOLDS = (700, 10, 10)
# Routes that only read: with a read replica, their GET requests are served from it.
READ_ROUTES = ("/exports/", "/sdmx/", "/catalog")


class _LazyDatabase:
    """Stands in until the lifespan has created the engine."""

    def __init__(self) -> None:
        self.target: Database | None = None

    def transaction(self):  # type: ignore[no-untyped-def]
        if self.target is None:
            raise RuntimeError("the application has not started")
        return self.target.transaction()

    def statement(self):  # type: ignore[no-untyped-def]
        if self.target is None:
            raise RuntimeError("the application has not started")
        statement = getattr(self.target, "statement", None)
        return statement() if statement is not None else self.target.transaction()

    def driver_statement(self):  # type: ignore[no-untyped-def]
        if self.target is None:
            raise RuntimeError("the application has not started")
        driver = getattr(self.target, "driver_statement", None) or getattr(
            self.target, "statement", None
        )
        return driver() if driver is not None else self.target.transaction()

    async def cancel_backend(self, pid: int) -> None:
        cancel = getattr(self.target, "cancel_backend", None)
        if cancel is not None:  # tests share one connection: nothing to cancel there
            await cancel(pid)

    async def for_reads(self, who: str | None) -> Database:
        assert self.target is not None
        return await replica.for_reads(self.target, who)

    async def wrote(self, who: str) -> None:
        await replica.note_write(self.target, who)  # type: ignore[arg-type]


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    keys: KeyStore | None = None,
    limiter: Limiter | None = None,
) -> Starlette:
    """Build the app. With ``database`` given (tests), no engine is created; ``keys`` default to
    the configured signing keys (created in the data folder on first start)."""
    settings = settings or Settings.from_env()
    tracing.configure(settings)  # with OTEL_EXPORTER_OTLP_ENDPOINT and the otel extra
    holder = _LazyDatabase()
    holder.target = database
    live_keys = LiveKeys(keys or KeyStore.load(settings))
    limiter = limiter or Limiter(
        settings.rate_limit,
        redis_url=settings.redis_url,
        prefix=f"{settings.redis_prefix}ratelimit:",
    )
    oidc = None
    if settings.oidc_issuer is not None:
        oidc = OidcVerifier(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience or settings.audience,
            user_claim=settings.oidc_user_claim,
            jwks_url=settings.oidc_jwks_url,
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        die_with_parent()  # a worker of `serve --workers N` stops when its supervisor dies
        engine = None
        close_replica = None
        if holder.target is None:
            engine = create_engine(
                resolve_database_url(settings),
                pool_size=settings.db_pool_size,
                timeouts=Timeouts.of(settings),
            )
            # With DATABASE_READ_URL, reads go to the replica (db/replica.py).
            holder.target, close_replica = replica.open_database(settings, engine)
        await ensure_graphiql_client(holder.target, settings)
        listener = None
        if cache is not None and engine is not None:
            listener = await listen(
                cache, engine, lease=settings.response_cache_lease, acks=waiter.acks
            )
        purging = maintenance.start(holder.target, settings.purge_interval)
        # Objects built at start-up live for the whole process: keep the collector off them.
        # The default thresholds stay: raised ones (50,000/50/100) left the cyclic garbage of
        # concurrent requests in the old generation, and RSS grew without levelling off
        # (issue 10; bench/soak.py).
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        metrics.worker_started()
        try:
            yield
        finally:
            await maintenance.stop(purging)
            if listener is not None:
                await listener.stop()
            metrics.worker_stopped(settings.metrics_dir)
            if close_replica is not None:
                await close_replica()
            if engine is not None:
                await engine.dispose()
            await limiter.close()

    # The response cache (lnob_api.cache) needs the engine's LISTEN connection; off with a read
    # replica (a lagging replica could refill it with what a write just replaced).
    cache = None
    if database is None and settings.response_cache_mb and settings.database_read_url is None:
        cache = ResponseCache(
            max_bytes=settings.response_cache_mb << 20,
            ttl=settings.response_cache_ttl,
            needs_listener=True,
        )
    # The bearer checks of tokens seen before, versioned by the cache (auth.deferred).
    remembered = RememberedChecks()
    graphql = GraphQLApp(settings, holder, cache, remembered)
    # A repeated compiled read answered around everything below (graphql.fastlane), with the
    # token checks the authentication below makes (its deferral, with the same remembered checks).
    lane_bearer = BearerAuthMiddleware(
        graphql,
        settings=settings,
        keys=live_keys,
        database=holder,
        oidc=oidc,
        remembered=remembered,
    )
    middleware = [
        Middleware(
            FastLane,
            graphql=graphql,
            bearer=lane_bearer,
            limiter=limiter,
            outage=lambda inner: OutageMiddleware(
                inner, request_timeout=settings.request_timeout, native=True
            ),
            coding=compression.negotiate,
            compress=compression.compressed,
            minimum_size=compression.MINIMUM_SIZE,
        )
    ]
    if settings.cors_origins:
        # Outermost but the fast lane, so that preflights and 401s carry the CORS headers too.
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "Accept-Language",
                    "X-Request-Id",
                    "Apollo-Require-Preflight",
                ],
                expose_headers=[
                    "WWW-Authenticate",
                    "X-Request-Id",
                    "ETag",
                    "Last-Modified",
                    "Retry-After",
                    "X-Row-Count",
                ],
                max_age=600,
            )
        )
    middleware.append(Middleware(RequestIdMiddleware))
    # Metrics, the access log and the request span, with the request id (http/metrics.py).
    middleware.append(Middleware(ObserveMiddleware))
    # A request that committed a write is answered once every worker heard it (cache.leases).
    waiter = Waiter(holder, lease=settings.response_cache_lease)
    middleware.append(Middleware(AcknowledgeWhenHeard, waiter=waiter))
    # gzip/brotli by Accept-Encoding on every route, streamed (http/compression.py).
    middleware.append(Middleware(CompressionMiddleware))
    # Unusable URLs (NUL, invalid UTF-8) are refused before authentication or any route.
    middleware.append(Middleware(InputHygieneMiddleware))
    # Inside the request id (its 503s carry one), outside everything that touches the database.
    middleware.append(Middleware(OutageMiddleware, request_timeout=settings.request_timeout))
    middleware.append(
        Middleware(
            BearerAuthMiddleware,
            settings=settings,
            keys=live_keys,
            database=holder,
            oidc=oidc,
            remembered=remembered,
        )
    )
    # Inside the authentication: a signed-in caller spends their own budget.
    middleware.append(Middleware(RateLimitMiddleware, limiter=limiter))
    # Inside the authentication too: the read routes' work may go to a read replica.
    middleware.append(Middleware(replica.ReadRoutes, prefixes=READ_ROUTES, who=principal_key))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST", "OPTIONS"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *oauth_routes(),
            *discovery_routes(),
            *exports_routes(),
            *datapackage_routes(),
            *gaps_routes(),
            *sdmx_routes(),
            *catalog_routes(),
            *metrics_routes(),
            *([Assets().route()] if settings.graphiql else []),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.database = holder
    app.state.graphql = graphql
    app.state.waiter = waiter
    app.state.keys = live_keys
    app.state.migration_heads = current_heads()
    app.state.settings = settings
    app.state.limiter = limiter
    return app
