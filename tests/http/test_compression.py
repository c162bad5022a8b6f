"""gzip and brotli by Accept-Encoding on every route, streamed, with entity tags per coding."""

from __future__ import annotations

import gzip
import re
import zlib
from typing import Any

import anyio
import brotli
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send
from tests.export.export_world import build_world
from tests.export.test_streaming import _many_rows

from lnob_api.auth.keys import KeyStore
from lnob_api.http.compression import (
    FLUSH_AFTER,
    CompressionMiddleware,
    compressible,
    encoded_tag,
    identity_tags,
    negotiate,
)

CSV = "/exports/observations.csv"
INTROSPECTION = '{"query": "{ __schema { types { name description } } }"}'


def same_message(a: bytes, b: bytes) -> bool:
    """Equal but for the SDMX header's message id and preparation time."""
    pattern = rb"<message:(ID|Prepared)>[^<]*</message:(ID|Prepared)>"
    return re.sub(pattern, b"", a) == re.sub(pattern, b"", b)


def decode(coding: str | None, raw: bytes) -> bytes:
    if coding == "gzip":
        return gzip.decompress(raw)
    if coding == "br":
        return bytes(brotli.decompress(raw))
    return raw


async def fetch(
    client: httpx.AsyncClient, method: str, url: str, accept: str, **kw: Any
) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent on the wire (not decoded by httpx)."""
    headers = {"Accept-Encoding": accept, **kw.pop("headers", {})}
    async with client.stream(method, url, headers=headers, **kw) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    return await build_world(conn, signing_keys)


class TestNegotiation:
    @pytest.mark.parametrize(
        ("header", "coding"),
        [
            (None, None),
            ("", None),
            ("gzip", "gzip"),
            ("br", "br"),
            ("gzip, br", "br"),
            ("gzip;q=1.0, br;q=0.5", "gzip"),
            ("br;q=0, gzip", "gzip"),
            ("*", "br"),
            ("*;q=0.5, br;q=0", "gzip"),
            ("identity", None),
            ("identity;q=1, gzip;q=0.5", None),
            ("identity;q=0, gzip;q=0.1", "gzip"),
            ("deflate, zstd", None),
            ("x-gzip", "gzip"),
            ("gzip;q=nonsense", None),
            ("GZIP; Q=0.8", "gzip"),
        ],
    )
    def test_accept_encoding(self, header: str | None, coding: str | None) -> None:
        assert negotiate(header) == coding

    @pytest.mark.parametrize(
        ("media", "packed"),
        [
            ("text/csv; charset=utf-8", True),
            ("application/ld+json", True),
            ("application/vnd.sdmx.data+csv; version=2.0.0", True),
            ("application/vnd.sdmx.structurespecificdata+xml; version=2.1", True),
            ("application/rdf+xml", True),
            ("application/gzip", False),
            ("image/png", False),
            ("text/event-stream", False),
        ],
    )
    def test_what_is_compressed(self, media: str, packed: bool) -> None:
        assert compressible(Headers({"content-type": media})) is packed
        assert not compressible(Headers({"content-type": media, "content-encoding": "br"}))

    def test_variant_tags(self) -> None:
        assert encoded_tag('"abc"', "gzip") == '"abc-gzip"'
        assert encoded_tag('W/"abc"', "br") == 'W/"abc-br"'
        assert identity_tags('"abc-gzip", "def"', "gzip") == ('"abc", "def"', True)
        # a brotli copy does not validate a gzip answer
        assert identity_tags('"abc-br"', "gzip") == ("", False)
        assert identity_tags("*", None) == ("*", False)


class TestRoutes:
    @pytest.mark.parametrize("coding", ["gzip", "br"])
    async def test_csv_export_decodes_to_the_identity_body(
        self, client: httpx.AsyncClient, world: dict[str, Any], coding: str
    ) -> None:
        # given the identity body
        plain, plain_raw = await fetch(client, "GET", CSV, "identity")
        assert "content-encoding" not in plain.headers
        assert len(plain_raw) > 500
        # when the same export is asked compressed
        packed, raw = await fetch(client, "GET", CSV, f"{coding}, identity;q=0.5")
        # then it is, and decodes to the same bytes
        assert packed.headers["content-encoding"] == coding
        assert "content-length" not in packed.headers
        assert decode(coding, raw) == plain_raw
        assert len(raw) < len(plain_raw)
        assert "Accept-Encoding" in packed.headers["vary"]
        assert "Authorization" in packed.headers["vary"]
        assert packed.headers["etag"] == encoded_tag(plain.headers["etag"], coding)

    async def test_conditional_requests_per_coding(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        packed, _ = await fetch(client, "GET", CSV, "gzip")
        tag = packed.headers["etag"]
        assert tag.endswith('-gzip"')
        # the gzip copy is current for a gzip request
        again, body = await fetch(client, "GET", CSV, "gzip", headers={"If-None-Match": tag})
        assert again.status_code == 304 and body == b""
        assert again.headers["etag"] == tag
        assert "Accept-Encoding" in again.headers["vary"]
        # but not for a brotli one, which gets its own bytes
        other, raw = await fetch(client, "GET", CSV, "br", headers={"If-None-Match": tag})
        assert other.status_code == 200
        assert other.headers["content-encoding"] == "br"
        assert b"dataset,indicator" in decode("br", raw)
        # the identity tag still validates an identity request
        plain, _ = await fetch(client, "GET", CSV, "identity")
        cached, _ = await fetch(
            client, "GET", CSV, "identity", headers={"If-None-Match": plain.headers["etag"]}
        )
        assert cached.status_code == 304

    async def test_graphql_catalog_and_sdmx(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        flow = "LNOB,DF_LNOB_" + world["a"]["code"] + ",1.0"
        for method, url, kw in [
            ("POST", "/graphql", {"content": INTROSPECTION}),
            ("GET", "/catalog.jsonld", {}),
            ("GET", f"/sdmx/data/{flow}/all", {}),
            ("GET", "/sdmx/dataflow/LNOB", {}),
        ]:
            headers = {"Content-Type": "application/json"} if method == "POST" else {}
            plain, plain_raw = await fetch(client, method, url, "identity", headers=headers, **kw)
            packed, raw = await fetch(client, method, url, "br, gzip", headers=headers, **kw)
            assert plain.status_code == packed.status_code == 200, (url, plain.text)
            assert packed.headers.get("content-encoding") == "br", url
            assert same_message(decode("br", raw), plain_raw), url

    async def test_small_and_encoded_bodies_go_out_as_they_are(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        small, raw = await fetch(client, "GET", "/healthz", "gzip")
        assert small.status_code == 200 and len(raw) < 500
        assert "content-encoding" not in small.headers
        assert small.headers["vary"] == "Accept-Encoding"
        # the .csv.gz file is a gzip file already: never encoded twice
        gz, raw = await fetch(client, "GET", CSV + ".gz", "gzip, br")
        assert gz.status_code == 200
        assert "content-encoding" not in gz.headers
        assert gzip.decompress(raw).startswith(b"dataset,")

    async def test_head_is_not_encoded(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.request(
            "HEAD", "/catalog.jsonld", headers={"Accept-Encoding": "gzip"}
        )
        assert "content-encoding" not in response.headers


class _Source:
    """An ASGI app streaming ``n`` CSV-like chunks, counting how many it produced."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.produced = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/csv")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i in range(self.n):
            self.produced += 1
            line = f"{i},KE,2020,{i * 0.5},PERCENT,A\n" * 200
            await send({"type": "http.response.body", "body": line.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def drive(app: Any, path: str, accept: str) -> list[tuple[Message, int | None]]:
    """Call ``app`` as a server would; each message sent, with ``produced`` at that time."""
    sent: list[tuple[Message, int | None]] = []
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"accept-encoding", accept.encode()), (b"host", b"testserver")],
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
        "http_version": "1.1",
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append((message, getattr(app.app, "produced", None)))

    await app(scope, receive, send)
    return sent


