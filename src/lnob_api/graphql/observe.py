"""The schema extension that tells observability about each GraphQL operation: its name (for
log lines, the request span and, bounded, metric labels), type, duration and error codes."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Iterable, Iterator
from functools import lru_cache

from strawberry.extensions import SchemaExtension

from graphql import GraphQLError
from lnob_api.observability import metrics, request


@lru_cache(maxsize=8)
def _names(known: tuple[str, ...]) -> metrics.OperationNames:
    return metrics.OperationNames(known)


class ObserveOperation(SchemaExtension):
    def _name_and_type(self) -> tuple[str | None, str]:
        ec = self.execution_context
        name = ec.operation_name
        if ec.graphql_document is None:  # the document did not parse
            return name, "unknown"
        try:
            return name, ec.operation_type.value
        except Exception:  # no operation of that name in the document
            return name, "unknown"

    def on_execute(self) -> Iterator[None]:
        # Parsed and validated by now: resolvers' log lines carry the operation name.
        info = request.current()
        if info is not None:
            name, kind = self._name_and_type()
            info.operation = request.clean_name(name)
            info.operation_type = kind
        yield

    async def on_operation(self) -> AsyncGenerator[None, None]:
        started = time.perf_counter()
        try:
            yield
        finally:  # also when parsing raised (a syntax error leaves through here)
            self._record(time.perf_counter() - started)

    def _record(self, seconds: float) -> None:
        name, kind = self._name_and_type()
        settings = getattr(self.execution_context.context, "settings", None)
        known = tuple(getattr(settings, "metrics_operations", ()) or ())
        metrics.observe_operation(_names(known).label(name), kind, seconds)
        info = request.current()
        if info is not None and info.operation is None:
            info.operation = request.clean_name(name)
            info.operation_type = kind


def record_errors(errors: Iterable[GraphQLError]) -> None:
    """Count errors by ``extensions.code`` (called once they are classified)."""
    metrics.observe_errors((error.extensions or {}).get("code") for error in errors)
