"""The CSV export's schema: ``/exports/datapackage.json`` (Frictionless data package),
``/exports/observations.csv-metadata.json`` (CSVW, found next to the CSV as CSVW's default
location) and the code lists they refer to, ``/exports/codelists/{indicators,areas,groups}.csv``.

Entity tags hash the bytes; ``Vary: Authorization``, since the enums list the codes of the
data the caller reads.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lnob_api.errors import NotFound
from lnob_api.export import codelists, datapackage
from lnob_api.http.errors import answer
from lnob_api.http.exports import cache_headers, principal_of

CSVW_MEDIA = "application/csvm+json"


def datapackage_routes() -> list[BaseRoute]:
    return [
        Route("/exports/datapackage.json", package, methods=["GET"]),
        Route("/exports/observations.csv-metadata.json", csvw, methods=["GET"]),
        Route("/exports/codelists/{name}.csv", codelist, methods=["GET"]),
    ]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _answer(request: Request, body: bytes, media_type: str) -> Response:
    headers = cache_headers(request, None)
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers["ETag"] = tag
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        if "*" in tags or tag in tags:
            return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


async def package(request: Request) -> Response:
    async with request.app.state.database.transaction() as conn:
        enums = await datapackage.enums(conn, principal_of(request))
    body = _json(datapackage.datapackage(_base(request), enums))
    return _answer(request, body, "application/json")


async def csvw(request: Request) -> Response:
    async with request.app.state.database.transaction() as conn:
        enums = await datapackage.enums(conn, principal_of(request))
    return _answer(request, _json(datapackage.csvw(_base(request), enums)), CSVW_MEDIA)


async def codelist(request: Request) -> Response:
    found = codelists.CODELISTS.get(request.path_params["name"])
    if found is None:
        names = ", ".join(codelists.CODELISTS)
        return answer(NotFound(f"no such code list; the code lists are {names}"))
    async with request.app.state.database.transaction() as conn:
        rows = await codelists.rows(conn, found)
    return _answer(
        request, codelists.as_csv(found, rows), "text/csv; charset=utf-8; header=present"
    )
