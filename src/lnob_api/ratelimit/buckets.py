"""Token buckets: in the process, or shared by every instance through Redis.

A negative cost gives tokens back (never past the capacity); a forced take charges what an
operation used beyond its estimate even if the bucket goes below zero (at most one minute's
worth), so the caller waits that much longer. In Redis each bucket is one hash
updated by a Lua script, so a take is atomic across instances and uses Redis's own clock. When
Redis does not answer, the limiter counts in the process (one log line when that starts and
one when Redis answers again) and tries Redis again a few seconds later: never an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from lnob_api.observability.outage import Outage

_log = logging.getLogger("lnob_api.ratelimit")

# Tokens and timestamp in one hash; the key expires once the bucket would be full anyway.
TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local force = ARGV[4] == '1'
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if cost <= tokens or force then
  tokens = math.max(-capacity, math.min(capacity, tokens - cost))
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""
RETRY_REDIS_AFTER = 5.0
REDIS_TIMEOUT = 0.5
MAX_LOCAL_KEYS = 50_000


class LocalBuckets:
    """Buckets in this process's memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.state: dict[str, tuple[float, float]] = {}

    def take(
        self, key: str, cost: float, capacity: int, rate: float, *, force: bool = False
    ) -> tuple[bool, float]:
        now = self.clock()
        tokens, since = self.state.get(key, (float(capacity), now))
        tokens = min(capacity, tokens + max(0.0, now - since) * rate)
        allowed = force or cost <= tokens
        if allowed:
            tokens = max(-capacity, min(float(capacity), tokens - cost))
        self.state[key] = (tokens, now)
        if len(self.state) > MAX_LOCAL_KEYS:
            self._forget_full(now, capacity, rate)
        return allowed, tokens

    def _forget_full(self, now: float, capacity: int, rate: float) -> None:
        """Drop buckets that have refilled: a missing bucket is a full one."""
        self.state = {
            key: (tokens, since)
            for key, (tokens, since) in self.state.items()
            if tokens + (now - since) * rate < capacity
        }


class RedisBuckets:
    """Buckets in Redis under ``prefix``, shared by every instance that uses the same one."""

    def __init__(self, url: str, prefix: str) -> None:
        # Imported only when configured: redis-py adds ~7.6 MiB to every worker's RSS.
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self.prefix = prefix
        self.errors: tuple[type[BaseException], ...] = (TimeoutError, OSError, RedisError)
        self.client: Any = aioredis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        self.script = self.client.register_script(TAKE)

    async def take(
        self, key: str, cost: float, capacity: int, rate: float, *, force: bool = False
    ) -> tuple[bool, float]:
        args = [capacity, rate, cost, "1" if force else "0"]
        allowed, tokens = await self.script(keys=[self.prefix + key], args=args)
        return bool(int(allowed)), float(tokens)

    async def close(self) -> None:
        await self.client.aclose()


class Limiter:
    """``capacity`` cost units per minute per key; Redis when given a URL, else the process."""

    def __init__(
        self, capacity: int, *, redis_url: str | None = None, prefix: str = "lnob:ratelimit:"
    ) -> None:
        self.capacity = capacity
        self.rate = capacity / 60
        self.local = LocalBuckets()
        self.redis = RedisBuckets(redis_url, prefix) if redis_url else None
        self._redis_down_until = 0.0
        self._redis = Outage(
            _log,
            "rate limits: Redis unreachable (%s: %s); counting in this process until it answers",
            "rate limits: Redis answers again; counters are shared again",
        )

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    async def take(self, key: str, cost: float, *, force: bool = False) -> tuple[bool, float]:
        """Take ``cost`` from ``key``'s bucket if it holds that much (or anyway when ``force``):
        (taken, what is left)."""
        if self.redis is not None and time.monotonic() >= self._redis_down_until:
            try:
                result = await self.redis.take(key, cost, self.capacity, self.rate, force=force)
            except self.redis.errors as error:
                self._redis_down(error)
            else:
                self._redis.answered()
                return result
        return self.local.take(key, cost, self.capacity, self.rate, force=force)

    def _redis_down(self, error: BaseException) -> None:
        self._redis_down_until = time.monotonic() + RETRY_REDIS_AFTER
        self._redis.failed(type(error).__name__, error)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()
