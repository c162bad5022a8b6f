"""Response compression as ASGI middleware: gzip or brotli by ``Accept-Encoding``, streamed.

- The coding is negotiated from ``Accept-Encoding`` (RFC 9110, 12.5.3): q-values, ``*`` and
  ``identity`` are honoured; at equal weight brotli wins over gzip. Without the header, or
  when nothing compressed is acceptable, the body goes out as it is.
- Only textual bodies are compressed (CSV, JSON, XML, RDF, GraphQL...; not server-sent
  events, whose events must not wait for a compressor's block), only on 2xx answers,
  never a body that is already encoded (``Content-Encoding`` set, or ``application/gzip``
  such as ``observations.csv.gz``), never with ``Cache-Control: no-transform``, and never a
  body under ``MINIMUM_SIZE`` that arrives in one message.
- A stream is compressed as it flows: each ASGI body message is fed to the compressor and what
  it gives out is sent on at once; when ``FLUSH_AFTER`` bytes went in without any coming out,
  the compressor is flushed, so a slow stream still reaches the client in bounded steps. The
  memory held is the compressor's window, whatever the size of the export.
- Every compressible answer carries ``Vary: Accept-Encoding``. An encoded variant gets its own
  entity tag, the identity tag with ``-gzip`` or ``-br`` appended inside the quotes; an
  ``If-None-Match`` naming such a tag is turned back into the identity tag before the route
  sees it (only for the coding negotiated now), so conditional requests keep working.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lnob_api.http.middleware import HttpMiddleware

MINIMUM_SIZE = 500
FLUSH_AFTER = 64 * 1024
GZIP_LEVEL = 6
# Quality 4 keeps brotli near gzip's speed with a better ratio (11, its default, is far slower).
BROTLI_QUALITY = 4

# Server preference at equal q: the first wins.
CODINGS = ("br", "gzip")
_TEXTUAL_SUFFIXES = ("+json", "+xml", "+csv")
_TEXTUAL = {
    "application/json",
    "application/xml",
    "application/javascript",
    "application/graphql-response+json",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
}


@lru_cache(maxsize=256)  # clients send a handful of distinct values
def negotiate(accept_encoding: str | None) -> str | None:
    """The content coding to use (``br`` or ``gzip``), or None for the identity."""
    if not accept_encoding:
        return None
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:
                    q = 0.0
        if name == "x-gzip":
            name = "gzip"
        weights[name] = q
    star = weights.get("*")
    best: tuple[float, str] | None = None
    for coding in CODINGS:
        q = weights.get(coding, star if star is not None else 0.0)
        if q > 0 and (best is None or q > best[0]):
            best = (q, coding)
    if best is None:
        return None
    # identity;q=0.9 with gzip;q=0.5: the client prefers what it gets uncompressed. Not
    # named, identity is acceptable but not preferred (gzip;q=0.8 still means gzip).
    identity = weights.get("identity")
    return best[1] if identity is None or best[0] >= identity else None


def compressible(headers: Headers) -> bool:
    """Whether the body is text worth compressing and not encoded yet."""
    if "content-encoding" in headers:
        return False
    return _textual(headers.get("content-type", ""), headers.get("cache-control", ""))


def _compressible_raw(raw: list[tuple[bytes, bytes]]) -> tuple[bool, int | None]:
    """:func:`compressible` over raw (lower-case) response headers in one pass, and the index
    of the first ``Vary`` header."""
    content_type = cache_control = None
    vary = None
    for i, (key, value) in enumerate(raw):
        if key == b"content-encoding":
            return False, vary
        if key == b"content-type":
            content_type = value if content_type is None else content_type
        elif key == b"cache-control":
            cache_control = value if cache_control is None else cache_control
        elif key == b"vary" and vary is None:
            vary = i
    return _textual(
        content_type.decode("latin-1") if content_type is not None else "",
        cache_control.decode("latin-1") if cache_control is not None else "",
    ), vary


def _with_vary(raw: list[tuple[bytes, bytes]], vary: int | None) -> list[tuple[bytes, bytes]]:
    """The raw headers with ``Accept-Encoding`` added to ``Vary``, as Starlette's
    ``MutableHeaders.add_vary_header`` does (one ``Vary`` header, where the first was)."""
    if vary is None:
        return [*raw, (b"vary", b"Accept-Encoding")]
    value = raw[vary][1] + b", Accept-Encoding"
    return [
        (b"vary", value) if i == vary else (k, v)
        for i, (k, v) in enumerate(raw)
        if i == vary or k != b"vary"
    ]


def _textual(content_type: str, cache_control: str) -> bool:
    if "no-transform" in cache_control.lower():
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "text/event-stream":
        return False  # each event must leave at once; a compressor would hold it back
    if media.startswith("text/"):
        return True
    return media in _TEXTUAL or media.endswith(_TEXTUAL_SUFFIXES)


def encoded_tag(tag: str, coding: str) -> str:
    """The entity tag of the ``coding`` variant: ``"abc"`` becomes ``"abc-gzip"``."""
    weak = tag.startswith("W/")
    opaque = tag.removeprefix("W/")
    if not (len(opaque) >= 2 and opaque.startswith('"') and opaque.endswith('"')):
        return tag
    return ("W/" if weak else "") + f'"{opaque[1:-1]}-{coding}"'


def identity_tags(if_none_match: str, coding: str | None) -> tuple[str, bool]:
    """``If-None-Match`` for the route: tags of the negotiated coding's variant become the
    identity tags; tags of another coding's variant are dropped (they name bytes this answer
    will not have). Also tells whether a variant tag was named."""
    out: list[str] = []
    named = False
    for raw in _split_tags(if_none_match):
        opaque = raw.removeprefix("W/")
        body = opaque[1:-1] if opaque.startswith('"') and opaque.endswith('"') else None
        other = body is not None and any(body.endswith(f"-{c}") for c in CODINGS if c != coding)
        if coding is not None and body is not None and body.endswith(f"-{coding}"):
            out.append((raw[:2] if raw.startswith("W/") else "") + f'"{body[: -len(coding) - 1]}"')
            named = True
        elif not other:
            out.append(raw)
    return ", ".join(out), named


def _split_tags(value: str) -> Iterable[str]:
    return (t.strip() for t in value.split(",") if t.strip())


class _Compressor(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...
    def finish(self) -> bytes: ...


class _Gzip:
    def __init__(self) -> None:
        # wbits 31: a gzip member (header and CRC), as browsers and curl expect.
        self._z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data)

    def flush(self) -> bytes:
        return self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._z.flush(zlib.Z_FINISH)


class _Brotli:
    def __init__(self) -> None:
        self._b = brotli.Compressor(quality=BROTLI_QUALITY)

    def compress(self, data: bytes) -> bytes:
        return self._b.process(data)

    def flush(self) -> bytes:
        # brotli has had flush() since 1.0; brotli-stubs 1.2.1 leaves it out.
        return bytes(self._b.flush())  # type: ignore[attr-defined]

    def finish(self) -> bytes:
        return self._b.finish()


def compressor(coding: str) -> _Compressor:
    return _Brotli() if coding == "br" else _Gzip()


def compressed(body: bytes, coding: str) -> bytes:
    """``body`` encoded with ``coding`` as the middleware encodes a body sent in one message."""
    packer = compressor(coding)
    return packer.compress(body) + packer.finish()


class CompressionMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, minimum_size: int = MINIMUM_SIZE) -> None:
        super().__init__(app)
        self.minimum_size = minimum_size

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept_encoding = if_none_match = None
        for key, value in scope["headers"]:  # the first of each, as Headers.get finds it
            if key == b"accept-encoding" and accept_encoding is None:
                accept_encoding = value.decode("latin-1")
            elif key == b"if-none-match" and if_none_match is None:
                if_none_match = value.decode("latin-1")
        coding = negotiate(accept_encoding)
        named = False
        if if_none_match is not None:
            rewritten, named = identity_tags(if_none_match, coding)
            scope = dict(scope)
            headers = [(k, v) for k, v in scope["headers"] if k != b"if-none-match"]
            if rewritten:
                headers.append((b"if-none-match", rewritten.encode("latin-1")))
            scope["headers"] = headers
        responder = _Responder(send, coding, named=named, minimum_size=self.minimum_size)
        if scope.get("method") == "HEAD":
            responder.coding = None
        await self.app(scope, receive, responder.send)


class _Responder:
    """Wraps ``send`` for one response."""

    def __init__(self, send: Send, coding: str | None, *, named: bool, minimum_size: int):
        self._send = send
        self.coding = coding
        self._named = named
        self._minimum = minimum_size
        self._start: Message | None = None
        self._compressor: _Compressor | None = None
        self._pending = 0
        self._passing = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._on_start(message)
        elif kind == "http.response.body" and not self._passing:
            await self._on_body(message)
        else:
            if self._start is not None:
                # A body by another means (the pathsend extension): it goes out as it is.
                start, self._start = self._start, None
                self._passing = True
                await self._send(start)
            await self._send(message)

    async def _on_start(self, message: Message) -> None:
        status = int(message["status"])
        if status == 304:
            # No body, no content type: the tag names the variant the client holds, and the
            # Vary is the one its 200 would carry.
            headers = MutableHeaders(raw=list(message.get("headers", [])))
            self._passing = True
            headers.add_vary_header("Accept-Encoding")
            if self.coding is not None and self._named and "etag" in headers:
                headers["ETag"] = encoded_tag(headers["etag"], self.coding)
            await self._send({**message, "headers": headers.raw})
            return
        raw = list(message.get("headers", []))
        textual, vary = _compressible_raw(raw)
        if not textual:
            self._passing = True
            await self._send(message)
            return
        raw = _with_vary(raw, vary)
        if self.coding is None or not 200 <= status < 300 or status in (204, 206):
            self._passing = True
            await self._send({**message, "headers": raw})
            return
        self._start = {**message, "headers": raw}

    async def _on_body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        start = self._start
        if start is not None:
            self._start = None
            if not more and len(body) < self._minimum:
                await self._send(start)  # too small to be worth it: sent as it is
                self._passing = True
                await self._send(message)
                return
            await self._send(self._encoded_start(start))
            assert self.coding is not None
            self._compressor = compressor(self.coding)
        packer = self._compressor
        assert packer is not None
        out = packer.compress(body) if body else b""
        self._pending = 0 if out else self._pending + len(body)
        if not more:
            out += packer.finish()
            # Its window and tables (~1 MiB for brotli, outside Python's own allocator) go now,
            # not whenever this responder is freed: a cycle through the request (an exception's
            # traceback) can keep the responder until a full collection (issue 12).
            self._compressor = None
        elif self._pending >= FLUSH_AFTER:
            out += packer.flush()
            self._pending = 0
        if out or not more:
            await self._send({"type": "http.response.body", "body": out, "more_body": more})

    def _encoded_start(self, start: Message) -> Message:
        assert self.coding is not None
        headers = MutableHeaders(raw=list(start["headers"]))
        del headers["content-length"]
        del headers["accept-ranges"]  # byte ranges of the identity body would not fit
        headers["Content-Encoding"] = self.coding
        if "etag" in headers:
            headers["ETag"] = encoded_tag(headers["etag"], self.coding)
        return {**start, "headers": headers.raw}
