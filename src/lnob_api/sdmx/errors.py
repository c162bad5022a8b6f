"""SDMX error messages: an SDMX-ML 2.1 ``<message:Error>`` (or, when the client prefers JSON,
an SDMX-JSON ``errors`` message) with the standard codes of the SDMX 2.1 web services
guidelines, sent with the HTTP status that says the same thing.

    HTTP 400 -> 140 Syntax error (150 Semantic error for a query that is well formed but
                cannot be answered as asked)
    HTTP 404 -> 100 No results found (unknown flow, code, dataset or resource included)
    HTTP 406 -> 406 Not acceptable
    HTTP 413 -> 130 Response too large due to client request
    HTTP 500 -> 500 Internal server error;  501 -> 501 Not implemented;
    HTTP 503 -> 503 Service unavailable
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from lnob_api.errors import http_status, shown
from lnob_api.sdmx import model
from lnob_api.sdmx.xml import DECLARATION, text, xmlns

NO_RESULTS = 100
UNAUTHORIZED = 110
TOO_LARGE = 130
SYNTAX = 140
SEMANTIC = 150
NOT_ACCEPTABLE = 406
INTERNAL = 500
NOT_IMPLEMENTED = 501
UNAVAILABLE = 503

TITLES = {
    NO_RESULTS: "No results found",
    UNAUTHORIZED: "Unauthorized",
    TOO_LARGE: "Response too large due to client request",
    SYNTAX: "Syntax error",
    SEMANTIC: "Semantic error",
    NOT_ACCEPTABLE: "Not acceptable",
    INTERNAL: "Internal server error",
    NOT_IMPLEMENTED: "Not implemented",
    UNAVAILABLE: "Service unavailable",
}
_BY_STATUS = {
    400: SYNTAX,
    401: UNAUTHORIZED,
    404: NO_RESULTS,
    406: NOT_ACCEPTABLE,
    413: TOO_LARGE,
    500: INTERNAL,
    501: NOT_IMPLEMENTED,
    503: UNAVAILABLE,
}
XML_TYPE = "application/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def wants_json(request: Request) -> bool:
    """JSON when ``format=jsondata`` or the most preferred accepted type is a JSON one."""
    if (request.query_params.get("format") or "").strip().lower() == "jsondata":
        return True
    accept = request.headers.get("accept") or ""
    best: tuple[float, int, str] | None = None
    for order, item in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media and q > 0 and (best is None or (-q, order) < (-best[0], best[1])):
            best = (q, order, media.lower())
    return best is not None and "json" in best[2]


def error_response(
    request: Request, status: int, message: str, *, code: int | None = None
) -> Response:
    """The SDMX error message for ``status`` (code from the table above unless given)."""
    code = (
        code if code is not None else _BY_STATUS.get(status, INTERNAL if status >= 500 else SYNTAX)
    )
    headers = {"Cache-Control": "no-store", "Vary": "Accept"}
    if wants_json(request):
        return Response(json_error(code, message), status, media_type=JSON_TYPE, headers=headers)
    return Response(xml_error(code, message), status, media_type=XML_TYPE, headers=headers)


def from_exception(request: Request, exc: Exception, status: int = 400) -> Response:
    """An error response for a domain error, naming what was wrong, with the status
    ``lnob_api.errors`` gives its class (NotFound is 404), else ``status``."""
    return error_response(request, http_status(exc, status), shown(exc))


def xml_error(code: int, message: str) -> bytes:
    return (
        DECLARATION
        + "<message:Error"
        + xmlns("message", "common", "xsi")
        + f'><message:ErrorMessage code="{code}">'
        + f'<common:Text xml:lang="en">{text(message)}</common:Text>'
        + "</message:ErrorMessage></message:Error>"
    ).encode()


def json_error(code: int, message: str) -> bytes:
    prepared = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    body = {
        "meta": {
            "id": f"IREF{uuid.uuid4().hex[:16].upper()}",
            "test": False,
            "prepared": prepared,
            "sender": {"id": model.AGENCY, "name": model.AGENCY_NAME},
        },
        "errors": [{"code": code, "title": TITLES.get(code, "Error"), "detail": message}],
    }
    return json.dumps(body).encode()
