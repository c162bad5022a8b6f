"""Refuses URLs PostgreSQL could not use, before any route or the database sees them.

Percent-decoded, a path or query string must be UTF-8 without NUL (``%00``): Starlette would
turn invalid UTF-8 into U+FFFD silently and hand NUL on to SQL, where it fails as a 500. Every
route gets the same 400, in the form its clients read: GraphQL JSON on ``/graphql``, an OAuth
error on ``/oauth``, short plain text elsewhere (as the export and SDMX routes answer).
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send


def url_problem(scope: Scope) -> str | None:
    """What is wrong with the request's path or query string, or None."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogatepass")
    query = scope.get("query_string", b"")
    both = raw_path + query
    if both.isascii() and b"%" not in both and b"\x00" not in both:
        return None  # nothing to decode: plain ASCII (most URLs) is UTF-8 without NUL
    for part, raw in (("path", raw_path), ("query string", query)):
        decoded = unquote_to_bytes(raw.replace(b"+", b" "))
        if b"\x00" in decoded:
            return f"the {part} holds a NUL character (%00)"
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"the {part} is not UTF-8 once percent-decoded (byte {exc.start})"
    return None


def refusal(path: str, message: str) -> Response:
    headers = {"Cache-Control": "no-store"}
    if path.startswith("/graphql"):
        body = {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}
        return Response(json.dumps(body), 400, headers, media_type="application/json")
    if path.startswith(("/oauth", "/.well-known")):
        oauth = {"error": "invalid_request", "error_description": message}
        return JSONResponse(oauth, 400, headers)
    return PlainTextResponse(message + "\n", 400, headers)


class InputHygieneMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (problem := url_problem(scope)) is not None:
            await refusal(scope.get("path", ""), problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)
