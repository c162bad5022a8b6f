"""Schema extensions: the request transaction (and where it runs: a read replica for queries)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from lnob_api.graphql.errors import is_unexpected
from lnob_api.idempotency.service import principal_key


class RequestTransaction(SchemaExtension):
    """Closes the request's transaction when the operation ends: commit, or roll back when an
    unexpected error happened (expected domain errors undo only their own savepoint)."""

    async def on_operation(self) -> AsyncGenerator[None, None]:
        failed = True  # unless the operation comes back: an exception rolls back
        try:
            yield
            failed = False
        finally:  # always, so that no transaction is left for garbage collection to end
            db = getattr(self.execution_context.context, "db", None)
            if db is not None:
                errors = self.execution_context.pre_execution_errors or []
                await db.close(failed=failed or any(is_unexpected(e) for e in errors))

    async def on_execute(self) -> AsyncGenerator[None, None]:
        # With a read replica (DATABASE_READ_URL), a query may read there; a mutation keeps
        # its principal's next reads on the primary for a while (read-your-writes).
        context = self.execution_context.context
        db = getattr(context, "db", None)
        principal = getattr(context, "principal", None)
        who = principal_key(principal) if principal is not None else None
        query = self.execution_context.operation_type is OperationType.QUERY
        if db is not None and query:
            db.read_only(who)
        elif db is not None:
            await db.wrote(who)
        yield
