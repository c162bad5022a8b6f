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
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionResult

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    get_operation_ast,
    get_variable_values,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    parse,
    specified_rules,
    validate,
)
from lnob_api.auth.deferred import DeferredCheck
from lnob_api.auth.principal_repository import with_principal_facts
from lnob_api.db import availability
from lnob_api.db.request import RequestDb
from lnob_api.graphql.compiled import render
from lnob_api.graphql.compiled.build import Compiler, Unsupported
from lnob_api.graphql.compiled.params import Binds, Site
from lnob_api.graphql.compiled.principals import (
    StandIn,
    planned_stand_ins,
    stand_in,
    written_into,
)
from lnob_api.graphql.cost_model import CostRules, Operation, prepare, requested_cost
from lnob_api.graphql.observe import _names
from lnob_api.graphql.schema import STATIC_RULES, schema
from lnob_api.idempotency.service import principal_key
from lnob_api.observability import metrics, request
from lnob_api.ratelimit import RequestBudget
from lnob_api.read.keyset import DEFAULT_PAGE_SIZE

MAX_TOKENS = 5000  # the schema's MaxTokensLimiter
RULES = (*specified_rules, *STATIC_RULES, MaybeNullValidationRule, OneOfInputValidationRule)

PLANS = 1024  # plans kept per process (least recently used dropped)
_DIALECT: Any = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]

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


@dataclass
class Form:
    """One compiled statement and how a request fills its parameters."""

    sql: str
    names: tuple[str, ...]  # the positional parameters ($1, $2...), by name
    constants: dict[str, Any]  # every parameter's value when the plan was built
    processors: dict[str, Callable[[Any], Any]]
    stand_ins: dict[str, Any]  # the parameters holding the principal's ids (principals.py)

    @classmethod
    def of(cls, statement: Any, standing: StandIn) -> Form:
        """The form of ``statement``, built for ``standing.principal``."""
        compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
        if written_into(compiled.string, standing):
            raise Unsupported("principal_in_sql")
        constants = dict(compiled.params)
        return cls(
            sql=compiled.string,
            names=tuple(compiled.positiontup or ()),
            constants=constants,
            processors=dict(getattr(compiled, "_bind_processors", {}) or {}),
            stand_ins=planned_stand_ins(constants, standing),
        )

    def arguments(self, values: dict[str, Any], standing: StandIn) -> tuple[Any, ...]:
        """The positional parameters: the request's values, its principal's ids, constants."""
        out = []
        for name in self.names:
            if name in values:
                value = values[name]
            elif name in self.stand_ins:
                value = standing.value(self.stand_ins[name])
            else:
                value = self.constants[name]
            processor = self.processors.get(name)
            out.append(processor(value) if processor is not None else value)
        return tuple(out)


# The two-step form of a plan with root windowed pages (``read.repository.windowed``): a first
# statement reads each page's ``head`` alone, and its ``data`` is NULL when one falls short;
# only then does the whole form run (``walk`` and ``rest`` set up in every execution were a
# fifth of W2's statement time, though ``head`` nearly always fills a dense indicator's page).
# False: the whole form alone (bench/request_profile.py --ab twostep).
TWO_STEP = True
# A plan runs its head first while the share of its requests that the head left short
# (weighted: each request counts HEAD_WEIGHT of it) stays below HEAD_MISSES; above it (a caller
# who sees few rows) the whole form runs at once, and the head is tried again every
# HEAD_PROBE requests, so that a plan whose pages fill again goes back to it.
HEAD_MISSES = 0.125
HEAD_WEIGHT = 0.125
HEAD_PROBE = 32


@dataclass
class Plan:
    """A compiled plan: its statement, its two-step form's first one, and the parameters."""

    full: Form
    head: Form | None  # the two-step form's first statement (None: the full form alone)
    binds: Binds
    sites: list[Site]
    misses: float = 0.0  # the weighted share of requests the head left short
    skipped: int = 0  # requests that went straight to the full form since the last probe

    @classmethod
    def of(cls, compiler: Compiler, standing: StandIn) -> Plan:
        """The plan of ``compiler``, built for ``standing.principal``."""
        full = Form.of(compiler.statement(), standing)
        head = None
        if compiler.windows:
            head = _head_form(compiler, standing)
        return cls(full=full, head=head, binds=compiler.binds, sites=compiler.sites)

    def steps(self) -> tuple[Form, ...]:
        """The forms to run in turn until one answers (the first one's data not NULL)."""
        if self.head is None or not TWO_STEP:
            return (self.full,)
        if self.misses < HEAD_MISSES:
            return (self.head, self.full)
        self.skipped += 1
        if self.skipped < HEAD_PROBE:
            return (self.full,)
        self.skipped = 0
        return (self.head, self.full)

    def learn(self, filled: bool) -> None:
        """What a request's head did (True: it answered alone)."""
        self.misses += HEAD_WEIGHT * ((0.0 if filled else 1.0) - self.misses)


