"""Persisted documents (GraphQL-over-HTTP appendix) and Apollo APQ, over GET and POST, with
HTTP caching headers on public GET reads."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

QUERY = "query($s:String){ dataset(slug:$s) { title } }"
SHA = hashlib.sha256(QUERY.encode()).hexdigest()
MUTATION = 'mutation { coalitionCreate(input:{code:"ZZ", name:"Z"}) { userErrors { code } } }'
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _apq(sha: str = SHA) -> str:
    return json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}})


async def _dataset(conn: AsyncConnection) -> Any:
    coalition = await f.create_coalition(conn)
    return await f.create_dataset(conn, coalition, title="Ward survey")


class TestApq:
    async def test_an_unknown_hash_is_not_found_then_registered(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given
        ds = await _dataset(conn)
        variables = json.dumps({"s": ds["slug"]})
        # when
        missing = await client.get(
            "/graphql", params={"extensions": _apq(), "variables": variables}
        )
        registered = await client.post(
            "/graphql",
            json={"query": QUERY, "variables": {"s": ds["slug"]}, "extensions": json.loads(_apq())},
        )
        by_hash = await client.get(
            "/graphql", params={"extensions": _apq(), "variables": variables}
        )
        # then
        assert missing.status_code == 200
        error = missing.json()["errors"][0]
        assert error["message"] == "PersistedQueryNotFound"
        assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert registered.json()["data"] == {"dataset": {"title": "Ward survey"}}
        assert by_hash.status_code == 200
        assert by_hash.json()["data"] == {"dataset": {"title": "Ward survey"}}

    async def test_a_hash_that_does_not_match_is_refused(self, client: httpx.AsyncClient) -> None:
        # when
        response = await client.post(
            "/graphql",
            json={"query": QUERY, "extensions": json.loads(_apq("0" * 64))},
        )
        again = await client.get("/graphql", params={"extensions": _apq("0" * 64)})
        # then
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == "provided sha does not match query"
        assert "PersistedQueryNotFound" in again.text  # nothing was registered

    async def test_an_unknown_version_is_refused(self, client: httpx.AsyncClient) -> None:
        ext = {"persistedQuery": {"version": 2, "sha256Hash": SHA}}
        response = await client.get("/graphql", params={"extensions": json.dumps(ext)})
        assert response.status_code == 400
        assert "version" in response.json()["errors"][0]["message"]


class TestDocumentId:
    async def test_a_known_document_runs_by_id_over_get(
        self, client: httpx.AsyncClient, conn: AsyncConnection, app: Any
    ) -> None:
        # given
        ds = await _dataset(conn)
        app.state.graphql.documents.register(QUERY)
        # when
        response = await client.get(
            "/graphql",
            params={"documentId": f"sha256:{SHA}", "variables": json.dumps({"s": ds["slug"]})},
        )
        posted = await client.post(
            "/graphql", json={"documentId": f"sha256:{SHA}", "variables": {"s": ds["slug"]}}
        )
        # then
        assert response.json() == posted.json()
        assert response.json()["data"] == {"dataset": {"title": "Ward survey"}}

    async def test_an_unknown_id_is_one_error(self, client: httpx.AsyncClient) -> None:
        # when
        as_json = await client.get("/graphql", params={"documentId": f"sha256:{'a' * 64}"})
        as_graphql = await client.get(
            "/graphql",
            params={"documentId": f"sha256:{'a' * 64}"},
            headers={"Accept": GRAPHQL_RESPONSE},
        )
        # then
        assert as_json.status_code == 200
        assert as_graphql.status_code == 404
        for response in (as_json, as_graphql):
            body = response.json()
            assert "data" not in body and len(body["errors"]) == 1
            assert body["errors"][0]["extensions"]["code"] == "PERSISTED_DOCUMENT_NOT_FOUND"

    async def test_bad_ids_and_a_mutation_over_get_are_refused(
        self, client: httpx.AsyncClient, app: Any
    ) -> None:
        # given
        app.state.graphql.documents.register(MUTATION)
        mutation_id = "sha256:" + hashlib.sha256(MUTATION.encode()).hexdigest()
        # when
        custom = await client.get("/graphql", params={"documentId": "abc123"})
        upper = await client.get("/graphql", params={"documentId": f"sha256:{SHA.upper()}"})
        both = await client.post("/graphql", json={"documentId": mutation_id, "query": QUERY})
        mutation = await client.get("/graphql", params={"documentId": mutation_id})
        # then
        assert custom.status_code == upper.status_code == both.status_code == 400
        assert mutation.status_code == 405


class TestHttpCaching:
    async def test_public_get_reads_carry_an_etag_and_revalidate(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given
        ds = await _dataset(conn)
        params = {"query": QUERY, "variables": json.dumps({"s": ds["slug"]})}
        # when
        first = await client.get("/graphql", params=params)
        revalidated = await client.get(
            "/graphql", params=params, headers={"If-None-Match": first.headers["etag"]}
        )
        posted = await client.post("/graphql", json={"query": QUERY, "variables": {"s": "x"}})
        # then
        assert first.status_code == 200 and first.headers["etag"].startswith('W/"')
        assert first.headers["cache-control"] == "public, no-cache"
        assert "Accept-Language" in first.headers["vary"]
        assert "Authorization" in first.headers["vary"]
        assert revalidated.status_code == 304 and revalidated.content == b""
        assert "etag" not in posted.headers

    async def test_errors_get_no_caching_headers(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", params={"query": "{ nope }"})
        assert "etag" not in response.headers
