"""Per-client budgets per minute: 429 with Retry-After and the IETF RateLimit fields, buckets
per principal, exports metered, counters shared by two app instances through a real Redis,
and Redis outages answered from in-process counters."""

from __future__ import annotations

import logging
import math
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.conftest import StatementCounter
from tests.helpers import bearer, token_for

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import ConfigError, Settings
from lnob_api.db.request import ConnectionDatabase
from lnob_api.ratelimit import Decision, Limiter
from lnob_api.ratelimit.buckets import LocalBuckets, RedisBuckets

REDIS = "redis://127.0.0.1:6379/0"
# 2 + 17 goals: every goal exists in the reference data, so the actual cost is the requested one.
GOALS = "{ sdgGoals(first: 17) { nodes { code } } }"
GOALS_COST = 19
BUDGET = 60  # per minute: one unit per second


def _app(conn: AsyncConnection, keys: KeyStore, limiter: Limiter | None = None) -> Any:
    settings = Settings(
        env="test", issuer="http://testserver", rate_limit=BUDGET, query_cost_limit=BUDGET
    )
    return create_app(settings, database=ConnectionDatabase(conn), keys=keys, limiter=limiter)


def _client(app: Any, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _remaining(response: httpx.Response) -> tuple[int, int]:
    found = re.fullmatch(r'"cost";r=(\d+);t=(\d+)', response.headers["ratelimit"])
    assert found, response.headers["ratelimit"]
    return int(found.group(1)), int(found.group(2))


async def _spend_until_refused(client: httpx.AsyncClient, **kw: Any) -> list[httpx.Response]:
    answers = []
    for _ in range(BUDGET // GOALS_COST + 2):
        answers.append(await client.post("/graphql", json={"query": GOALS}, **kw))
        if answers[-1].status_code == 429:
            break
    return answers


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in the shared Redis, deleted afterwards."""
    name = f"lnob-test-{uuid.uuid4().hex[:10]}:"
    yield name
    client = aioredis.from_url(REDIS)
    keys = [key async for key in client.scan_iter(match=name + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


class TestBuckets:
    def test_a_bucket_refills_and_never_holds_more_than_its_capacity(self) -> None:
        # given a bucket of 60 per minute on a clock the test moves
        now = [100.0]
        buckets = LocalBuckets(clock=lambda: now[0])
        # when / then
        assert buckets.take("k", 50, 60, 1.0) == (True, 10.0)
        assert buckets.take("k", 20, 60, 1.0) == (False, 10.0)
        now[0] += 10
        assert buckets.take("k", 20, 60, 1.0) == (True, 0.0)
        assert buckets.take("k", -1000, 60, 1.0) == (True, 60.0)  # a refund stops at capacity
        assert buckets.take("k", 500, 60, 1.0, force=True) == (True, -60.0)  # a minute at most
        now[0] += 60
        assert buckets.take("k", 1, 60, 1.0) == (False, 0.0)
        now[0] += 3600
        assert buckets.take("k", 0, 60, 1.0) == (True, 60.0)

    def test_retry_after_is_the_time_the_missing_part_takes_to_refill(self) -> None:
        refused = Decision(allowed=False, remaining=5.5, capacity=60, cost=19)
        assert refused.retry_after == math.ceil(19 - 5.5) == 14
        assert ("Retry-After", "14") in refused.headers()
        assert ("RateLimit", '"cost";r=5;t=14') in refused.headers()
        taken = Decision(allowed=True, remaining=30, capacity=60, cost=19)
        assert taken.retry_after == 0
        assert dict(taken.headers()) == {
            "RateLimit-Policy": '"cost";q=60;w=60',
            "RateLimit": '"cost";r=30;t=30',
        }

    async def test_redis_buckets_take_refund_and_refuse_atomically(self, prefix: str) -> None:
        buckets = RedisBuckets(REDIS, prefix)
        try:
            assert await buckets.take("k", 50, 60, 1.0) == (True, pytest.approx(10, abs=0.5))
            allowed, left = await buckets.take("k", 30, 60, 1.0)
            assert not allowed and left < 30
            _, refunded = await buckets.take("k", -500, 60, 1.0)
            assert refunded == 60
            assert await buckets.take("k", 100, 60, 1.0, force=True) == (
                True,
                pytest.approx(-40, abs=0.5),
            )
        finally:
            await buckets.close()


class TestGraphQLThrottling:
    async def test_over_budget_is_429_with_retry_after_and_no_sql(
        self, conn: AsyncConnection, signing_keys: KeyStore, statements: StatementCounter
    ) -> None:
        # given
        async with _client(_app(conn, signing_keys)) as client:
            # when
            answers = await _spend_until_refused(client)
            before = statements.count
            again = await client.post("/graphql", json={"query": GOALS})
        # then: three operations fit in 60, the fourth does not
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert again.status_code == 429 and statements.count == before
        refused = answers[-1]
        retry = int(refused.headers["retry-after"])
        remaining, reset = _remaining(refused)
        assert remaining < GOALS_COST
        assert 1 <= retry <= math.ceil((GOALS_COST - remaining) / (BUDGET / 60))
        assert reset == retry
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        assert error["extensions"]["retryAfter"] == retry
        assert refused.json()["extensions"]["cost"]["actualQueryCost"] is None

    async def test_successful_answers_carry_the_fields(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        async with _client(_app(conn, signing_keys)) as client:
            first = await client.post("/graphql", json={"query": GOALS})
            second = await client.post("/graphql", json={"query": GOALS})
        assert first.headers["ratelimit-policy"] == f'"cost";q={BUDGET};w=60'
        assert "retry-after" not in first.headers
        (r1, _), (r2, t2) = _remaining(first), _remaining(second)
        assert r1 <= BUDGET - GOALS_COST
        assert r2 < r1  # about one second of refill at most between them
        assert t2 == math.ceil((BUDGET - r2) / (BUDGET / 60)) or t2 == math.ceil(
            (BUDGET - r2 - 1) / (BUDGET / 60)
        )
        throttle = second.json()["extensions"]["cost"]["throttleStatus"]
        assert throttle["maximumAvailable"] == BUDGET
        assert throttle["currentlyAvailable"] == r2
        assert throttle["restoreRate"] == 1.0

    async def test_unused_cost_is_given_back(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given an operation that asks for 52 units' worth and uses 19
        query = "{ sdgGoals(first: 50) { nodes { code } } }"
        async with _client(_app(conn, signing_keys)) as client:
            # when
            big = await client.post("/graphql", json={"query": query})
            after = [await client.post("/graphql", json={"query": GOALS}) for _ in range(2)]
        # then it kept only its actual cost: 8 units would be left otherwise, too few for one
        cost = big.json()["extensions"]["cost"]
        assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (52, GOALS_COST)
        assert _remaining(big)[0] >= BUDGET - GOALS_COST
        assert [a.status_code for a in after] == [200, 200]

    async def test_use_beyond_the_estimate_is_charged(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given goal 17 with its 19 targets, a plain list estimated at 10
        query = "{ sdgGoal(code: 17) { targets { code } } }"
        async with _client(_app(conn, signing_keys)) as client:
            # when
            answer = await client.post("/graphql", json={"query": query})
        # then
        cost = answer.json()["extensions"]["cost"]
        assert len(answer.json()["data"]["sdgGoal"]["targets"]) == 19
        assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (11, 20)
        assert _remaining(answer)[0] <= BUDGET - 20 + 1  # a second of refill at most

    async def test_each_caller_has_their_own_budget(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given a client application with a token, and an anonymous caller who spent theirs
        org = await f.create_organisation(conn)
        oauth_client = await f.create_client(conn, org)
        token = token_for(signing_keys, client=oauth_client)
        app = _app(conn, signing_keys)
        async with _client(app) as spent, _client(app, "10.9.8.7") as other:
            assert (await _spend_until_refused(spent))[-1].status_code == 429
            # when
            by_token = await spent.post("/graphql", json={"query": GOALS}, headers=bearer(token))
            by_address = await other.post("/graphql", json={"query": GOALS})
        # then
        assert by_token.status_code == 200, by_token.text
        assert by_address.status_code == 200
        assert _remaining(by_token)[0] == _remaining(by_address)[0] == BUDGET - GOALS_COST


class TestExports:
    @pytest.mark.parametrize("path", ["/exports/observations.csv", "/sdmx/dataflow"])
    async def test_exports_spend_a_fixed_cost(
        self, conn: AsyncConnection, signing_keys: KeyStore, path: str
    ) -> None:
        from lnob_api.http.ratelimit import EXPORT_COST

        settings = Settings(
            env="test", issuer="http://testserver", rate_limit=EXPORT_COST, query_cost_limit=10
        )
        app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
        async with _client(app) as client:
            first = await client.get(path)
            second = await client.get(path)
        assert first.status_code == 200, first.text
        assert _remaining(first)[0] == 0
        assert second.status_code == 429
        assert second.headers["content-type"] == "application/json"
        assert second.json()["error"] == "rate_limited"
        assert 1 <= int(second.headers["retry-after"]) <= 60
        assert second.json()["retryAfter"] == int(second.headers["retry-after"])


class TestRedis:
    async def test_two_instances_share_the_budget(
        self, conn: AsyncConnection, signing_keys: KeyStore, prefix: str
    ) -> None:
        # given two app instances counting in the same Redis
        first = _app(conn, signing_keys, Limiter(BUDGET, redis_url=REDIS, prefix=prefix))
        second = _app(conn, signing_keys, Limiter(BUDGET, redis_url=REDIS, prefix=prefix))
        async with _client(first) as one, _client(second) as two:
            # when the budget is spent on both
            answers = [
                await client.post("/graphql", json={"query": GOALS})
                for client in (one, two, one, two)
            ]
        # then the fourth is refused, whichever instance took the first three
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        remaining = [_remaining(a)[0] for a in answers]
        assert remaining[0] > remaining[1] > remaining[2]
        await first.state.limiter.close()
        await second.state.limiter.close()

    async def test_unreachable_redis_falls_back_with_one_log_line(
        self, conn: AsyncConnection, signing_keys: KeyStore, caplog: pytest.LogCaptureFixture
    ) -> None:
        # given a Redis address where nothing listens
        limiter = Limiter(BUDGET, redis_url="redis://127.0.0.1:1/0", prefix="unused:")
        caplog.set_level(logging.WARNING, logger="lnob_api.ratelimit")
        async with _client(_app(conn, signing_keys, limiter)) as client:
            # when
            answers = await _spend_until_refused(client)
        # then: limits still hold, from the process's counters, and no request failed
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        lines = [r for r in caplog.records if r.name == "lnob_api.ratelimit"]
        assert len(lines) == 1
        assert "Redis unreachable" in lines[0].getMessage()
        await limiter.close()


class TestSettings:
    def test_budget_below_the_request_limit_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="LNOB_RATE_LIMIT"):
            Settings.from_env({"LNOB_RATE_LIMIT": "500", "LNOB_QUERY_COST_LIMIT": "1000"})

    def test_redis_url_must_be_a_redis_url(self) -> None:
        with pytest.raises(ConfigError, match="REDIS_URL"):
            Settings.from_env({"REDIS_URL": "http://127.0.0.1:6379"})
        assert Settings.from_env({"REDIS_URL": REDIS}).redis_url == REDIS

    async def test_zero_turns_limits_off(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        assert Settings.from_env({"LNOB_RATE_LIMIT": "0"}).rate_limit == 0
        app = create_app(
            Settings(env="test", issuer="http://testserver", rate_limit=0),
            database=ConnectionDatabase(conn),
            keys=signing_keys,
        )
        async with _client(app) as client:
            answer = await client.post("/graphql", json={"query": GOALS})
        assert answer.status_code == 200
        assert "ratelimit" not in answer.headers
        assert answer.json()["extensions"]["cost"]["throttleStatus"] is None