def _head_form(compiler: Compiler, standing: StandIn) -> Form | None:
    """The two-step form's first statement: the same operation built again with each root
    windowed page reading its ``head`` alone. None when it cannot be (a page not at the root)
    or its parameters are not the plan's (the same request values fill both)."""
    again = Compiler(
        schema=compiler.schema,
        op=compiler.op,
        principal=compiler.principal,
        language=compiler.language,
        max_page=compiler.max_page,
        head_only=True,
    )
    try:
        statement = again.statement()
        if again.binds.getters.keys() != compiler.binds.getters.keys():
            return None
        return Form.of(statement, standing)
    except Unsupported:
        return None
    except Exception:  # a gap in the head form must never cost the plan its whole form
        log.exception("compiling a plan's head failed; its whole form answers alone")
        return None


async def answered(
    run: Callable[[str, tuple[Any, ...]], Awaitable[Any]],
    steps: Sequence[tuple[str, tuple[Any, ...]]],
    facts: tuple[Any, ...] | None,
) -> tuple[Any, int]:
    """The row of the first of ``steps`` (statement, parameters) whose ``data`` is not NULL,
    run by ``run``, and its index; with ``facts`` (a deferred bearer check's parameters),
    each statement reads the token's facts too (``with_principal_facts``)."""
    for index, (sql, arguments) in enumerate(steps):
        if facts is not None:
            sql = with_principal_facts(sql, len(arguments))
            arguments = (*arguments, *facts)
        row = await run(sql, arguments)
        if row is None or row[0] is not None or index == len(steps) - 1:
            return row, index
    raise AssertionError("no steps")


