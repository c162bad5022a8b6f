"""A resolver cancelled mid-statement leaves the request's connection usable.

graphql-core cancels the sibling fields still running when an error nulls their parent (here a
non-null ``nodes`` list with a bad id nulls the whole ``data``). A statement cancelled inside
asyncpg invalidates the connection, and with it the request's transaction: found by the fuzz run,
where every later request then failed with an internal error.
"""

from __future__ import annotations

from tests.helpers import gql

# The sibling fields read while ``nodes`` fails at once on its malformed ids.
QUERY = """
{
  coalitions(first: 5) { totalCount nodes { code projects(first: 5) { totalCount } } }
  nodes(ids: ["", "x"]) { id }
  datasets(first: 5) { totalCount nodes { title } }
}
"""
HEALTHY = "{ coalitions(first: 1) { totalCount } }"


class TestCancelledSiblings:
    async def test_the_connection_survives_and_the_next_request_answers(self, client, conn) -> None:  # type: ignore[no-untyped-def]
        for _ in range(5):
            # when
            body = await gql(client, QUERY)
            # then: the bad ids are the only errors, and nothing is internal
            codes = {e["extensions"]["code"] for e in body["errors"]}
            assert codes == {"BAD_USER_INPUT"}, body["errors"]
            assert not conn.sync_connection.invalidated
            after = await gql(client, HEALTHY)
            assert "errors" not in after, after
            assert after["data"]["coalitions"]["totalCount"] >= 0


class TestLateStatements:
    """A statement that outlives its request (a loader batch or a gathered sibling still
    running when the operation ended) must not open a second transaction that nobody closes:
    found by the fuzz run, where such a savepoint, ended later by garbage collection, broke
    every request after it."""

    async def test_a_statement_after_close_is_refused_and_opens_nothing(self, conn) -> None:  # type: ignore[no-untyped-def]
        import pytest
        import sqlalchemy as sa

        from lnob_api.db.request import ConnectionDatabase, RequestDb, RequestFinished

        # given a request that read once and then ended
        db = RequestDb(ConnectionDatabase(conn))
        assert await db.scalar(sa.text("SELECT 1")) == 1
        await db.close()
        # when a late statement arrives, then it is refused
        with pytest.raises(RequestFinished):
            await db.scalar(sa.text("SELECT 2"))
        # and no savepoint was left open for it
        assert conn.sync_connection.get_nested_transaction() is None
        # and the next request works as usual
        after = RequestDb(ConnectionDatabase(conn))
        assert await after.scalar(sa.text("SELECT 3")) == 3
        await after.close()
