"""The GraphQL ASGI endpoint: builds each request's context."""

from __future__ import annotations

import uuid
from typing import Any

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


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, settings: Settings, database: Database) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
        )
        self.settings = settings
        self.database = database
        self.graphiql_assets = Assets()

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
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
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
