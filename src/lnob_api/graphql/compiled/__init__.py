"""The compiled read path: a query answered by one SQL statement whose result is the
response's JSON text (see ``build`` and docs/compiled.md).

``CompiledReads.execute`` parses and validates the document with the app's rules (cached per
document), coerces the variables and costs the operation exactly as the ``QueryCost``
extension does, builds the statement and runs it in the request's transaction. Anything it
does not cover returns None, counted in ``lnob_compiled_fallbacks_total`` with a bounded
``reason``, and the request goes through Strawberry as before.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from functools import lru_cache
from typing import Any

from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionResult

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from lnob_api.db.request import RequestDb
from lnob_api.graphql.compiled import render
from lnob_api.graphql.compiled.build import Compiler, Unsupported
from lnob_api.graphql.cost_model import CostRules, prepare, requested_cost
from lnob_api.graphql.observe import _names
from lnob_api.graphql.schema import STATIC_RULES, schema
from lnob_api.idempotency.service import principal_key
from lnob_api.observability import metrics, request
from lnob_api.ratelimit import RequestBudget
from lnob_api.read.keyset import DEFAULT_PAGE_SIZE

MAX_TOKENS = 5000  # the schema's MaxTokensLimiter
RULES = (*specified_rules, *STATIC_RULES, MaybeNullValidationRule, OneOfInputValidationRule)

# Fallbacks by reason in this process (the metric counts them across workers).
FALLBACKS: Counter[str] = Counter()
log = logging.getLogger(__name__)


def fallback(reason: str) -> None:
    """Count a query handed back to Strawberry."""
    FALLBACKS[reason] += 1
    counter: Any = metrics.COMPILED_FALLBACKS
    if "reason" in getattr(counter, "_labelnames", ()):
        counter.labels(reason).inc()
    else:
        counter.inc()


class Compiled(ExecutionResult):
    """A result whose response body is already written (``body``: the whole JSON)."""

    def __init__(self, body: bytes, cost: dict[str, Any]) -> None:
        super().__init__(data=None, errors=None)
        self.body = body
        self.cost = cost


class RawResponse(dict[str, Any]):
    """What ``process_result`` hands on for a compiled result: the encoder returns ``body``."""

    body: bytes = b""


@lru_cache(maxsize=512)
def _document(query: str) -> DocumentNode | None:
    """The parsed document when it passes the app's validation rules, else None."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None
    if validate(schema._schema, document, RULES):
        return None
    return document


class CompiledReads:
    """The hook ``GraphQLApp.execute_single`` calls first."""

    def __init__(self, settings: Any, database: Any) -> None:
        self.settings = settings
        self.database = database
        self.rules = CostRules(default_page=DEFAULT_PAGE_SIZE, max_page=settings.max_page_size)

    async def execute(
        self,
        query: str | None,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        context: Any,
    ) -> Compiled | None:
        if not self.settings.compiled or query is None:
            return None
        started = time.perf_counter()
        document = _document(query)
        if document is None:
            return _fell("invalid")
        definition = get_operation_ast(document, operation_name)
        if definition is None:
            return _fell("operation")
        if definition.operation is not OperationType.QUERY:
            return _fell(definition.operation.value)
        op = prepare(schema._schema, document, operation_name, variables, self.rules)
        if op is None or isinstance(op, list):
            return _fell("variables")
        try:
            requested = requested_cost(op)
        except (GraphQLError, ValueError, TypeError, RecursionError):
            return _fell("cost")
        limit = self.settings.query_cost_limit
        if requested > limit:
            return _fell("cost")
        compiler = Compiler(
            schema=schema,
            op=op,
            principal=context.principal,
            language=context.language,
            max_page=self.settings.max_page_size,
        )
        try:
            statement = compiler.statement()
        except Unsupported as exc:
            return _fell(exc.reason)
        budget = _budget(context)
        if budget is not None and not (await budget.take(requested)).allowed:
            return _fell("throttled")
        db: RequestDb = context.db
        db.read_only(principal_key(context.principal))
        try:
            row = await db.first(statement)
            await db.close()
        except Exception:
            log.exception("compiled statement failed; answering through Strawberry")
            # Strawberry runs it again in a new transaction and reports what failed.
            await db.close(failed=True)
            context.db = RequestDb(self.database)
            return _fell("error")
        assert row is not None
        actual = int(row["cost"])
        throttle = None
        if budget is not None:
            await budget.settle(actual)
            decision = budget.decision
            assert decision is not None  # taken above
            throttle = {
                "maximumAvailable": decision.capacity,
                "currentlyAvailable": max(0, int(decision.remaining)),
                "restoreRate": round(decision.rate, 3),
            }
        cost = {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "maximumQueryCost": limit,
            "throttleStatus": throttle,
        }
        extensions = json.dumps({"cost": cost}, separators=(",", ":"))
        body = '{"data":' + render.ascii_escaped(row["data"]) + ',"extensions":' + extensions + "}"
        _observed(self.settings, operation_name, time.perf_counter() - started)
        return Compiled(body.encode(), cost)


def _fell(reason: str) -> Compiled | None:
    """None (Strawberry answers), counted."""
    fallback(reason)
    return None


def _budget(context: Any) -> RequestBudget | None:
    """The caller's rate-limit budget (as ``graphql.cost`` finds it)."""
    scope = getattr(getattr(context, "request", None), "scope", None)
    if not isinstance(scope, dict):
        return None
    budget = (scope.get("state") or {}).get("ratelimit")
    return budget if isinstance(budget, RequestBudget) else None


def _observed(settings: Any, name: str | None, seconds: float) -> None:
    """What ``graphql.observe.ObserveOperation`` records of an operation."""
    known = tuple(getattr(settings, "metrics_operations", ()) or ())
    metrics.observe_operation(_names(known).label(name), "query", seconds)
    info = request.current()
    if info is not None:
        info.operation = request.clean_name(name)
        info.operation_type = "query"


__all__ = ["FALLBACKS", "Compiled", "CompiledReads", "RawResponse", "fallback"]
