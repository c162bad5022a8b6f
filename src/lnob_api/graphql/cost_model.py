"""Query cost, computed from the validated document and its variables before anything runs.

The rules follow GitHub's and Shopify's: a scalar or enum costs 0, an object 1, a connection
2 plus its page size (``first``/``last``, else the default page, capped by the maximum) times
the cost of one of its nodes, so nested connections multiply. A plain list of objects counts
``ids`` items when it takes ids, else a fixed estimate; a root mutation field costs 10 more.
Fragments are expanded, ``@skip``/``@include`` honoured, every alias counted; an abstract type
costs its most expensive possible type. The same walk over the returned data (lists at their
real length) gives the actual cost. Every list-valued argument or input field is checked
against its cap on the way (``cost_caps``), so an oversized list is refused before any SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_object_type,
)
from lnob_api.graphql.cost_caps import check_lists

MUTATION_COST = 10
CONNECTION_COST = 2
# A list that is not a connection has no size argument: assume this many items.
LIST_ESTIMATE = 10


@dataclass(frozen=True, slots=True)
class CostRules:
    default_page: int
    max_page: int


OBJECT, LIST, CONNECTION, ITEMS, COUNT = range(5)


class _Step:
    """One costed field of a selection: what kind, where in the response, what it holds."""

    __slots__ = ("_free", "_inner", "key", "kind", "named", "own", "selection", "size")

    def __init__(
        self,
        key: str,
        kind: int,
        selection: SelectionSetNode | None = None,
        named: Any = None,
        *,
        size: int = 0,
        own: int = 1,
    ) -> None:
        self.key, self.kind, self.selection, self.named = key, kind, selection, named
        self.size = size  # a LIST's assumed items, a CONNECTION's page size
        self.own = own  # what each of a LIST's or ITEMS' items costs itself (an edge: 0)
        self._inner: list[list[_Step]] | None = None
        self._free: bool | None = None

    def inner(self, op: Operation) -> list[list[_Step]]:
        """The plans of the selection below, one per possible type."""
        if self._inner is None:
            assert self.selection is not None
            within = self.kind == CONNECTION
            self._inner = [op.plan(self.selection, t, within) for t in op.types(self.named)]
        return self._inner

    def free(self, op: Operation) -> bool:
        """True when nothing below the field costs anything (its items need no walk)."""
        if self._free is None:
            assert self.selection is not None
            self._free = _static(op, self.selection, self.named, False) == 0
        return self._free


class Operation:
    """A validated operation with its fragments and coerced variables. Arguments are read and
    list caps checked once per field, in plans that the requested and actual walks share."""

    def __init__(
        self,
        schema: GraphQLSchema,
        definition: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        rules: CostRules,
    ) -> None:
        self.schema, self.definition, self.fragments = schema, definition, fragments
        self.variables, self.rules = variables, rules
        self.plans: dict[tuple[int, str, bool], list[_Step]] = {}
        # Static costs depend only on (selection set, type): memoised, so a fragment spread
        # many times is costed once.
        self.memo: dict[tuple[int, str, bool], int] = {}

    @property
    def root(self) -> GraphQLObjectType | None:
        return self.schema.get_root_type(self.definition.operation)

    def plan(
        self, selection: SelectionSetNode, parent: GraphQLObjectType, in_connection: bool
    ) -> list[_Step]:
        key = (id(selection), parent.name, in_connection)
        steps = self.plans.get(key)
        if steps is None:
            steps = self.plans[key] = [
                step
                for node in self.collect(selection, parent)
                if (step := self._step(node, parent, in_connection)) is not None
            ]
        return steps

    def _step(
        self, node: FieldNode, parent: GraphQLObjectType, in_connection: bool
    ) -> _Step | None:
        name = node.name.value
        if name.startswith("__"):  # introspection is served from memory
            return None
        definition = parent.fields[name]
        args = get_argument_values(definition, node, self.variables)
        for arg_name, argument in definition.args.items():
            check_lists(
                args.get(arg_name), argument.type, f"{parent.name}.{name}.{arg_name}", arg_name
            )
        named, key, selection = get_named_type(definition.type), _key(node), node.selection_set
        if is_leaf_type(named) or selection is None:
            return _Step(key, COUNT) if in_connection and name == "totalCount" else None
        listed = is_list_type(get_nullable_type(definition.type))
        if in_connection:
            # nodes and edges cost their page; pageInfo comes with it
            own = 0 if name == "edges" else 1
            return _Step(key, ITEMS, selection, named, own=own) if listed else None
        if _is_connection(named):
            return _Step(key, CONNECTION, selection, named, size=self._page_size(args))
        if listed:
            ids = args.get("ids")
            size = len(ids) if isinstance(ids, list) else LIST_ESTIMATE
            return _Step(key, LIST, selection, named, size=size)
        return _Step(key, OBJECT, selection, named)

    def _page_size(self, args: Mapping[str, Any]) -> int:
        first, last = args.get("first"), args.get("last")
        asked = last if last is not None else first
        size = self.rules.default_page if asked is None else int(asked)
        return max(0, min(size, self.rules.max_page))

    def collect(self, selection: SelectionSetNode, parent: GraphQLObjectType) -> list[FieldNode]:
        """The fields selected on ``parent``: fragments expanded, skipped ones left out."""
        found: list[FieldNode] = []
        for item in selection.selections:
            if not self._included(item):
                continue
            if isinstance(item, FieldNode):
                found.append(item)
            elif isinstance(item, InlineFragmentNode):
                condition = item.type_condition
                if condition is None or self._applies(condition.name.value, parent):
                    found.extend(self.collect(item.selection_set, parent))
            elif isinstance(item, FragmentSpreadNode):
                fragment = self.fragments.get(item.name.value)
                if fragment is not None and self._applies(
                    fragment.type_condition.name.value, parent
                ):
                    found.extend(self.collect(fragment.selection_set, parent))
        return found

    def _applies(self, type_name: str, parent: GraphQLObjectType) -> bool:
        condition = self.schema.get_type(type_name)
        if condition is parent:
            return True
        return is_abstract_type(condition) and self.schema.is_sub_type(condition, parent)

    def _included(self, node: SelectionNode) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and include.get("if") is False)

    def types(self, named: Any) -> list[GraphQLObjectType]:
        if is_abstract_type(named):
            return list(self.schema.get_possible_types(named))
        return [named]


def prepare(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    rules: CostRules,
) -> Operation | list[GraphQLError] | None:
    """The operation to cost, the variable errors execution would report, or None when the
    document names no single operation (execution reports that)."""
    definition = get_operation_ast(document, operation_name)
    if definition is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    coerced = get_variable_values(
        schema, definition.variable_definitions or (), dict(variables or {}), max_errors=20
    )
    if isinstance(coerced, list):
        return coerced
    return Operation(schema, definition, fragments, coerced, rules)


def requested_cost(op: Operation) -> int:
    """The static cost; raises ``cost_caps.ListTooLong`` (or a coercion ``GraphQLError``)."""
    root = op.root
    if root is None:
        return 0
    return _root_fields(op, root, None) + _static(op, op.definition.selection_set, root, False)


def actual_cost(op: Operation, data: Mapping[str, Any] | None) -> int:
    """The cost of what was returned (each list at its real length)."""
    root = op.root
    if root is None or data is None:
        return 0
    plans = [op.plan(op.definition.selection_set, root, False)]
    return _root_fields(op, root, data) + _actual(op, plans, dict(data))


def _root_fields(op: Operation, root: GraphQLObjectType, data: Mapping[str, Any] | None) -> int:
    """A mutation's fixed cost per root field (those that answered, for the actual cost)."""
    if op.definition.operation is not OperationType.MUTATION:
        return 0
    keys = [_key(n) for n in op.collect(op.definition.selection_set, root)]
    return MUTATION_COST * sum(1 for k in keys if data is None or k in data)