def skeleton(value: Any) -> Hashable:
    """What of a variable's value may shape a plan: null, booleans, list lengths and object
    keys (other values become parameters; a site that finds otherwise rebuilds the plan)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return tuple((k, skeleton(v)) for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return ("[", tuple(skeleton(v) for v in value))
    return type(value).__name__


def numbers(value: Any) -> tuple[Any, ...]:
    """The numbers in a variables' value, in order (``first``/``last`` among them): with its
    ``skeleton``, everything of it that the requested cost depends on."""
    found: list[Any] = []

    def walk(item: Any) -> None:
        if isinstance(item, bool) or item is None:
            return
        if isinstance(item, int | float):
            found.append(item)
        elif isinstance(item, dict):
            for key in sorted(item):
                walk(item[key])
        elif isinstance(item, list | tuple):
            for inner in item:
                walk(inner)

    walk(value)
    return tuple(found)


# Variables of scalar and enum types, and lists of them, coerced as graphql-core's
# ``coerce_variable_values`` does (``_coerced``), their signatures found once per operation;
# False: every request through ``get_variable_values``, for the A/B
# (bench/request_profile.py --ab variables).
QUICK_VARIABLES = True

# name, signature, non-null, leaf type, items non-null, a list
_Spec = tuple[str, Any, bool, Any, bool, bool]


def _specs(definition: OperationDefinitionNode) -> tuple[_Spec, ...] | None:
    """How ``_coerced`` reads each variable of ``definition``; None when one has a default
    value or a type other than a leaf or a list of leaves (``get_variable_values`` then)."""
    specs: list[_Spec] = []
    for node in definition.variable_definitions or ():
        signature = get_variable_signature(schema._schema, node)
        if isinstance(signature, GraphQLError) or node.default_value is not None:
            return None
        type_: Any = signature.type
        non_null = is_non_null_type(type_)
        if non_null:
            type_ = type_.of_type
        if is_list_type(type_):
            item = type_.of_type
            item_non_null = is_non_null_type(item)
            if item_non_null:
                item = item.of_type
            if not is_leaf_type(item):
                return None
            specs.append((signature.name, signature, non_null, item, item_non_null, True))
        elif is_leaf_type(type_):
            specs.append((signature.name, signature, non_null, type_, False, False))
        else:
            return None
    return tuple(specs)


def _coerced(specs: tuple[_Spec, ...], inputs: dict[str, Any]) -> VariableValues | None:
    """What ``get_variable_values`` returns for valid ``inputs`` (the same sources, the same
    coerced values, each leaf coerced by its type's own ``coerce_input_value``); None when
    any value is missing, null where it may not be, not a list where one is expected (a
    single value is a list of one there) or refused by its type: ``get_variable_values``
    then says what is wrong."""
    sources: dict[str, VariableValueSource] = {}
    coerced: dict[str, Any] = {}
    try:
        for name, signature, non_null, leaf, item_non_null, listed in specs:
            value = inputs.get(name, Undefined)
            if value is Undefined:
                if non_null:
                    return None
                sources[name] = VariableValueSource(signature)
                continue  # a nullable variable not given is omitted
            sources[name] = VariableValueSource(signature, value)
            if value is None:
                if non_null:
                    return None
                coerced[name] = None
            elif listed:
                if type(value) is not list:
                    return None
                items: list[Any] = []
                for item in value:
                    if item is None:
                        if item_non_null:
                            return None
                        items.append(None)
                        continue
                    found = leaf.coerce_input_value(item)
                    if found is Undefined:
                        return None
                    items.append(found)
                coerced[name] = items
            else:
                found = leaf.coerce_input_value(value)
                if found is Undefined:
                    return None
                coerced[name] = found
    except Exception:  # a leaf's refusal: reported by get_variable_values
        return None
    return VariableValues(sources, coerced)


class Compiled(ExecutionResult):
    """A result whose response body is already written (``body``: the whole JSON)."""

    def __init__(self, body: bytes, cost: dict[str, Any]) -> None:
        super().__init__(data=None, errors=None)
        self.body = body
        self.cost = cost


# The request must run again: its deferred bearer check rebuilt the principal.
RESTART = ExecutionResult(data=None, errors=None)


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


@lru_cache(maxsize=512)
def _operation(
    query: str, operation_name: str | None
) -> tuple[DocumentNode, OperationDefinitionNode | None, dict[str, FragmentDefinitionNode]] | None:
    """The valid document (``_document``), its operation of that name (None: no single one)
    and its fragments by name: what ``cost_model.prepare`` finds in them, once per document."""
    document = _document(query)
    if document is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return document, get_operation_ast(document, operation_name), fragments


class CompiledReads:
    """The hook ``GraphQLApp.execute_single`` calls first."""

    def __init__(self, settings: Any, database: Any) -> None:
        self.settings = settings
        self.database = database
        self.rules = CostRules(default_page=DEFAULT_PAGE_SIZE, max_page=settings.max_page_size)
        self.plans: OrderedDict[Hashable, Plan] = OrderedDict()
        # The statement runs on the driver's connection (RequestDb.driver_row); False: in an
        # AsyncSession as before, for the benchmarks' A/B (bench/request_profile.py --ab).
        self.driver = True
        # The requested cost per document, operation, variables' shape and numbers: all it
        # depends on (page sizes, list lengths, @skip/@include); False: costed every time.
        self.costs: OrderedDict[Hashable, int] = OrderedDict()
        self.cache_costs = True
        # Each principal's stand-in, by the principal object (a remembered bearer check hands
        # every request of a token the same one; ANONYMOUS is one object); False: built per
        # request, for the A/B.
        self.standing: OrderedDict[int, tuple[Any, StandIn]] = OrderedDict()
        self.remember_standing = True
        # The operation and fragments found once per document (``_operation``), the
        # variables' skeleton computed once, the cost extension written without json.dumps;
        # False: as before (``prepare``), for the A/B.
        self.lean = True
        # Each operation's variable specs (``_specs``), by the operation node.
        self.variable_specs: dict[
            int, tuple[OperationDefinitionNode, tuple[_Spec, ...] | None]
        ] = {}
        # Grows with every plan built (the fast lane's answers hold per plan: their plan is
        # still the one its key finds in ``plans``).
        self.generation = 0

    async def execute(
        self,
        query: str | None,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        bearer: DeferredCheck | None = None,
    ) -> ExecutionResult | None:
        """The compiled result, or None (Strawberry answers). With ``bearer`` (a check the
        middleware deferred), the token's facts are read in the same statement and the check
        settled with them (``auth.deferred``): InvalidToken when the token is no longer live,
        ``RESTART`` when the principal had to be rebuilt (run again for the new one)."""
        if not self.settings.compiled or query is None:
            return None
        if variables is not None and not isinstance(variables, dict):
            return _fell("variables")
        started = time.perf_counter()
        lean = self.lean
        found_op = _operation(query, operation_name) if lean else None
        if lean:
            if found_op is None:
                return _fell("invalid")
            document, definition, fragments = found_op
        else:
            found_document = _document(query)
            if found_document is None:
                return _fell("invalid")
            document = found_document
            definition = get_operation_ast(document, operation_name)
        if definition is None:
            return _fell("operation")
        if definition.operation is not OperationType.QUERY:
            return _fell(definition.operation.value)
        op: Any
        if lean:  # ``prepare``'s own coercion, without finding the operation again
            quick = self._specs(definition) if QUICK_VARIABLES else None
            coerced: Any = None if quick is None else _coerced(quick, variables or {})
            if coerced is None:
                coerced = get_variable_values(
                    schema._schema,
                    definition.variable_definitions or (),
                    dict(variables or {}),
                    max_errors=20,
                )
            op = (
                None
                if isinstance(coerced, list)
                else Operation(schema._schema, definition, fragments, coerced, self.rules)
            )
        else:
            op = prepare(schema._schema, document, operation_name, variables, self.rules)
        if op is None or isinstance(op, list):
            return _fell("variables")
        shape = skeleton(variables)
        costed = (query, operation_name, shape, numbers(variables))
        requested = self.costs.get(costed) if self.cache_costs else None
        if requested is None:
            try:
                requested = requested_cost(op)
            except (GraphQLError, ValueError, TypeError, RecursionError):
                return _fell("cost")
            self.costs[costed] = requested
            if len(self.costs) > PLANS:
                self.costs.popitem(last=False)
        limit = self.settings.query_cost_limit
        if requested > limit:
            return _fell("cost")
        standing = self._stand_in(context.principal)
        compiler = Compiler(
            schema=schema,
            op=op,
            principal=standing.principal,
            language=context.language,
            max_page=self.settings.max_page_size,
        )
        key = (
            query,
            operation_name,
            standing.key,
            context.language,
            shape if lean else skeleton(variables),
        )
        found = self._plan(key, compiler, standing)
        if isinstance(found, str):
            return _fell(found)
        plan, values = found
        budget = _budget(context)
        if budget is not None and not (await budget.take(requested)).allowed:
            return _fell("throttled")
        db: RequestDb = context.db
        db.read_only(principal_key(context.principal))
        forms = plan.steps()
        steps = [_step(form, values, standing) for form in forms]
        noted = _noted(context)
        facts = bearer.arguments if bearer is not None else None  # the check in the statement

        async def run(sql: str, arguments: tuple[Any, ...]) -> Any:
            if self.driver:
                return await db.driver_row(sql, arguments)
            return await db.isolated(_session_read(sql, arguments))

        try:
            row, index = await answered(run, steps, facts)
            await db.close()
        except Exception as exc:
            failure = availability.note(exc)
            if failure is not None:
                # The database failed, timed out or the client left (its statement was
                # cancelled): answered as on the resolvers' path (the outage middleware turns it
                # into its 503/504), never run a second time.
                await db.close(failed=True)
                return ExecutionResult(
                    data=None, errors=[GraphQLError(availability.MESSAGES[failure])]
                )
            log.exception("compiled statement failed; answering through Strawberry")
            # Strawberry runs it again in a new transaction and reports what failed.
            await db.close(failed=True)
            context.db = RequestDb(self.database)
            return _fell("error")
        assert row is not None
        if len(forms) > 1:
            plan.learn(index == 0)
        if bearer is not None and not bearer.settle(tuple(row)[2:]):
            return RESTART  # read for a principal that changed: never answered
        data, actual = row[0], int(row[1])
        throttle = None
        if budget is not None:
            await budget.settle(actual)
            decision = budget.decision
            assert decision is not None  # taken above
            throttle = decision.throttle_status()
        cost = {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "maximumQueryCost": limit,
            "throttleStatus": throttle,
        }
        body = response_body(data, cost, lean=lean)
        if noted is not None:  # the fast lane's record of this request (graphql.fastlane)
            # The whole form, and the head to run first unless it fell short or the plan
            # skips it (it is offered with TWO_STEP off: the lane reads the switch itself).
            head, filled = None, len(forms) > 1 and index == 0
            if plan.head is not None and (filled or not TWO_STEP):
                head = steps[0] if filled else _step(plan.head, values, standing)
            sql, arguments = steps[-1]
            noted.compiled(
                sql,
                arguments,
                bearer is not None,
                requested,
                operation_name,
                body,
                (key, plan),
                head=head,
            )
        observed(self.settings, operation_name, time.perf_counter() - started)
        return Compiled(body, cost)

    def _specs(self, definition: OperationDefinitionNode) -> tuple[_Spec, ...] | None:
        """``_specs(definition)``, remembered per operation (held here, so that its id is
        never another node's)."""
        found = self.variable_specs.get(id(definition))
        if found is not None and found[0] is definition:
            return found[1]
        specs = _specs(definition)
        self.variable_specs[id(definition)] = (definition, specs)
        if len(self.variable_specs) > PLANS:
            self.variable_specs.pop(next(iter(self.variable_specs)))
        return specs

    def _stand_in(self, principal: Any) -> StandIn:
        """The principal's stand-in (``principals``), remembered while the principal object
        lives in this table (held by it, so its id is never another object's)."""
        if not self.remember_standing:
            return stand_in(principal)
        found = self.standing.get(id(principal))
        if found is not None and found[0] is principal:
            self.standing.move_to_end(id(principal))
            return found[1]
        standing = stand_in(principal)
        self.standing[id(principal)] = (principal, standing)
        if len(self.standing) > PLANS:
            self.standing.popitem(last=False)
        return standing

    def _plan(
        self, key: Hashable, compiler: Compiler, standing: StandIn
    ) -> tuple[Plan, dict[str, Any]] | str:
        """The cached plan with this request's parameter values, or a new plan; a fallback
        reason when the query cannot be compiled."""
        plan = self.plans.get(key)
        if plan is not None:
            try:
                values = plan.binds.values(compiler.refreshed(plan.sites))
            except Exception:  # Stale, Unsupported, or a value a site cannot read: rebuild
                plan = None
            else:
                self.plans.move_to_end(key)
                return plan, values
        try:
            plan = Plan.of(compiler, standing)
        except Unsupported as exc:
            return exc.reason
        except Exception:  # a gap in the compiler must never fail a request Strawberry answers
            log.exception("compiling a query failed; answering through Strawberry")
            return "internal"
        self.plans[key] = plan
        self.generation += 1  # how many plans were built
        if len(self.plans) > PLANS:
            self.plans.popitem(last=False)
        return plan, {}


def response_body(data: str, cost: dict[str, Any], *, lean: bool = True) -> bytes:
    """The response of a compiled read: PostgreSQL's JSON text of ``data`` and the cost
    extension, as Strawberry's encoder writes them."""
    requested, actual = cost["requestedQueryCost"], cost["actualQueryCost"]
    limit = cost["maximumQueryCost"]
    if lean and cost["throttleStatus"] is None and _ints(requested, actual, limit):
        extensions = (  # what json.dumps writes of them
            f'{{"cost":{{"requestedQueryCost":{requested},"actualQueryCost":{actual},'
            f'"maximumQueryCost":{limit},"throttleStatus":null}}}}'
        )
    else:
        extensions = json.dumps({"cost": cost}, separators=(",", ":"))
    body = '{"data":' + render.ascii_escaped(data) + ',"extensions":' + extensions + "}"
    return body.encode()


# Where the fast lane leaves its record of a request (graphql.fastlane), in the scope's state.
NOTE_KEY = "lnob_fastlane_note"


def _step(form: Form, values: dict[str, Any], standing: StandIn) -> tuple[str, tuple[Any, ...]]:
    """A form's statement and this request's parameters of it."""
    return form.sql, form.arguments(values, standing)


def _noted(context: Any) -> Any:
    """The fast lane's record of this request, if it keeps one."""
    scope = getattr(getattr(context, "request", None), "scope", None)
    if not isinstance(scope, dict):
        return None
    return (scope.get("state") or {}).get(NOTE_KEY)


def _session_read(sql: str, arguments: tuple[Any, ...]) -> Any:
    """The statement run through the request's AsyncSession (``CompiledReads.driver`` off)."""

    async def run(session: Any) -> Any:
        conn = await session.connection()
        return (await conn.exec_driver_sql(sql, arguments)).first()

    return run


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


def _ints(*values: Any) -> bool:
    """Whether every value is a plain int (not a bool), which json writes as ``repr``."""
    return all(type(v) is int for v in values)


def observed(settings: Any, name: str | None, seconds: float) -> None:
    """What ``graphql.observe.ObserveOperation`` records of an operation."""
    known = tuple(getattr(settings, "metrics_operations", ()) or ())
    metrics.observe_operation(_names(known).label(name), "query", seconds)
    info = request.current()
    if info is not None:
        info.operation = request.clean_name(name)
        info.operation_type = "query"


__all__ = [
    "FALLBACKS",
    "NOTE_KEY",
    "RESTART",
    "Compiled",
    "CompiledReads",
    "RawResponse",
    "answered",
    "fallback",
    "observed",
    "response_body",
]
