"""The tests' apps run with no response cache; these tests give theirs one."""

from __future__ import annotations

from typing import Any

import pytest

from lnob_api.cache.store import ResponseCache


@pytest.fixture
def cache(app: Any) -> ResponseCache:
    graphql = app.state.graphql
    graphql.cache = ResponseCache(ttl=3600.0, next_change=graphql.next_change)
    return graphql.cache
