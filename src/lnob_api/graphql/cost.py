"""The query cost extension: refuse over-cost or over-budget operations before any resolver
runs, and report the cost in every response's ``extensions.cost`` (Shopify's shape).

Order: variables coerced and list caps checked (``BAD_USER_INPUT``), the static cost against
the per-request limit (``QUERY_TOO_COSTLY``), then the client's budget per minute
(``THROTTLED``, HTTP 429 through the rate-limit middleware). A refused operation runs no SQL
and spends nothing; one that ran is settled at its actual cost.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import ExecutionResult, GraphQLError
from lnob_api.graphql.cost_model import (
    CostRules,
    Operation,
    actual_cost,
    prepare,
    requested_cost,
)
from lnob_api.ratelimit import RequestBudget
from lnob_api.read.keyset import DEFAULT_PAGE_SIZE


class QueryCost(SchemaExtension):
    requested: int | None = None
    actual: int | None = None
    limit: int | None = None
    budget: RequestBudget | None = None

    async def on_execute(self) -> AsyncGenerator[None, None]:
        context = self.execution_context.context
        settings = getattr(context, "settings", None)
        document = self.execution_context.graphql_document
        if settings is None or document is None:
            yield
            return
        self.limit = settings.query_cost_limit
        rules = CostRules(default_page=DEFAULT_PAGE_SIZE, max_page=settings.max_page_size)
        ec = self.execution_context
        schema = ec.schema._schema  # graphql-core's schema
        prepared = prepare(schema, document, ec.operation_name, ec.variables, rules)
        refusal = await self._refusal(prepared, context)
        if refusal is not None:
            self.execution_context.result = ExecutionResult(data=None, errors=refusal)
            yield
            return
        yield
        if isinstance(prepared, Operation) and self.requested is not None:
            result = self.execution_context.result
            self.actual = actual_cost(prepared, getattr(result, "data", None))
            if self.budget is not None:
                await self.budget.settle(self.actual)

    async def _refusal(
        self, prepared: Operation | list[GraphQLError] | None, context: Any
    ) -> list[GraphQLError] | None:
        """The errors that stop the operation before it runs, or None to run it."""
        if isinstance(prepared, list):
            return prepared  # variables execution would refuse anyway, refused here first
        if prepared is None:
            return None
        try:
            self.requested = requested_cost(prepared)
        except GraphQLError as error:
            return [error]
        except (ValueError, TypeError, RecursionError) as error:
            # An argument a scalar could not read: execution would fail on it too.
            return [
                GraphQLError(f"Invalid argument: {error}", extensions={"code": "BAD_USER_INPUT"})
            ]
        assert self.limit is not None
        if self.requested > self.limit:
            return [_too_costly(self.requested, self.limit)]
        self.budget = _budget(context)
        if self.budget is None:
            return None
        decision = await self.budget.take(self.requested)
        if decision.allowed:
            return None
        return [
            GraphQLError(
                f"Throttled: this operation costs {self.requested} and {int(decision.remaining)} "
                f"of {decision.capacity} per minute remain; retry in {decision.retry_after} s.",
                extensions={
                    "code": "THROTTLED",
                    "cost": self.requested,
                    "retryAfter": decision.retry_after,
                },
            )
        ]

    def get_results(self) -> dict[str, Any]:
        if self.requested is None and self.limit is None:
            return {}
        decision = self.budget.decision if self.budget is not None else None
        throttle = None
        if decision is not None:
            throttle = decision.throttle_status()
        return {
            "cost": {
                "requestedQueryCost": self.requested,
                "actualQueryCost": self.actual,
                "maximumQueryCost": self.limit,
                "throttleStatus": throttle,
            }
        }


def _too_costly(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"This operation would cost {cost}, over the limit of {limit} per request: ask for "
        "smaller pages (first/last), fewer nested connections or fewer aliases, or use the CSV "
        "or SDMX exports for bulk data.",
        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": limit},
    )


def _budget(context: Any) -> RequestBudget | None:
    """The principal's budget, set in the request state by the rate-limit middleware."""
    request = getattr(context, "request", None)
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict):
        return None
    budget = (scope.get("state") or {}).get("ratelimit")
    return budget if isinstance(budget, RequestBudget) else None
