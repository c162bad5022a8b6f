"""``Idempotency-Key`` on create mutations: a retried create returns the first response.

A POST whose operation is a mutation made only of creates (``*Create``, ``*Add``, ``*Record``,
uploads, ``recommendationRespond``) and that carries an ``Idempotency-Key`` header runs once
per (principal, key) for 24 hours; a retry with the same request gets the stored response
(header ``Idempotent-Replayed: true``) and writes nothing; the same key with a different
request is refused with HTTP 422. A request refused as a whole (a GraphQL error such as a
missing scope) keeps no key. Other operations ignore the header.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType
from lnob_api.errors import Conflict, InvalidInput
from lnob_api.idempotency import service

HEADER = "idempotency-key"
_CREATE_SUFFIXES = ("Create", "Add", "Record", "Upload")
_CREATES = {"recommendationRespond"}


def _is_create(name: str) -> bool:
    return name in _CREATES or name.endswith(_CREATE_SUFFIXES)


def _root_fields(document: Any, operation_name: str | None) -> list[str] | None:
    """The root field names of the mutation to run; None when it is no mutation."""
    for definition in getattr(document, "definitions", ()):
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (
            definition.name is None or definition.name.value != operation_name
        ):
            continue
        if definition.operation is not OperationType.MUTATION:
            return None
        return [
            s.name.value
            for s in definition.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value != "__typename"
        ]
    return None


def _stored(result: Any) -> dict[str, Any]:
    errors = []
    for error in result.errors or []:
        formatted = dict(error.formatted)
        formatted["extensions"] = {
            k: v for k, v in (formatted.get("extensions") or {}).items() if k != "requestId"
        }
        errors.append(formatted)
    return {"data": result.data, "errors": errors}


def _replayed(stored: dict[str, Any]) -> GraphQLExecutionResult:
    errors = [
        GraphQLError(e["message"], path=e.get("path"), extensions=e.get("extensions"))
        for e in stored.get("errors") or []
    ]
    return GraphQLExecutionResult(data=stored.get("data"), errors=errors or None)


class IdempotentCreates(SchemaExtension):
    """Runs a keyed create once; see the module docstring."""

    async def on_execute(self) -> AsyncGenerator[None, None]:
        ctx = self.execution_context
        context = ctx.context
        request = getattr(context, "request", None)
        key = request.headers.get(HEADER) if request is not None else None
        owner = service.principal_key(context.principal) if key is not None else None
        fields = _root_fields(ctx.graphql_document, ctx.operation_name) if owner else None
        if key is None or owner is None or not fields or not all(map(_is_create, fields)):
            yield
            return
        session = await context.db.session()
        try:
            fingerprint = service.request_hash(ctx.query or "", ctx.operation_name, ctx.variables)
            claim = await service.claim(session, owner, service.check_key(key), fingerprint)
        except (InvalidInput, Conflict, service.KeyReused) as exc:
            status = {InvalidInput: 400, Conflict: 409}.get(type(exc), 422)
            self._answer(status, GraphQLError(exc.message, extensions={"code": exc.code}))
            yield
            return
        if claim.replay is not None:
            ctx.result = _replayed(claim.replay)
            self._header("Idempotent-Replayed", "true")
            yield
            return
        yield
        if claim.key_id is None or ctx.result is None:
            return
        if ctx.result.errors:  # refused as a whole: nothing to replay
            await service.release(session, claim.key_id)
        else:
            await service.save(session, claim.key_id, _stored(ctx.result))

    def _answer(self, status: int, error: GraphQLError) -> None:
        self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.status_code = status

    def _header(self, name: str, value: str) -> None:
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.headers[name] = value
