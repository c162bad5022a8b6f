"""The GraphQL ASGI endpoint: builds each request's context."""

from __future__ import annotations

import uuid
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from lnob_api.auth.principal import ANONYMOUS
from lnob_api.config import Settings
from lnob_api.db.request import Database, RequestDb
from lnob_api.graphiql.assets import Assets
from lnob_api.graphiql.page import render_page
from lnob_api.graphql.context import Context
from lnob_api.graphql.i18n import negotiate
from lnob_api.graphql.schema import schema

# Browsers send multipart/form-data across sites without a CORS preflight, so a multipart
# request must carry a header that only a preflighted (same-origin or CORS-allowed) request can
# have, as Apollo Server and other GraphQL multipart servers require (CSRF protection).
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
CSRF_REFUSAL = (
    "This multipart request has been blocked as a potential cross-site request forgery: send "
    "it with a non-empty Apollo-Require-Preflight header (or X-Apollo-Operation-Name)."
)


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

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """File uploads (GraphQL multipart requests), refused unless preflight-only headers show
        the request is not a cross-site form post; checked before the body is read."""
        if not any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
            raise HTTPException(400, CSRF_REFUSAL)
        return await super().parse_multipart(request)

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
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        principal: Any = getattr(request.state, "principal", ANONYMOUS)
        return Context(
            principal=principal,
            db=RequestDb(self.database),
            settings=self.settings,
            language=negotiate(request.headers.get("accept-language")),
            request_id=request_id[:64],
            request=request,
            response=response,
        )
