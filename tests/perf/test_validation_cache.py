"""The validation cache hits: rules built once, so repeated documents skip validation."""

from __future__ import annotations

import httpx
from strawberry.extensions.validation_cache import _get_validate_cache

from lnob_api.graphql.schema import STATIC_RULES, VALIDATION_CACHE_SIZE, schema, static_rules

QUERY = "query Repeated { coalitions(first: 2) { nodes { code } } }"


def test_rules_are_the_same_classes_on_every_request() -> None:
    first, second = static_rules(), static_rules()
    assert first is not second  # a fresh extension per request...
    assert tuple(first.validation_rules) == tuple(second.validation_rules) == STATIC_RULES
    names = {rule.__name__ for rule in STATIC_RULES}
    assert {"DepthLimitValidator", "StorableLiterals"} <= names
    assert static_rules in schema.extensions


async def test_five_identical_requests_validate_once(client: httpx.AsyncClient) -> None:
    cache = _get_validate_cache(VALIDATION_CACHE_SIZE)
    before = cache.cache_info()
    for _ in range(5):
        response = await client.post("/graphql", json={"query": QUERY})
        assert response.status_code == 200
        assert "errors" not in response.json()
    after = cache.cache_info()
    assert after.misses - before.misses <= 1  # the first one, unless an earlier test ran it
    assert after.hits - before.hits >= 4


async def test_the_limits_still_apply_from_the_cache(client: httpx.AsyncClient) -> None:
    deep = "{ " + "datasets(first: 1) { nodes { coalition { " * 5 + "code" + " } } }" * 5 + " }"
    for _ in range(2):  # the second answer comes from the cache and must refuse too
        body = (await client.post("/graphql", json={"query": deep})).json()
        assert "data" not in body or body["data"] is None
        assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    for _ in range(2):
        body = (await client.post("/graphql", json={"query": aliases})).json()
        assert "aliases found" in body["errors"][0]["message"]
