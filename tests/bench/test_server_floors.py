"""bench/servers.py's floors without PostgreSQL (``_Canned``): the plain ASGI callable and the
Starlette floor answer the same bytes for the bodies the load sends, the probe, and 400 for
an unknown request; the raw callable keeps the ASGI lifespan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench import floor_app, servers

QUERY = "query W3($id: ID!) { dataset(id: $id) { title } }"
ANSWER = '{"dataset":{"title":"Survey KE 0"}}'


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = floor_app.request_body(QUERY, {"id": "RGF0YXNldDox"})
    entry = floor_app.Entry("W3", "anonymous", "", body, "SELECT $1::int", [1])
    floor_app.save([entry], tmp_path / "statements.json")
    (tmp_path / "answers.json").write_text(json.dumps([[entry.sql, entry.args, ANSWER]]))
    monkeypatch.setenv("FLOOR_STATEMENTS", str(tmp_path / "statements.json"))
    monkeypatch.setenv("FLOOR_ANSWERS", str(tmp_path / "answers.json"))


async def _post(app: Any, body: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
        return await client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )


class TestFloors:
    @pytest.mark.parametrize("factory", [servers.create_canned_app, servers.create_canned_raw_app])
    async def test_the_load_s_body_gets_the_statement_s_answer(
        self, files: None, factory: Any
    ) -> None:
        # given
        app = factory()
        # when
        sent = await _post(app, floor_app.request_body(QUERY, {"id": "RGF0YXNldDox"}))
        reordered = await _post(
            app, json.dumps({"variables": {"id": "RGF0YXNldDox"}, "query": QUERY})
        )
        # then
        assert sent.status_code == 200
        assert sent.content == b'{"data":' + ANSWER.encode() + b"}"
        assert sent.headers["content-type"].startswith("application/json")
        assert reordered.content == sent.content

    @pytest.mark.parametrize("factory", [servers.create_canned_app, servers.create_canned_raw_app])
    async def test_probe_and_unknown_request(self, files: None, factory: Any) -> None:
        # given
        app = factory()
        # when
        probe = await _post(app, json.dumps({"query": floor_app.PROBE}))
        unknown = await _post(app, floor_app.request_body(QUERY, {"id": "RGF0YXNldDoy"}))
        # then
        assert probe.status_code == 200
        assert probe.json() == {"data": {"__typename": "Query"}}
        assert unknown.status_code == 400

    async def test_raw_app_completes_its_lifespan(self, files: None) -> None:
        # given
        app = servers.create_canned_raw_app()
        incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent: list[str] = []

        async def receive() -> dict[str, str]:
            return incoming.pop(0)

        async def send(message: Any) -> None:
            sent.append(message["type"])

        # when
        await app({"type": "lifespan"}, receive, send)
        # then
        assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
