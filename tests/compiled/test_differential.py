"""The compiled path and the Strawberry path answer byte for byte the same, for every
principal of the leak matrix and every document of the corpus (tests/compiled/corpus.py)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.access.test_leak_matrix import _build_world
from tests.compiled.corpus import COMPILED, CORPUS
from tests.compiled.harness import pair
from tests.helpers import bearer

from lnob_api.auth.keys import KeyStore

# The only part of a response that depends on when it is read: a budget refills with time.
# (and every request has its own id, shown in error messages)
# (and every request has its own id, shown in error messages, and its own "now")
_REFILLED = re.compile(
    rb'"currentlyAvailable":\d+|"requestId":"[^"]*"|request id [0-9a-f]+|now is [-0-9T:.+]+'
)
ODD_TITLE = 'Caf\u00e9 "quoted" \\ back\nline \U0001f30d \x7f end'
ODD_VALUES = (3.0, 1e15 + 0.5, 1.5e15, 1e16, 2.5e-7, 0.1, -12.0, 123456.789)


def same(one: bytes, two: bytes) -> bool:
    return _REFILLED.sub(b"", one) == _REFILLED.sub(b"", two)


async def world(conn: AsyncConnection, keys: KeyStore) -> dict[str, Any]:
    w = await _build_world(conn, keys)
    odd = await f.create_dataset(conn, w["a"], title=ODD_TITLE, description="\u00e0 \u4e2d")
    for i, value in enumerate(ODD_VALUES):
        await f.create_observation(
            conn, odd, value=value, sample_size=100, period=str(2000 + i), comment="\u00fc"
        )
    w["odd"] = odd
    w["gids"] = {
        key: base64.b64encode(f"Dataset:{ds['id']}".encode()).decode()
        for key, ds in w["datasets"].items()
    }
    w["tokens"]["anonymous"] = None
    return w


def _headers(w: dict[str, Any], principal: str) -> dict[str, str]:
    token = w["tokens"][principal]
    return bearer(token) if token else {}


async def test_every_principal_and_document(conn: AsyncConnection, signing_keys: KeyStore) -> None:
    # given
    w = await world(conn, signing_keys)
    async with pair(conn, signing_keys) as both:
        for principal in w["tokens"]:
            for name, (query, variables) in CORPUS.items():
                # when
                one, two, compiled = await both.both(query, variables(w), _headers(w, principal))
                # then
                assert same(one, two), (principal, name, one, two)
                assert b'"errors"' not in one, (principal, name, one)
                assert compiled or name not in COMPILED, (principal, name)


async def test_cursors_of_the_compiled_path_page_on_both(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given
    w = await world(conn, signing_keys)
    query = """query($after: String) { observations(first: 3, after: $after) {
      pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id value } } } }"""
    async with pair(conn, signing_keys) as both:
        after, pages = None, 0
        while True:
            # when: the next page from the compiled path's cursor, both ways
            one, two, compiled = await both.both(query, {"after": after}, _headers(w, "admin_a"))
            # then
            assert compiled and same(one, two), (one, two)
            info = json.loads(one)["data"]["observations"]["pageInfo"]
            pages += 1
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
        assert pages >= 3
        # and a backward page before the last cursor
        back = """query($b: String) { observations(last: 2, before: $b) {
          pageInfo { hasNextPage hasPreviousPage startCursor } nodes { id } } }"""
        one, two, compiled = await both.both(back, {"b": after}, _headers(w, "admin_a"))
        assert compiled and same(one, two), (one, two)


@pytest.mark.parametrize("language", ["fr", "sw-KE;q=0.9, en;q=0.5", "es", "de"])
async def test_titles_follow_accept_language(
    conn: AsyncConnection, signing_keys: KeyStore, language: str
) -> None:
    # given
    w = await world(conn, signing_keys)
    query, variables = CORPUS["indicator_titles"]
    async with pair(conn, signing_keys) as both:
        # when
        one, two, compiled = await both.both(query, variables(w), {"Accept-Language": language})
    # then
    assert compiled and same(one, two), (one, two)


async def test_the_pair_sees_other_answers(conn: AsyncConnection, signing_keys: KeyStore) -> None:
    """The comparison can fail: two principals see different bodies for one document."""
    w = await world(conn, signing_keys)
    query, variables = CORPUS["W4"]
    async with pair(conn, signing_keys) as both:
        anonymous, _, _ = await both.both(query, variables(w))
        insider, _, _ = await both.both(query, variables(w), _headers(w, "viewer_a"))
    assert not same(anonymous, insider)
