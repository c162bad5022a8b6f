"""The production wiring: an app with its own engine listens, caches, and hears another
process's committed write."""

from __future__ import annotations

import asyncpg
import httpx
from tests.helpers import until

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.cache.leases import ACK_CHANNEL
from lnob_api.cache.listener import dsn_of
from lnob_api.config import Settings
from lnob_api.db import create_engine

QUERY = "{ coalitions(first: 1) { totalCount } }"


_until = until


class TestServedApp:
    async def test_it_caches_and_hears_a_committed_write_elsewhere(
        self, database_url: str, signing_keys: KeyStore
    ) -> None:
        # given: the app as `serve` builds it (its own engine, no GraphiQL client to register)
        settings = Settings(
            env="test", database_url=database_url, graphiql=False, issuer="http://testserver"
        )
        app = create_app(settings, keys=signing_keys)
        async with app.router.lifespan_context(app):
            cache = app.state.graphql.cache
            await _until(cache.usable)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                first = (await c.post("/graphql", json={"query": QUERY})).json()
                again = (await c.post("/graphql", json={"query": QUERY})).json()
                hits = cache.hits
                # when: another process commits a write (here: a plain connection)
                engine = create_engine(database_url, pool_size=1)
                other = await asyncpg.connect(dsn_of(engine))
                try:
                    async with other.transaction():
                        await other.execute("SELECT pg_notify('lnob_data_version', 'elsewhere:1')")
                finally:
                    await other.close()
                    await engine.dispose()
                await _until(lambda: len(cache) == 0)
                third = (await c.post("/graphql", json={"query": QUERY})).json()
        # then
        assert first == again == third
        assert "errors" not in first
        assert hits == 1 and cache.hits == 1

    async def test_its_writer_hears_the_workers_acknowledgements(
        self, database_url: str, signing_keys: KeyStore
    ) -> None:
        # given: the app as `serve` builds it, listening
        settings = Settings(
            env="test", database_url=database_url, graphiql=False, issuer="http://testserver"
        )
        app = create_app(settings, keys=signing_keys)
        async with app.router.lifespan_context(app):
            acks = app.state.waiter.acks
            await _until(lambda: acks.listening)
            # when: a worker elsewhere says it heard data version 7
            engine = create_engine(database_url, pool_size=1)
            other = await asyncpg.connect(dsn_of(engine))
            try:
                await other.execute(f"SELECT pg_notify('{ACK_CHANNEL}', 'elsewhere:1:ab 7')")
            finally:
                await other.close()
                await engine.dispose()
            # then: the app's writer knows it (it is released by it, not by the table)
            await _until(lambda: acks.heard_by("elsewhere:1:ab") == 7)
        assert not acks.listening  # the listener stopped with the app
