"""HTTP answers for domain errors: status and text from ``lnob_api.errors`` (the one mapping
GraphQL's ``userErrors`` share), as short plain text, never cached."""

from __future__ import annotations

from starlette.responses import PlainTextResponse

from lnob_api.errors import http_status, shown

NO_STORE = {"Cache-Control": "no-store"}


def answer(exc: Exception, status: int = 400) -> PlainTextResponse:
    """The plain-text answer for ``exc``: its message, with the status its class gives (404 for
    a missing record, ...) or ``status``."""
    return PlainTextResponse(
        shown(exc) + "\n", status_code=http_status(exc, status), headers=dict(NO_STORE)
    )
