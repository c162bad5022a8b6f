"""The periodic purge and the response cache: a purge that removes nothing announces no write
(the cache keeps its entries and its data version); one that removes rows empties it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.test_cli_purge import _fill

from lnob_api.cache.store import ResponseCache
from lnob_api.maintenance import service as maintenance

TITLE = "query($s:String){ dataset(slug:$s) { title } }"


async def _cached_title(client: httpx.AsyncClient, conn: AsyncConnection) -> dict[str, Any]:
    coalition = await f.create_coalition(conn)
    ds = await f.create_dataset(conn, coalition, title="Water points")
    body = {"query": TITLE, "variables": {"s": ds["slug"]}}
    response = await client.post("/graphql", json=body)
    assert response.json()["data"] == {"dataset": {"title": "Water points"}}
    return body


class TestPurgeAndCache:
    async def test_a_purge_over_nothing_leaves_the_cache_as_it_was(
        self, app: Any, client: httpx.AsyncClient, conn: AsyncConnection, cache: ResponseCache
    ) -> None:
        # given a cached answer and nothing to purge
        body = await _cached_title(client, conn)
        version, entries = cache.version, len(cache)
        assert entries == 1
        # when the server's purge runs
        report = await maintenance.purge_once(app.state.database)
        # then it removed nothing and announced nothing: the entry still answers
        assert report is not None and not report.skipped and report.total == 0
        assert (cache.version, len(cache)) == (version, entries)
        again = await client.post("/graphql", json=body)
        assert again.json()["data"] == {"dataset": {"title": "Water points"}}
        assert cache.hits == 1

    async def test_a_purge_that_removes_rows_empties_the_cache(
        self, app: Any, client: httpx.AsyncClient, conn: AsyncConnection, cache: ResponseCache
    ) -> None:
        # given expired rows, then a cached answer
        # (around this moment: the module's start may be long past in a full run, and the
        # rows kept for 5 or 10 minutes after it would be purged too)
        await _fill(conn, datetime.now(UTC))
        await _cached_title(client, conn)
        version = cache.version
        assert len(cache) == 1
        # when the server's purge runs
        report = await maintenance.purge_once(app.state.database)
        # then its DELETEs were announced: the cache is empty and its data version moved
        assert report is not None and report.total == 7
        assert cache.version > version and len(cache) == 0
