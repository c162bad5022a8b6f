"""Schema extensions: the request transaction."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from strawberry.extensions import SchemaExtension

from lnob_api.graphql.errors import is_unexpected


class RequestTransaction(SchemaExtension):
    """Closes the request's transaction when the operation ends: commit, or roll back when an
    unexpected error happened (expected domain errors undo only their own savepoint)."""

    async def on_operation(self) -> AsyncGenerator[None, None]:
        yield
        context = self.execution_context.context
        db = getattr(context, "db", None)
        if db is None:
            return
        errors = self.execution_context.pre_execution_errors or []
        await db.close(failed=any(is_unexpected(e) for e in errors))
