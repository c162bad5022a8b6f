"""The fast lane and persisted documents (``graphql.persisted``): a request naming its document
by hash alone is answered by the lane only while the store still knows the document; once the
store has forgotten it, the whole stack's "not found" is the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.graphql.test_fast_lane import LOOKUP, World, _app_world, _title, comparable

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.persisted import digest

SHA = digest(LOOKUP)


@pytest.fixture
async def w(conn: AsyncConnection, signing_keys: KeyStore) -> AsyncIterator[World]:
    made = await _app_world(conn, signing_keys)
    async with made.client:
        yield made


def _apq(gid: str, *, query: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "variables": {"id": gid},
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": SHA}},
    }
    return body | ({"query": LOOKUP} if query else {})


def _by_id(gid: str) -> dict[str, Any]:
    return {"documentId": f"sha256:{SHA}", "variables": {"id": gid}}


def _forget(w: World) -> None:
    """The store forgets the document: evicted by another one, as a full store evicts."""
    documents = w.app.state.graphql.documents
    documents.limit = 1
    documents.register("{ __typename }")
    assert documents.get(SHA) is None


def _code(response: Any) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


class TestForgottenDocuments:
    @pytest.mark.parametrize(
        ("body", "code"),
        [(_apq, "PERSISTED_QUERY_NOT_FOUND"), (_by_id, "PERSISTED_DOCUMENT_NOT_FOUND")],
    )
    async def test_a_hash_alone_after_the_store_forgets_it(
        self, w: World, body: Any, code: str
    ) -> None:
        # given the document registered and the hash-only request answered by the lane
        await w.post(_apq(w.public, query=True))
        assert _title(await w.served(body(w.public))) == "Open"
        before = w.lane.served
        # when the store forgets the document
        _forget(w)
        # then the lane steps aside: the whole stack's "not found", every time
        answers = [await w.post(body(w.public)) for _ in range(2)]
        assert w.lane.served == before
        full = await w.full(body(w.public))
        assert [_code(a) for a in answers] == [code, code]
        assert [comparable(a) for a in answers] == [comparable(full)] * 2

    async def test_the_document_sent_again_is_registered_again(self, w: World) -> None:
        # given the hash and its document answered by the lane
        await w.served(_apq(w.public, query=True))
        _forget(w)
        w.app.state.graphql.documents.limit = 10
        # when the lane answers it again
        await w.served(_apq(w.public, query=True))
        # then the store knows it again, as after the whole stack's answer
        assert w.app.state.graphql.documents.get(SHA) == LOOKUP
        assert _title(await w.post(_apq(w.public))) == "Open"

    async def test_a_hash_alone_keeps_the_document_recent(self, w: World) -> None:
        # given a full store of two, the document the older one
        documents = w.app.state.graphql.documents
        documents.limit = 2
        await w.post(_apq(w.public, query=True))
        await w.served(_apq(w.public))
        other = documents.register("{ __typename }")
        await w.served(_apq(w.public))  # the lane's answer, the document then the older
        # when a third document is registered
        documents.register("{ viewer { kind } }")
        # then the one the lane kept using stays, as with the whole stack
        assert documents.get(SHA) == LOOKUP
        assert documents.get(other) is None
