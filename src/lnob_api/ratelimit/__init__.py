"""Per-client budgets of query cost per minute: token buckets, in the process or in Redis.

Each principal (a user, else an OAuth client, else an anonymous client address) has a bucket
holding at most one minute's budget, refilled continuously (budget / 60 per second). A request
takes its cost up front; a GraphQL operation is then settled at its actual cost (refunded what
it did not use, charged what it used beyond the estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lnob_api.auth.principal import Principal
from lnob_api.ratelimit.buckets import Limiter

__all__ = ["POLICY", "WINDOW", "Decision", "Limiter", "RequestBudget", "bucket_key"]

POLICY = "cost"
WINDOW = 60


@dataclass(slots=True)
class Decision:
    """What a bucket said: taken or not, what is left, and when to come back."""

    allowed: bool
    remaining: float
    capacity: int
    cost: int

    @property
    def rate(self) -> float:
        """Budget restored per second."""
        return self.capacity / WINDOW

    @property
    def retry_after(self) -> int:
        """Seconds until the cost fits (0 when it was taken)."""
        if self.allowed:
            return 0
        return max(1, math.ceil((self.cost - self.remaining) / self.rate))

    @property
    def reset(self) -> int:
        """Seconds until the bucket is full again (the refusal's wait when refused)."""
        if not self.allowed:
            return self.retry_after
        return max(0, math.ceil((self.capacity - self.remaining) / self.rate))

    def throttle_status(self) -> dict[str, Any]:
        """The ``throttleStatus`` of a response's ``extensions.cost`` (Shopify's names), the
        same on every path that answers a read."""
        return {
            "maximumAvailable": self.capacity,
            "currentlyAvailable": max(0, int(self.remaining)),
            "restoreRate": round(self.rate, 3),
        }

    def headers(self) -> list[tuple[str, str]]:
        """The IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers,
        Structured Fields), plus Retry-After on a refusal."""
        fields = [
            ("RateLimit-Policy", f'"{POLICY}";q={self.capacity};w={WINDOW}'),
            ("RateLimit", f'"{POLICY}";r={max(0, math.floor(self.remaining))};t={self.reset}'),
        ]
        if not self.allowed:
            fields.append(("Retry-After", str(self.retry_after)))
        return fields


class RequestBudget:
    """One request's view of its principal's bucket (put in the request state by the HTTP
    middleware, used by the GraphQL cost extension)."""

    def __init__(self, limiter: Limiter, key: str) -> None:
        self.limiter = limiter
        self.key = key
        self.decision: Decision | None = None

    async def take(self, cost: int) -> Decision:
        allowed, remaining = await self.limiter.take(self.key, cost)
        self.decision = Decision(allowed, remaining, self.limiter.capacity, cost)
        return self.decision

    async def settle(self, actual: int) -> None:
        """Once the operation has run: give back what it did not use, or charge what it used
        beyond its estimate (plain lists are estimated, and may hold more)."""
        if self.decision is None or not self.decision.allowed or actual == self.decision.cost:
            return
        extra = actual - self.decision.cost
        _, remaining = await self.limiter.take(self.key, extra, force=True)
        self.decision.remaining = remaining


def bucket_key(principal: Principal, client_address: str | None) -> str:
    """Whose budget a request spends: the user's, else the client's, else the address's."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.client_id is not None:
        return f"client:{principal.client_id}"
    return f"addr:{client_address or 'unknown'}"
