"""Request ids: taken from ``X-Request-Id`` (when sane) or made up, echoed on every response,
and carried into error messages and audit events."""

from __future__ import annotations

import os
import re

from starlette.types import Message, Receive, Scope, Send

from lnob_api.http.middleware import HttpMiddleware

_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id() -> str:
    """A random UUID (version 4) in hex, as ``uuid.uuid4().hex`` gives it, without building a
    ``UUID`` (0.7 against 7.8 µs here)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


class RequestIdMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = given if _SANE.match(given) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)
