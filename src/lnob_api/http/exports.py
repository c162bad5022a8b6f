"""``GET /exports/observations.csv`` (and ``.csv.gz``): the CSV export, streamed.

Also the pieces the other bulk routes (``/sdmx``, ``/catalog.jsonld``) share: a transaction
held open while a body streams, conditional responses (304) and plain-text errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from lnob_api.auth.principal import ANONYMOUS, Principal
from lnob_api.db import availability
from lnob_api.db.request import drop_connection, for_export
from lnob_api.errors import InvalidInput
from lnob_api.export import service
from lnob_api.export.csv import CSV, CSV_GZ, Variant, chunks_of, gzipped
from lnob_api.export.filters import parse_filter
from lnob_api.http.errors import answer


def exports_routes() -> list[BaseRoute]:
    return [
        Route("/exports/observations.csv", _handler(CSV), methods=["GET"]),
        Route("/exports/observations.csv.gz", _handler(CSV_GZ), methods=["GET"]),
    ]


class HeldTransaction:
    """The request's transaction, opened before the response and closed when its body ends
    (or the client goes away), so that headers and body come from one consistent view:
    a REPEATABLE READ snapshot, so that ``X-Row-Count`` counts exactly the rows sent.

    Its statements get the export time bound (``LNOB_EXPORT_STATEMENT_TIMEOUT``) instead of
    the request one. A stream that breaks off (client gone, shutdown, error) closes its
    connection, which stops the statement on the server instead of letting it run out."""

    def __init__(self, request: Request) -> None:
        self._database = request.app.state.database
        self._cm = self._database.transaction()
        self._conn: AsyncConnection | None = None
        self._bound = request.app.state.settings.export_statement_timeout
        self._streaming = False
        self._health = availability.CURRENT.get()
        self._pid: int | None = None

    async def open(self) -> AsyncConnection:
        conn: AsyncConnection = await self._cm.__aenter__()
        self._conn = conn
        if self._health is not None:  # the outage middleware calls it if the request breaks off
            raw = await conn.get_raw_connection()
            self._pid = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
            self._health.cleanups.append(self._abandon)
            self._health.cancels.append(self._cancel_running)
        await for_export(conn, statement_timeout=self._bound)
        return conn

    async def _abandon(self) -> None:
        await self.close(failed=True)

    async def _cancel_running(self) -> None:
        """The client left before the body: cancel the statement still waiting on the server
        (the request's cancellation does not reach it inside asyncpg)."""
        cancel = getattr(self._database, "cancel_backend", None)
        if self._conn is not None and self._pid is not None and cancel is not None:
            await cancel(self._pid)

    async def close(self, *, failed: bool = False) -> None:
        conn, self._conn = self._conn, None
        if self._health is not None and self._abandon in self._health.cleanups:
            self._health.cleanups.remove(self._abandon)
            self._health.cancels.remove(self._cancel_running)
        if conn is None:
            return
        with anyio.CancelScope(shield=True):
            if not failed:
                await service.settle(conn)
                await self._cm.__aexit__(None, None, None)
                return
            # It broke off: nothing to keep, and the connection may be gone already. Before the
            # body, asyncpg has sent PostgreSQL a cancel request for the running statement;
            # during it, closing the connection is what stops a COPY or a cursor.
            with contextlib.suppress(Exception):
                if self._streaming:
                    await drop_connection(conn)
                await service.settle(conn)
            with contextlib.suppress(Exception):
                err = RuntimeError("response failed")
                await self._cm.__aexit__(type(err), err, None)

    async def body(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``chunks``, then the end of the transaction (rolled back if the stream broke)."""
        failed = True
        self._streaming = True
        try:
            async for chunk in chunks:
                yield chunk
            failed = False
        finally:
            await self.close(failed=failed)


def principal_of(request: Request) -> Principal:
    principal: Principal = getattr(request.state, "principal", ANONYMOUS)
    return principal


def query_lists(request: Request) -> dict[str, list[str]]:
    """Query parameters with every value of a repeated one."""
    params = request.query_params
    return {name: params.getlist(name) for name in params}


def cache_headers(
    request: Request, validators: service.Validators | None, vary: str = "Authorization"
) -> dict[str, str]:
    """Validators and caching rules: ``private`` as soon as a token was used."""
    token = request.headers.get("authorization") is not None
    headers = {
        "Cache-Control": "private, no-cache" if token else "public, no-cache",
        "Vary": vary,
    }
    if validators is not None:
        headers["ETag"] = validators.etag
        if validators.http_date is not None:
            headers["Last-Modified"] = validators.http_date
    return headers


def is_fresh(request: Request, validators: service.Validators) -> bool:
    return service.not_modified(
        validators,
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=request.headers.get("if-modified-since"),
    )


def streamed(
    held: HeldTransaction,
    chunks: AsyncIterator[bytes],
    *,
    media_type: str,
    headers: Mapping[str, str],
) -> StreamingResponse:
    return StreamingResponse(held.body(chunks), media_type=media_type, headers=dict(headers))


def _handler(variant: Variant) -> Any:
    async def endpoint(request: Request) -> Response:
        return await observations_csv(request, variant)

    return endpoint


async def observations_csv(request: Request, variant: Variant) -> Response:
    """The observations the caller may read, as CSV: same filter, visibility and suppression
    as GraphQL's ``observations``; 304 when the caller's copy is current."""
    principal = principal_of(request)
    try:
        export_filter = parse_filter(query_lists(request))
    except InvalidInput as exc:
        return answer(exc)
    held = HeldTransaction(request)
    conn = await held.open()
    try:
        resolved = await service.resolve(conn, principal, export_filter)
        found = await service.validators(
            conn, principal, resolved, variant=variant.name, query=export_filter.canonical()
        )
    except InvalidInput as exc:
        await held.close()
        return answer(exc)
    except BaseException:
        await held.close(failed=True)
        raise
    headers = cache_headers(request, found)
    if is_fresh(request, found):
        await held.close()
        return Response(status_code=304, headers=headers)
    chunks = chunks_of(conn, principal, resolved, export_filter.labels)
    if variant.gzip:
        chunks = gzipped(chunks)
    headers["Content-Disposition"] = f'attachment; filename="{variant.filename}"'
    headers["X-Row-Count"] = str(found.rows)
    return streamed(held, chunks, media_type=variant.media_type, headers=headers)
