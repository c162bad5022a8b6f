"""A JSON POST answered around Strawberry's HTTP view (``graphql.lane``) is answered exactly
as the view answers it: the same status, headers and body, for compiled hits, Strawberry's
answers, request errors and persisted documents, anonymous and signed in."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase
from lnob_api.graphql.ids import to_global_id

LOOKUP = "query($id: ID!) { dataset(id: $id) { title coalition { name } } }"
PERSISTED = "query Lookup($id: ID!) { dataset(id: $id) { title } }"
DIGEST = hashlib.sha256(PERSISTED.encode()).hexdigest()


@dataclasses.dataclass
class Endpoint:
    client: httpx.AsyncClient
    app: Any
    token: str
    gid: str


@pytest.fixture(params=[True, False], ids=["compiled", "strawberry"])
async def endpoint(
    conn: AsyncConnection, signing_keys: KeyStore, request: pytest.FixtureRequest
) -> AsyncIterator[Endpoint]:
    coalition = await f.create_coalition(conn)
    organisation = await f.create_organisation(conn)
    await f.add_member(conn, coalition, organisation)
    machine = await f.create_client(conn, organisation)
    ds = await f.create_dataset(conn, coalition, visibility="COALITION", title="Inside")
    settings = Settings(env="test", issuer="http://testserver", compiled=request.param)
    settings = dataclasses.replace(settings, rate_limit=0)  # budgets would differ per request
    app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Endpoint(
            client, app, token_for(signing_keys, client=machine), to_global_id("Dataset", ds["id"])
        )


def _bodies(gid: str) -> list[Any]:
    return [
        {"query": LOOKUP, "variables": {"id": gid}},
        {"query": LOOKUP, "variables": {"id": "not-an-id"}},
        {"query": LOOKUP},  # a missing variable
        {"query": "{ __typename viewer { kind } }"},
        {"query": "{ nope }"},
        {"query": "query A { __typename } query B { __typename }"},
        {"query": "query A { __typename } query B { __typename }", "operationName": "B"},
        {"query": "mutation { __typename }"},
        {"query": 5},
        {"query": "{ __typename }", "variables": [1]},
        {"query": "{ __typename }", "operationName": 7},
        {"variables": {}},
        [{"query": "{ __typename }"}],
        "just a string",
        {"query": PERSISTED, "variables": {"id": gid}, "extensions": _apq()},
        {"documentId": f"sha256:{DIGEST}", "variables": {"id": gid}},
        {"documentId": "sha256:" + "0" * 64},
    ]


def _apq() -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}


async def _both(
    endpoint: Endpoint, content: bytes, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    graphql = endpoint.app.state.graphql
    headers = headers | {"x-request-id": "lane-test"}  # error bodies carry it
    got = []
    for lane in (False, True):
        graphql.lane = lane
        got.append(await endpoint.client.post("/graphql", content=content, headers=headers))
    graphql.lane = True
    return got[0], got[1]


def _comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted(response.headers.items())
    return response.status_code, headers, response.content


class TestJsonLane:
    @pytest.mark.parametrize("who", ["anonymous", "agency"])
    @pytest.mark.parametrize(
        "accept", ["application/json", "application/graphql-response+json", None]
    )
    async def test_the_same_answer_as_the_view(
        self, endpoint: Endpoint, who: str, accept: str | None
    ) -> None:
        headers = {"content-type": "application/json"}
        if accept is not None:
            headers["accept"] = accept
        if who == "agency":
            headers |= bearer(endpoint.token)
        statuses = set()
        for body in _bodies(endpoint.gid):
            # given one request body; when the view and the lane each answer it
            view, lane = await _both(endpoint, json.dumps(body).encode(), headers)
            # then the same answer
            assert _comparable(lane) == _comparable(view), (body, view.text, lane.text)
            statuses.add(view.status_code)
        assert 200 in statuses and len(statuses) > 1, statuses

    @pytest.mark.parametrize(
        "content",
        [b'{"query": ', b"\xff\xfe", b'{"query": "{ __typename }", "x": NaN}', b""],
    )
    async def test_broken_bodies_as_the_view(self, endpoint: Endpoint, content: bytes) -> None:
        view, lane = await _both(endpoint, content, {"content-type": "application/json"})
        assert view.status_code == 400
        assert _comparable(lane) == _comparable(view)

    async def test_the_data_is_the_callers(self, endpoint: Endpoint) -> None:
        # given the member agency and an anonymous caller
        body = json.dumps({"query": LOOKUP, "variables": {"id": endpoint.gid}}).encode()
        plain = {"content-type": "application/json; charset=utf-8"}
        # when
        signed = await endpoint.client.post(
            "/graphql", content=body, headers=plain | bearer(endpoint.token)
        )
        anonymous = await endpoint.client.post("/graphql", content=body, headers=plain)
        # then the member sees its coalition's dataset, the anonymous caller nothing
        assert signed.json()["data"]["dataset"]["title"] == "Inside"
        assert anonymous.json()["data"] == {"dataset": None}
