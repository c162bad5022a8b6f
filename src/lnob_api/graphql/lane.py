"""The short way through the GraphQL endpoint for a plain JSON POST (issue 12).

A compiled read spends about a fifth of its Python in Strawberry's HTTP view around it: a
request adapter, the content type parsed twice with ``email.message``, the streaming
transports looked up, the IDE considered. A POST whose body is one JSON operation needs none
of that: this reads the body with the endpoint's own strict decoder (persisted documents
resolved, input hygiene, the same ``BadRequest``s), builds the context and runs the
endpoint's ``execute_single`` (the compiled path first, Strawberry's execution otherwise), and
turns the result into a response with the endpoint's own ``process_result`` and
``create_response``: the same body, status and headers as the view's. Anything else (GET,
multipart, a batch, a streaming Accept, a field of the wrong type, whose refusal the view
words) returns None before anything executed, and the view answers as before.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLRequestData

SIMPLE = (str, type(None))
OBJECT = (dict, type(None))


def _media_type(request: Request) -> str:
    """The request's media type, lower case, without parameters."""
    raw = request.headers.get("content-type", "")
    return raw.partition(";")[0].strip().lower()


async def answer(view: Any, request: Request, decoding: Any) -> Response | None:
    """The response to a plain JSON POST, or None for the view to answer (see the module
    docstring). ``decoding`` is the view's flag that lets the body name a persisted
    document."""
    if request.method != "POST" or _media_type(request) != "application/json":
        return None
    if view._get_stream_transport_from_headers(request.headers) is not None:
        return None
    decoding.set(True)
    data = view.decode_json(await request.body())  # BadRequest as the view would raise it
    decoding.set(False)
    query, variables = data.get("query"), data.get("variables")
    name, extensions = data.get("operationName"), data.get("extensions")
    if not (
        isinstance(query, SIMPLE)
        and isinstance(name, SIMPLE)
        and isinstance(variables, OBJECT)
        and isinstance(extensions, OBJECT)
    ):
        return None  # the view's own refusal
    request_data = GraphQLRequestData(
        query=query, variables=variables, operation_name=name, extensions=extensions
    )
    sub_response = await view.get_sub_response(request)
    context = await view.get_context(request, response=sub_response)
    result = await view.execute_single(
        request, _Method(request.method), sub_response, context, None, request_data
    )
    response_data = await view.process_result(request, result)
    if result.errors:
        view._handle_errors(result.errors, response_data)
    response: Response = view.create_response(response_data, sub_response)
    return response


class _Method:
    """What ``execute_single`` reads of the request adapter."""

    def __init__(self, method: str) -> None:
        self.method = method