def bodies(sent: list[tuple[Message, int | None]]) -> list[tuple[bytes, int | None]]:
    return [(m["body"], n) for m, n in sent if m["type"] == "http.response.body"]


class TestOtherBodies:
    async def test_a_path_sent_body_goes_out_as_it_is(self) -> None:
        # given a route answering through the ASGI pathsend extension
        async def route(scope: Scope, receive: Receive, send: Send) -> None:
            headers = [(b"content-type", b"text/csv"), (b"content-length", b"9000")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.pathsend", "path": "/srv/x.csv"})

        sent = await drive(CompressionMiddleware(route), "/x", "gzip")
        # then its start is not held back, and nothing claims an encoding
        assert [m["type"] for m, _ in sent] == ["http.response.start", "http.response.pathsend"]
        assert (b"content-encoding", b"gzip") not in sent[0][0]["headers"]


class TestStreaming:
    @pytest.mark.parametrize("coding", ["gzip", "br"])
    async def test_compressed_bytes_leave_before_the_body_is_complete(self, coding: str) -> None:
        # given a route streaming 400 chunks (about 7 MB)
        source = _Source(400)
        # when it is served compressed
        sent = await drive(CompressionMiddleware(source), "/x", coding)
        # then decodable data left while the route was still producing
        parts = bodies(sent)
        feed = _decoder(coding)
        produced_then, prefix = None, b""
        for body, produced in parts:
            prefix = feed(body)
            if prefix:
                produced_then = produced
                break
        assert produced_then is not None and produced_then < source.n / 4
        assert prefix.startswith(b"0,KE,2020")
        # and the whole decodes to everything the route sent
        whole = decode(coding, b"".join(b for b, _ in parts))
        assert whole.count(b"\n") == 400 * 200
        # every input window gave out bytes: a stream never waits for its end
        assert len([b for b, _ in parts if b]) >= (len(whole) // FLUSH_AFTER) // 2

    async def test_a_real_export_streams_compressed(self, conn: AsyncConnection, app: Any) -> None:
        # given an export of many rows
        dataset = await _many_rows(conn)
        path = f"{CSV}?dataset={dataset['slug']}"
        scope_path, _, query = path.partition("?")
        sent: list[Message] = []
        complete_at_first: list[bool] = []

        async def send(message: Message) -> None:
            if message["type"] == "http.response.body" and message["body"] and not sent:
                complete_at_first.append(not message.get("more_body", False))
            if message["type"] == "http.response.body":
                sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": scope_path,
            "raw_path": scope_path.encode(),
            "query_string": query.encode(),
            "headers": [(b"accept-encoding", b"gzip"), (b"host", b"testserver")],
            "scheme": "http",
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 1234),
            "root_path": "",
            "http_version": "1.1",
        }
        done = False

        async def receive() -> Message:
            nonlocal done
            if not done:
                done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await _forever()
            raise AssertionError

        # when it is served with gzip
        await app(scope, receive, send)
        # then it left in several compressed messages, the first before the end
        assert complete_at_first == [False]
        assert len([m for m in sent if m["body"]]) > 2
        text = gzip.decompress(b"".join(m["body"] for m in sent))
        assert text.count(b"\n") == 60_001


async def _forever() -> None:
    await anyio.sleep_forever()


def _decoder(coding: str) -> Any:
    if coding == "gzip":
        z = zlib.decompressobj(31)
        return z.decompress
    d = brotli.Decompressor()
    return d.process
