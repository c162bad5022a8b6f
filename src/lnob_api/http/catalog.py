"""``GET /catalog.jsonld``: the DCAT-AP catalog of the datasets the caller may read."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lnob_api.catalog import service
from lnob_api.http.exports import cache_headers, principal_of

MEDIA_TYPE = "application/ld+json"


def catalog_routes() -> list[BaseRoute]:
    return [Route("/catalog.jsonld", catalog, methods=["GET"])]


async def catalog(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    async with request.app.state.database.transaction() as conn:
        document = await service.catalog(conn, principal_of(request), base=base)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, media_type=MEDIA_TYPE, headers=cache_headers(request, None))
