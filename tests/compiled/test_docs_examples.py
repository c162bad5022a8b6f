"""The GraphQL examples of README.md and docs/*.md answer the same both ways (three
principals of the leak matrix: outside, inside, granted one dataset)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.corpus import doc_queries
from tests.compiled.harness import pair
from tests.compiled.test_differential import _headers, same, world

from lnob_api.auth.keys import KeyStore


async def test_docs_examples(conn: AsyncConnection, signing_keys: KeyStore) -> None:
    # given
    w = await world(conn, signing_keys)
    queries = doc_queries()
    assert queries
    async with pair(conn, signing_keys) as both:
        for principal in ("anonymous", "viewer_a", "client_granted_coal_dataset"):
            for query in queries:
                # when
                one, two, _ = await both.both(query, {}, _headers(w, principal))
                # then
                assert same(one, two), (principal, query, one, two)