def _static(
    op: Operation, selection: SelectionSetNode, named: Any, in_connection: bool, size: int = 0
) -> int:
    """Cost of one object's selection (the most expensive type of an abstract one)."""
    best = 0
    for parent in op.types(named):
        memo_key = (id(selection), parent.name, in_connection)
        cost = op.memo.get(memo_key)
        if cost is None:
            cost = 0
            for step in op.plan(selection, parent, in_connection):
                cost += _static_step(op, step, size)
            op.memo[memo_key] = cost
        best = max(best, cost)
    return best


def _static_step(op: Operation, step: _Step, page: int) -> int:
    if step.kind == COUNT:
        return 1
    assert step.selection is not None
    if step.kind == CONNECTION:
        return CONNECTION_COST + _static(op, step.selection, step.named, True, step.size)
    inner = _static(op, step.selection, step.named, False)
    if step.kind == OBJECT:
        return 1 + inner
    count = page if step.kind == ITEMS else step.size
    return count * (step.own + inner)


def _actual(op: Operation, plans: list[list[_Step]], data: Any) -> int:
    """Cost of one returned object (responses are plain dicts and lists)."""
    if type(data) is not dict:
        return 0
    best = 0
    for steps in plans:
        cost = 0
        for step in steps:
            value = data.get(step.key)
            if value is None:  # not selected for this type, or null
                continue
            kind = step.kind
            if kind == COUNT:
                cost += 1
            elif kind == OBJECT:
                cost += 1 if step.free(op) else 1 + _actual(op, step.inner(op), value)
            elif kind == CONNECTION:
                cost += CONNECTION_COST + _actual(op, step.inner(op), value)
            elif type(value) is list:
                if step.free(op):
                    cost += step.own * (len(value) - value.count(None))
                else:
                    inner = step.inner(op)
                    cost += sum(step.own + _actual(op, inner, i) for i in value if i is not None)
        best = max(best, cost)
    return best


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias is not None else node.name.value


def _is_connection(type_: Any) -> bool:
    return (
        is_object_type(type_) and type_.name.endswith("Connection") and "pageInfo" in type_.fields
    )
