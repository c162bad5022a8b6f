"""The GraphQL ASGI endpoint: builds each request's context, and speaks GraphQL over HTTP
(``graphql.over_http``): request errors as GraphQL JSON, both response media types, 405 for a
mutation over GET, input hygiene (``graphql.inputs``) before anything executes."""

from __future__ import annotations

import json
import uuid
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

from lnob_api.auth.principal import ANONYMOUS
from lnob_api.config import Settings
from lnob_api.db.request import Database, RequestDb
from lnob_api.graphiql.assets import Assets
from lnob_api.graphiql.page import render_page
from lnob_api.graphql import over_http
from lnob_api.graphql.context import Context
from lnob_api.graphql.i18n import negotiate
from lnob_api.graphql.inputs import BadRequest, check_body
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


class _SubResponse(Response):
    """The response under construction, with the media type the client asked for."""

    media: str = over_http.JSON


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, settings: Settings, database: Database) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.database = database
        self.graphiql_assets = Assets()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = self._request_error(request, exc.reason, exc.status_code)
        except BadRequest as exc:
            response = self._request_error(request, exc.message, exc.status, exc.allow)
        except StarletteHTTPException as exc:  # Starlette's form parser: a broken multipart body
            response = self._request_error(request, exc.detail, exc.status_code)
        await response(scope, receive, send)

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
        return value

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
        data = await super().parse_http_body(request)
        assert isinstance(data, GraphQLRequestData)  # batching is off: decode_json refuses lists
        if data.operation_name is not None and not isinstance(data.operation_name, str):
            raise BadRequest("operationName must be a string or null")
        if request.method == "GET":
            check_body({"query": data.query, "operationName": data.operation_name}, "query string")
        return data

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """File uploads (GraphQL multipart requests), refused unless preflight-only headers show
        the request is not a cross-site form post; checked before the body is read."""
        if not any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
            raise HTTPException(400, CSRF_REFUSAL)
        return await super().parse_multipart(request)

    # --- executing -----------------------------------------------------------------------------

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
        try:
            return await self.schema.execute(
                query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
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
        response = process_result(result)
        if over_http.is_request_error(dict(response)):
            response.pop("data", None)  # "data" is absent, not null, when nothing executed
        return response

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


def _request_id(request: Request | WebSocket) -> str:
    found = getattr(request.state, "request_id", None) or uuid.uuid4().hex
    request.state.request_id = found
    return str(found)[:64]


def _no_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON number")


def _refused(message: str, context: Context) -> ExecutionResult:
    """A request error found before executing, as a result (a GraphQL error, no data)."""
    return ExecutionResult(data=None, errors=[over_http.request_error(message, context.request_id)])


__all__ = ["GraphQLApp"]
