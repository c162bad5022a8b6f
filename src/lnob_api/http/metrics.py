"""Request observation (metrics, access log, request span) and the ``/metrics`` route.

``ObserveMiddleware`` sits just inside the request id: it opens the request's record
(``observability.request``), its server span, counts it in flight, and when the response has
ended records its route template, status and duration and writes the access line.

Who may read ``/metrics``: with ``LNOB_METRICS_TOKEN`` set, whoever sends it as a bearer token
(from anywhere); without it, only clients on the loopback interface (a Prometheus or a proxy on
the same host). Anyone else gets 401 (token set) or 403 (no token set), never the metrics.
"""

from __future__ import annotations

import hmac
import ipaddress
from contextlib import nullcontext

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from lnob_api.config import Settings
from lnob_api.http.middleware import HttpMiddleware
from lnob_api.http.request_id import new_request_id
from lnob_api.observability import logs, metrics, tracing
from lnob_api.observability.request import RequestInfo, begin

METRICS_PATH = "/metrics"
# Without tracing, no span: a reusable no-op instead of the span's generator per request.
_NO_SPAN = nullcontext()


class ObserveMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        method = scope["method"]
        info = RequestInfo(
            request_id=str(state.get("request_id") or new_request_id()),
            method=method,
            path=scope.get("path", ""),
            state=state,
        )
        begin(info)
        status = 500  # unless a response starts: the error middleware outside answers 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                info.status = status
            await send(message)

        metrics.IN_FLIGHT.inc()
        with (
            tracing.request_span(method, info.path, scope.get("headers", []))
            if tracing.enabled()
            else _NO_SPAN
        ) as span:
            try:
                await self.app(scope, receive, send_observed)
            finally:
                metrics.IN_FLIGHT.dec()
                route = _route(scope)
                info.route = route
                info.status = status
                seconds = info.elapsed()
                metrics.observe_request(method, route, status, seconds)
                tracing.finish_request(
                    span,
                    method=method,
                    route=route,
                    status=status,
                    request_id=info.request_id,
                    operation=info.operation,
                )
                logs.access(info, status, seconds)


def _route(scope: Scope) -> str:
    """The matched route's path template (bounded: the application's own routes)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else metrics.UNMATCHED


def metrics_routes() -> list[BaseRoute]:
    return [Route(METRICS_PATH, metrics_endpoint, methods=["GET"])]


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: Prometheus' text format (see the module docstring for access)."""
    settings: Settings = request.app.state.settings
    refusal = _refusal(request, settings)
    if refusal is not None:
        return refusal
    body, content_type = metrics.exposition(settings.metrics_dir)
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


def _refusal(request: Request, settings: Settings) -> Response | None:
    if settings.metrics_token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = settings.metrics_token.encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            return None
        return JSONResponse(
            {
                "error": "invalid_token",
                "error_description": "send LNOB_METRICS_TOKEN as a bearer token",
            },
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    host = request.client.host if request.client else ""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return JSONResponse(
        {
            "error": "forbidden",
            "error_description": "metrics are served on the loopback interface only; set "
            "LNOB_METRICS_TOKEN to scrape them from elsewhere",
        },
        status_code=403,
    )
