"""The DCAT-AP catalog of the datasets the caller may know of, and an IRI for each part.

- ``GET /catalog``: by ``Accept`` (JSON-LD by default, Turtle, RDF/XML, N-Triples, an HTML
  page for ``text/html``; 406 else); ``/catalog.jsonld``, ``/catalog.ttl``, ``/catalog.rdf``
  and ``/catalog.html`` (the catalog's ``foaf:homepage``) name one format each.
- ``GET /catalog/datasets/{slug}``: one dataset (the same formats, or its HTML landing page for
  ``text/html``); ``/catalog/datasets/{slug}.html`` is the landing page.
- ``GET /catalog/datasets/{slug}/distributions/{csv|sdmx}``: one distribution.

Every answer has an entity tag (a hash of its bytes) and honours ``If-None-Match``; a dataset
the caller may not know of is the same 404 as one that does not exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from lnob_api.catalog import rdf, service
from lnob_api.catalog.page import catalog_page, landing_page
from lnob_api.errors import NotFound
from lnob_api.http.errors import answer
from lnob_api.http.exports import cache_headers, principal_of

Build = Callable[[AsyncConnection, str], Awaitable[dict[str, Any] | None]]


def catalog_routes() -> list[BaseRoute]:
    return [
        Route("/catalog", _catalog(None), methods=["GET"]),
        Route("/catalog.jsonld", _catalog(rdf.JSON_LD), methods=["GET"]),
        Route("/catalog.ttl", _catalog(rdf.TURTLE), methods=["GET"]),
        Route("/catalog.rdf", _catalog(rdf.RDF_XML), methods=["GET"]),
        Route("/catalog.html", _catalog(rdf.HTML), methods=["GET"]),
        Route("/catalog/datasets/{name}", dataset, methods=["GET"]),
        Route("/catalog/datasets/{slug}/distributions/{kind}", distribution, methods=["GET"]),
    ]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _catalog(fixed: rdf.Format | None) -> Any:
    async def endpoint(request: Request) -> Response:
        async def build(conn: AsyncConnection, base: str) -> dict[str, Any] | None:
            return await service.catalog(conn, principal_of(request), base=base)

        return await _answer(request, build, fixed=fixed, what="catalog", html=True)

    return endpoint


async def dataset(request: Request) -> Response:
    name: str = request.path_params["name"]
    slug = name.removesuffix(".html")
    principal = principal_of(request)

    async def build(conn: AsyncConnection, base: str) -> dict[str, Any] | None:
        return await service.dataset(conn, principal, base=base, slug=slug)

    fixed = rdf.HTML if name.endswith(".html") else None
    return await _answer(request, build, fixed=fixed, what=f"dataset {slug}", html=True)


async def distribution(request: Request) -> Response:
    slug: str = request.path_params["slug"]
    kind: str = request.path_params["kind"]
    principal = principal_of(request)

    async def build(conn: AsyncConnection, base: str) -> dict[str, Any] | None:
        return await service.distribution_of(conn, principal, base=base, slug=slug, kind=kind)

    return await _answer(request, build, fixed=None, what=f"distribution {kind} of {slug}")


async def _answer(
    request: Request, build: Build, *, fixed: rdf.Format | None, what: str, html: bool = False
) -> Response:
    fmt = fixed or rdf.negotiate(request.headers.get("accept"), html=html)
    if fmt is None:
        return PlainTextResponse(
            f"not acceptable; this resource is offered as {rdf.OFFERED}\n",
            status_code=406,
            headers={"Cache-Control": "no-store"},
        )
    async with request.app.state.database.transaction() as conn:
        document = await build(conn, _base(request))
    if document is None:
        return answer(NotFound(f"no {what} in the catalog"))
    if fmt is rdf.HTML:
        is_catalog = document.get("@type") == "dcat:Catalog"
        body = catalog_page(document) if is_catalog else landing_page(document)
    elif fmt.rdflib is None:
        body = rdf.render(document, fmt)
    else:
        body = await anyio.to_thread.run_sync(rdf.render, document, fmt)
    headers = cache_headers(request, None, vary="Authorization, Accept")
    headers["ETag"] = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if _fresh(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=fmt.media_type, headers=headers)


def _fresh(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags
