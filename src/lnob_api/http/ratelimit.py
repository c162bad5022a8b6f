"""Per-client rate limits over HTTP: 429 with Retry-After, and the IETF RateLimit fields.

GraphQL operations spend their query cost (the cost extension takes it once the document is
costed, before any resolver runs); every request to ``/exports`` and ``/sdmx`` spends a fixed
``EXPORT_COST``. The middleware runs inside the bearer authentication, so a signed-in
principal spends their own budget, and anonymous callers their address's.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lnob_api.auth.principal import ANONYMOUS
from lnob_api.ratelimit import Decision, Limiter, RequestBudget, bucket_key

# A bulk file is one streamed statement: about a large GraphQL page's worth of work.
EXPORT_COST = 100
METERED = ("/graphql", "/exports", "/sdmx")
FLAT = ("/exports", "/sdmx")


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: Limiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not self.limiter.enabled or not path.startswith(METERED):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        client = scope.get("client")
        key = bucket_key(state.get("principal", ANONYMOUS), client[0] if client else None)
        budget = RequestBudget(self.limiter, key)
        state["ratelimit"] = budget
        if path.startswith(FLAT) and scope.get("method") != "OPTIONS":
            decision = await budget.take(EXPORT_COST)
            if not decision.allowed:
                await _too_many_requests(send, decision)
                return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start" and budget.decision is not None:
                message = dict(message)
                message["headers"] = [*message.get("headers", ()), *_encoded(budget.decision)]
                if not budget.decision.allowed:
                    message["status"] = 429
            await send(message)

        await self.app(scope, receive, send_with_limits)


def _encoded(decision: Decision) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in decision.headers()]


async def _too_many_requests(send: Send, decision: Decision) -> None:
    body = json.dumps(
        {
            "error": "rate_limited",
            "error_description": (
                f"this request costs {decision.cost} of a budget of {decision.capacity} per "
                f"minute and {int(decision.remaining)} remain; retry in {decision.retry_after} s"
            ),
            "retryAfter": decision.retry_after,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
                *_encoded(decision),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
