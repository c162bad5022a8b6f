"""The GraphQL ASGI endpoint: builds each request's context, and speaks GraphQL over HTTP
(``graphql.over_http``): request errors as GraphQL JSON, both response media types, 405 for a
mutation over GET, input hygiene (``graphql.inputs``) before anything executes; persisted
documents (``graphql.persisted``), the response cache of repeated reads (``lnob_api.cache``)
and HTTP caching headers (``ETag``, ``Cache-Control``, ``Vary``) on GET queries."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Hashable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graphql import GraphQLError, get_operation_ast, parse
from graphql import OperationType as AstOperation
from lnob_api.auth.deferred import RememberedChecks, deferred_check
from lnob_api.auth.principal import ANONYMOUS
from lnob_api.cache.body import throttle_span, with_throttle
from lnob_api.cache.repository import next_change_statement
from lnob_api.cache.store import Entry, ResponseCache, scope_of
from lnob_api.config import Settings
from lnob_api.db.request import Database, RequestDb
from lnob_api.graphiql.assets import Assets
from lnob_api.graphiql.page import render_page
from lnob_api.graphql import fasthit, lane, over_http
from lnob_api.graphql.compiled import RESTART, Compiled, CompiledReads, RawResponse
from lnob_api.graphql.context import Context
from lnob_api.graphql.i18n import negotiate
from lnob_api.graphql.inputs import BadRequest, check_body
from lnob_api.graphql.persisted import Documents, PersistedError
from lnob_api.graphql.schema import schema

# Browsers send multipart/form-data across sites without a CORS preflight, so a multipart
# request must carry a header that only a preflighted (same-origin or CORS-allowed) request can
# have, as Apollo Server and other GraphQL multipart servers require (CSRF protection).
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
CSRF_REFUSAL = (
    "This multipart request has been blocked as a potential cross-site request forgery: send "
    "it with a non-empty Apollo-Require-Preflight header (or X-Apollo-Operation-Name)."
)
ACCEPTED_BODIES = ("application/json", "multipart/form-data")
# A cached or cacheable answer differs by these request headers (and Accept-Encoding, which the
# compression middleware adds).
VARY = "Accept, Accept-Language, Authorization"
_CACHEABLE = "lnob_cacheable"
# False: each Content-Type header parsed again (bench/request_profile.py --ab hit).
REMEMBER_MEDIA_TYPES = True
# Set while the view decodes a POST body, so that only the body (not variables) names a
# persisted document.
_DECODING_BODY: ContextVar[bool] = ContextVar("lnob_decoding_body", default=False)


class _SubResponse(Response):
    """The response under construction, with the media type the client asked for."""

    media: str = over_http.JSON


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        settings: Settings,
        database: Database,
        cache: ResponseCache | None = None,
        remembered: RememberedChecks | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.database = database
        self.graphiql_assets = Assets()
        self.documents = Documents()
        # None: no response cache (the tests' apps, unless a test sets one).
        self.cache = cache
        if remembered is not None:  # the bearer checks remember the cache's version
            remembered.versions = self._cache_version
        self.compiled = CompiledReads(settings, database)
        # A plain JSON POST answered around Strawberry's HTTP view (graphql.lane); False: every
        # request through the view, for the A/B of bench/request_profile.py.
        self.lane = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._answer(request)
        except PersistedError as exc:
            media = over_http.negotiate(request.headers.get("accept"))
            status = exc.graphql_status if media == over_http.GRAPHQL_RESPONSE else exc.json_status
            body = over_http.error_body(exc.message, _request_id(request), exc.code)
            response = Response(body, status, media_type=over_http.content_type(media))
        except HTTPException as exc:
            response = self._request_error(request, exc.reason, exc.status_code)
        except BadRequest as exc:
            response = self._request_error(request, exc.message, exc.status, exc.allow)
        except StarletteHTTPException as exc:  # Starlette's form parser: a broken multipart body
            response = self._request_error(request, exc.detail, exc.status_code)
        # Nothing executed with a deferred bearer check unsettled (a request error, the IDE):
        # it is run before anything is answered, a refusal a 401 (auth.deferred).
        await _confirmed(request)
        await response(scope, receive, send)

    # --- the response cache and HTTP caching ------------------------------------------------

    def _cache_version(self) -> int | None:
        return self.cache.version if self.cache is not None else None

    async def _answer(self, request: Request) -> Response:
        cache, version = self.cache, -1
        # The key holds the principal's scope: checked first, unless the cache vouches for the
        # token's remembered check (auth.deferred, cache.leases): then a hit needs no statement.
        check = deferred_check(request.scope.get("state") or {}) if cache is not None else None
        if cache is not None and (check is None or not cache.trusts(check.remembered.version)):
            await _confirmed(request)
            check = None
        key = await self._cache_key(request)
        if key is not None and cache is not None:  # what the fast lane remembers of it
            request.scope.setdefault("state", {})[fasthit.KEY_STATE] = key
        if key is not None and cache is not None and cache.usable():
            hit = cache.get(key)
            if hit is not None and check is not None:
                if cache.trusts(check.remembered.version):
                    check.settle_remembered()
                else:  # a write was heard while the key was read: checked as usual
                    await _confirmed(request)
                    return await self._answer(request)
            body = await _charged(request, hit) if hit is not None else None
            if hit is not None and body is not None:
                request.scope.setdefault("state", {})[fasthit.HIT_STATE] = (hit, body)
                replay = _replayed(body, hit)
                return self._http_caching(request, replay, hit.expires)
            version = cache.version
        response = (await lane.answer(self, request, _DECODING_BODY) if self.lane else None) or (
            await self.run(request)
        )
        if (
            key is None
            or response.status_code != 200
            or not getattr(request.state, _CACHEABLE, False)
        ):
            return response
        expires = None
        if check is not None and request.state.principal != check.remembered.principal:
            return self._http_caching(request, response, expires)  # keyed for the old one
        if cache is not None and version == cache.version and cache.usable():
            expires = await cache.deadline()
            entry = _entry(request, response, expires) if expires is not None else None
            if entry is not None:
                cache.put(key, entry, version)
        return self._http_caching(request, response, expires)

    def _http_caching(
        self, request: Request, response: Response, expires: float | None
    ) -> Response:
        return _http_caching(request, response, expires, self.settings.public_max_age)

    async def _cache_key(self, request: Request) -> Hashable | None:
        """What identifies a read's response: the request's bytes, media type, language and
        the caller's whole visibility scope; None for requests never cached."""
        if request.method == "GET":
            raw = request.scope.get("query_string", b"")
            if not raw:
                return None
        elif request.method == "POST" and self.cache is not None:
            if _media_type(request.headers.get("content-type", "")) != "application/json":
                return None
            raw = await request.body()
        else:
            return None
        principal: Any = getattr(request.state, "principal", ANONYMOUS)
        return (
            request.method,
            raw,
            over_http.negotiate(request.headers.get("accept")),
            negotiate(request.headers.get("accept-language")),
            scope_of(principal),
        )

    async def next_change(self) -> float | None:
        """Seconds until the next time-driven visibility change, from the request database
        (the listener asks on its own connection instead)."""
        async with self.database.transaction() as conn:
            value = (await conn.execute(next_change_statement())).scalar()
        return None if value is None else float(value)

    def _request_error(
        self, request: Request, message: str, status: int, allow: str | None = None
    ) -> Response:
        media = over_http.negotiate(request.headers.get("accept"))
        headers = {"Allow": allow} if allow else {}
        if status == 405 and not allow:
            headers["Allow"] = "GET, POST"
        body = over_http.error_body(message, _request_id(request))
        return Response(body, status, headers, media_type=over_http.content_type(media))

    # --- reading the request ------------------------------------------------------------------

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON: UTF-8, no NaN or Infinity, bounded nesting, storable strings."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError as exc:
            raise BadRequest(f"the body is not UTF-8 text (byte {exc.start})") from None
        try:
            value = json.loads(text, parse_constant=_no_constant)
        except RecursionError:
            raise BadRequest("the JSON is nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise BadRequest(
                f"the body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except ValueError as exc:  # e.g. an integer with thousands of digits
            raise BadRequest(f"the JSON cannot be read: {exc}") from None
        check_body(value)
        if isinstance(value, list):
            raise BadRequest("batching is not enabled: send one operation per request")
        if not isinstance(value, dict):
            raise BadRequest('the JSON must be an object, such as {"query": "{ viewer { kind } }"}')
        if _DECODING_BODY.get():
            _DECODING_BODY.set(False)
            self.documents.resolve(value)
        return value

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        data = super().parse_query_params(params)
        if "documentId" in data and data.get("operationName") == "":
            del data["operationName"]  # the same as omitting it, says the appendix
        self.documents.resolve(data)
        return data

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type not in ACCEPTED_BODIES:
                raise BadRequest(
                    f"unsupported Content-Type {content_type or '(none)'!r}: send "
                    "application/json (multipart/form-data for file uploads)",
                    415,
                )
            if content_type == "application/json":
                _DECODING_BODY.set(True)
        data = await super().parse_http_body(request)
        assert isinstance(data, GraphQLRequestData)  # batching is off: decode_json refuses lists
        if data.operation_name is not None and not isinstance(data.operation_name, str):
            raise BadRequest("operationName must be a string or null")
        if request.method == "GET":
            check_body({"query": data.query, "operationName": data.operation_name}, "query string")
        return data

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a persisted-document request, which names its document instead."""
        params = request.query_params
        if params.get("documentId") is not None or params.get("extensions") is not None:
            return False
        return super().should_render_graphql_ide(request)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """File uploads (GraphQL multipart requests), refused unless preflight-only headers show
        the request is not a cross-site form post; checked before the body is read."""
        if not any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
            raise HTTPException(400, CSRF_REFUSAL)
        return await super().parse_multipart(request)

    # --- executing -----------------------------------------------------------------------------

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        if isinstance(request_data, list) or self._get_stream_transport(request_data.protocol):
            await _confirmed(request, context)  # only execute_single folds the bearer check
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        method = request_adapter.method
        allowed = OperationType.from_http(method)
        query, name = request_data.query, request_data.operation_name
        if query is not None and name is None and over_http.operation_count(query) > 1:
            return _refused(
                "the document has several operations: choose one with operationName", context
            )
        db = context.db
        db.single_read()  # the compiled path runs one statement, in one round trip
        bearer = deferred_check(request.scope.get("state") or {})
        compiled = await self.compiled.execute(query, name, request_data.variables, context, bearer)
        if compiled is RESTART:  # the token's facts changed: again, for its new principal
            assert bearer is not None
            context.principal = request.state.principal = bearer.principal
            context.db = db = RequestDb(self.database)
            db.single_read()
            compiled = await self.compiled.execute(query, name, request_data.variables, context)
        if compiled is not None:  # one SQL statement wrote the body (graphql.compiled)
            if not compiled.errors:
                setattr(request.state, _CACHEABLE, True)
            return compiled
        if context.db is db:  # untouched: Strawberry's statements share one transaction
            context.db = RequestDb(self.database)
        await _confirmed(request, context)  # before Strawberry executes anything
        try:
            result = await self.schema.execute(
                query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
            if not result.errors and query is not None and _is_query(query, name):
                setattr(request.state, _CACHEABLE, True)
            return result
        except CannotGetOperationTypeError:
            return _refused(f"the document has no operation named {name!r}", context)
        except InvalidOperationTypeError as exc:
            kind = exc.as_http_error_reason(method).split(" ")[0]
            raise BadRequest(f"{kind} must be sent with POST", 405, allow="POST") from None
        except MissingQueryError:
            raise BadRequest("the request has no query") from None

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if isinstance(result, Compiled):
            request.state.lnob_cost = result.cost
            raw = RawResponse(data={})
            raw.body = result.body
            return raw  # type: ignore[return-value]
        response = process_result(result)
        extensions = response.get("extensions") or {}
        request.state.lnob_cost = extensions.get("cost") if isinstance(extensions, dict) else None
        if over_http.is_request_error(dict(response)):
            response.pop("data", None)  # "data" is absent, not null, when nothing executed
        return response

    def encode_json(self, data: object) -> str | bytes:
        if isinstance(data, RawResponse):
            return data.body  # PostgreSQL's JSON text, never decoded here
        return super().encode_json(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = _SubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        sub_response.media = over_http.negotiate(request.headers.get("accept"))
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media = getattr(sub_response, "media", over_http.JSON)
        response.headers["content-type"] = over_http.content_type(media)
        if not sub_response.status_code and isinstance(response_data, dict):
            response.status_code = over_http.status_of(dict(response_data), media)
        return response

    # --- the rest --------------------------------------------------------------------------------

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the vendored files, with its log-in button (see ``lnob_api.graphiql``)."""
        page = render_page(
            issuer=self.settings.issuer,
            assets=self.graphiql_assets.page_assets(),
            cdn_origin=self.graphiql_assets.cdn_origin,
        )
        return HTMLResponse(page.html, headers=page.headers)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        principal: Any = getattr(request.state, "principal", ANONYMOUS)
        return Context(
            principal=principal,
            db=RequestDb(self.database),
            settings=self.settings,
            language=negotiate(request.headers.get("accept-language")),
            request_id=_request_id(request),
            request=request,
            response=response,
        )


async def _confirmed(request: Request, context: Context | None = None) -> None:
    """Run the request's deferred bearer check, if any is still unsettled (InvalidToken
    reaches the authentication middleware, which answers 401); the principal is the one it
    finds from then on."""
    check = deferred_check(request.scope.get("state") or {})
    if check is None:
        return
    principal = await check.confirm()
    request.state.principal = principal
    if context is not None:
        context.principal = principal


def _request_id(request: Request | WebSocket) -> str:
    found = getattr(request.state, "request_id", None) or uuid.uuid4().hex
    request.state.request_id = found
    return str(found)[:64]


def _media_type(header: str) -> str:
    """The media type of a Content-Type header, as Strawberry's parse_content_type finds it
    (remembered per header value: parsing it builds an email message each time)."""
    return _parsed_media_type(header) if REMEMBER_MEDIA_TYPES else parse_content_type(header)[0]


@lru_cache(maxsize=64)
def _parsed_media_type(header: str) -> str:
    return parse_content_type(header)[0]


@lru_cache(maxsize=512)
def _is_query(query: str, name: str | None) -> bool:
    """Whether the operation run is a query (a document that executed without errors)."""
    try:
        operation = get_operation_ast(parse(query, no_location=True), name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation is AstOperation.QUERY


def _entry(request: Request, response: Response, expires: float) -> Entry | None:
    """What to keep of a response, or None when it cannot be replayed faithfully."""
    # In their order, the length's place kept (filled for each hit's body: ``_replayed``).
    headers = tuple((k, "" if k == "content-length" else v) for k, v in response.headers.items())
    if any(k == "set-cookie" for k, _ in headers):
        return None
    body = bytes(response.body)
    cost: Any = getattr(request.state, "lnob_cost", None)
    if getattr(request.state, "ratelimit", None) is None:
        return Entry(body, 200, headers, expires)
    if not isinstance(cost, dict) or not isinstance(cost.get("requestedQueryCost"), int):
        return None  # a metered caller's hit must be charged: without its cost, no entry
    span = throttle_span(body, cost.get("throttleStatus"))
    if span is None:
        return None
    charge = (cost["requestedQueryCost"], cost.get("actualQueryCost") or 0)
    return Entry(body, 200, headers, expires, cost=charge, throttle=span)


def _replayed(body: bytes, entry: Entry) -> Response:
    """A hit's response: ``body`` with the kept response's headers in their order, the length
    this body's, as the miss that filled the entry sent them."""
    response = Response(body, entry.status)
    length = str(len(body)).encode()
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in entry.headers]
    if not any(k == b"content-length" for k, _ in raw):
        raw.append((b"content-length", b""))
    response.raw_headers = [(k, length if k == b"content-length" else v) for k, v in raw]
    return response


async def _charged(request: Request, entry: Entry) -> bytes | None:
    """The entry's body for this caller, its cost taken from the caller's budget (as the cost
    extension does); None when the budget refuses (the normal path then says THROTTLED)."""
    budget: Any = getattr(request.state, "ratelimit", None)
    if budget is None:
        return entry.body
    if entry.cost is None or entry.throttle is None:
        return None
    decision = await budget.take(entry.cost[0])
    if not decision.allowed:
        return None
    await budget.settle(entry.cost[1])
    decision = budget.decision
    throttle = decision.throttle_status()
    return with_throttle(entry.body, entry.throttle, throttle)


def _http_caching(
    request: Request, response: Response, expires: float | None, limit: int
) -> Response:
    """ETag, Cache-Control and Vary on a successful GET query; 304 when If-None-Match
    matches. Public (anonymous) reads may be kept by shared caches until the next change the
    response cache knows of (``limit`` seconds at most); signed-in reads are private."""
    if request.method != "GET":
        return response
    etag = f'W/"{hashlib.sha256(bytes(response.body)).hexdigest()[:32]}"'
    principal: Any = getattr(request.state, "principal", ANONYMOUS)
    if principal.is_anonymous:
        age = 0 if expires is None else min(limit, int(expires - time.monotonic()))
        control = f"public, max-age={age}" if age > 0 else "public, no-cache"
    else:
        control = "private, no-cache"
    headers = {"ETag": etag, "Cache-Control": control, "Vary": VARY}
    if etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    tags = {t.strip() for t in header.split(",")}
    return tags | {t[2:] for t in tags if t.startswith("W/")} | {f"W/{t}" for t in tags}


def _no_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON number")


def _refused(message: str, context: Context) -> ExecutionResult:
    """A request error found before executing, as a result (a GraphQL error, no data)."""
    return ExecutionResult(data=None, errors=[over_http.request_error(message, context.request_id)])


__all__ = ["GraphQLApp"]
