"""Query cost, computed from the validated document and its variables before anything runs.

The rules follow GitHub's and Shopify's: a scalar or enum costs 0, an object 1, a connection
2 plus its page size (``first``/``last``, else the default page, capped by the maximum) times
the cost of one of its nodes, so nested connections multiply. A plain list of objects counts
``ids`` items when it takes ids, else a fixed estimate; a root mutation field costs 10 more.
Fragments are expanded, ``@skip``/``@include`` honoured, every alias counted; an abstract type
costs its most expensive possible type. The same walk over the returned data (lists at their
real length) gives the actual cost. Every list-valued argument or input field is checked
against its cap on the way, so an oversized list is refused before any SQL.
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
    GraphQLInputType,
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
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_object_type,
)

MUTATION_COST = 10
CONNECTION_COST = 2
# A list that is not a connection has no size argument: assume this many items.
LIST_ESTIMATE = 10
DEFAULT_LIST_CAP = 100
# Code lists an agency may reasonably send whole (every SDG indicator, every ward of a county),
# the same bound as the CSV export's parameters.
CODE_LIST_CAP = 500
LIST_CAPS = {
    f"{owner}.{name}": CODE_LIST_CAP
    for owner, names in {
        "ObservationFilter": ("indicators", "targets", "areas"),
        "DatasetFilter": ("indicators", "targets"),
        "OfficialValueFilter": ("areas",),
        "Query.indicatorSeries": ("areas",),
        "Query.comparison": ("areas",),  # argument caps are keyed Type.field.argument
    }.items()
    for name in names
}


@dataclass(frozen=True, slots=True)
class CostRules:
    default_page: int
    max_page: int


class ListTooLong(GraphQLError):
    """A list-valued argument longer than its cap (a client error, BAD_USER_INPUT)."""

    def __init__(self, path: str, cap: int, got: int) -> None:
        super().__init__(
            f"{path}: at most {cap} values, got {got}",
            extensions={"code": "BAD_USER_INPUT", "field": path, "reason": "TOO_LARGE", "cap": cap},
        )


@dataclass(slots=True)
class Operation:
    """A validated operation, its fragments and coerced variables: what the walks need."""

    schema: GraphQLSchema
    definition: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues

    @property
    def root(self) -> GraphQLObjectType | None:
        return self.schema.get_root_type(self.definition.operation)


def prepare(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
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
    return Operation(schema, definition, fragments, coerced)


def requested_cost(op: Operation, rules: CostRules) -> int:
    """The static cost; raises ``ListTooLong`` (or a coercion ``GraphQLError``)."""
    return _Walk(op, rules, None).root()


def actual_cost(op: Operation, rules: CostRules, data: Mapping[str, Any] | None) -> int:
    """The cost of what was returned (each list at its real length)."""
    if data is None:
        return 0
    return _Walk(op, rules, data).root()


_ABSENT = object()


class _Walk:
    def __init__(self, op: Operation, rules: CostRules, data: Mapping[str, Any] | None) -> None:
        self.op, self.rules, self.data = op, rules, data
        self.static = data is None
        # Static costs depend only on (selection set, type): memoised, so repeated fragments
        # cost one walk each however often they are spread.
        self.memo: dict[tuple[int, str], int] = {}

    def root(self) -> int:
        root = self.op.root
        if root is None:
            return 0
        extra = MUTATION_COST if self.op.definition.operation is OperationType.MUTATION else 0
        total = 0
        for node in self._collect(self.op.definition.selection_set, root):
            value = self.data.get(_key(node), _ABSENT) if self.data is not None else None
            if value is _ABSENT:
                continue
            total += extra + self._field(node, root, value)
        return total

    def _selection(self, selection: SelectionSetNode, named: Any, data: Any) -> int:
        """Cost of one object's selection (the most expensive type of an abstract one)."""
        if is_abstract_type(named):
            types = self.op.schema.get_possible_types(named)
            return max((self._object(selection, t, data) for t in types), default=0)
        return self._object(selection, named, data)

    def _object(self, selection: SelectionSetNode, parent: GraphQLObjectType, data: Any) -> int:
        memo_key = (id(selection), parent.name)
        if self.static and memo_key in self.memo:
            return self.memo[memo_key]
        total = 0
        for node in self._collect(selection, parent):
            value = data.get(_key(node), _ABSENT) if isinstance(data, Mapping) else None
            if value is _ABSENT:
                continue
            total += self._field(node, parent, value)
        if self.static:
            self.memo[memo_key] = total
        return total

    def _field(self, node: FieldNode, parent: GraphQLObjectType, data: Any) -> int:
        name = node.name.value
        if name.startswith("__"):  # introspection is served from memory
            return 0
        definition = parent.fields[name]
        args = get_argument_values(definition, node, self.op.variables)
        for arg_name, argument in definition.args.items():
            owner = f"{parent.name}.{name}.{arg_name}"
            _check_lists(args.get(arg_name), argument.type, owner, arg_name)
        named = get_named_type(definition.type)
        if is_leaf_type(named) or node.selection_set is None:
            return 1 if name == "totalCount" and _is_connection(parent) else 0
        if not self.static and data is None:
            return 0
        if _is_connection(named):
            size = self._page_size(args)
            return CONNECTION_COST + self._connection(node.selection_set, named, size, data)
        if is_list_type(get_nullable_type(definition.type)):
            ids = args.get("ids")
            count = len(ids) if isinstance(ids, list) else LIST_ESTIMATE
            return self._items(node.selection_set, named, count, data, own=1)
        return 1 + self._selection(node.selection_set, named, data)

    def _connection(
        self, selection: SelectionSetNode, connection: GraphQLObjectType, size: int, data: Any
    ) -> int:
        """Inside a connection: ``nodes`` and ``edges`` cost their page, the rest is free
        (``pageInfo`` comes with the page) except ``totalCount``, a count query."""
        total = 0
        for node in self._collect(selection, connection):
            value = data.get(_key(node), _ABSENT) if isinstance(data, Mapping) else None
            if value is _ABSENT:
                continue
            definition = connection.fields.get(node.name.value)
            named = get_named_type(definition.type) if definition is not None else None
            if (
                definition is None
                or node.selection_set is None
                or not is_list_type(get_nullable_type(definition.type))
            ):
                total += 1 if node.name.value == "totalCount" else 0
                continue
            # An edge is free: its node costs the object.
            own = 0 if node.name.value == "edges" else 1
            total += self._items(node.selection_set, named, size, value, own=own)
        return total

    def _items(
        self, selection: SelectionSetNode, named: Any, count: int, data: Any, *, own: int
    ) -> int:
        if self.static:
            return count * (own + self._selection(selection, named, None))
        if not isinstance(data, list):
            return 0
        return sum(own + self._selection(selection, named, item) for item in data if item)

    def _page_size(self, args: Mapping[str, Any]) -> int:
        first, last = args.get("first"), args.get("last")
        asked = last if last is not None else first
        size = self.rules.default_page if asked is None else int(asked)
        return max(0, min(size, self.rules.max_page))

    def _collect(self, selection: SelectionSetNode, parent: GraphQLObjectType) -> list[FieldNode]:
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
                    found.extend(self._collect(item.selection_set, parent))
            elif isinstance(item, FragmentSpreadNode):
                fragment = self.op.fragments.get(item.name.value)
                if fragment is not None and self._applies(
                    fragment.type_condition.name.value, parent
                ):
                    found.extend(self._collect(fragment.selection_set, parent))
        return found

    def _applies(self, type_name: str, parent: GraphQLObjectType) -> bool:
        condition = self.op.schema.get_type(type_name)
        if condition is parent:
            return True
        return is_abstract_type(condition) and self.op.schema.is_sub_type(condition, parent)

    def _included(self, node: SelectionNode) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.op.variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.op.variables)
        return not (include is not None and include.get("if") is False)


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias is not None else node.name.value


def _is_connection(type_: Any) -> bool:
    return (
        is_object_type(type_) and type_.name.endswith("Connection") and "pageInfo" in type_.fields
    )


def _check_lists(value: Any, type_: GraphQLInputType, cap_key: str, path: str) -> None:
    """Raise ``ListTooLong`` for any list in ``value`` (nested input objects included) longer
    than its cap; ``cap_key`` is ``Owner.name`` for ``LIST_CAPS``, ``path`` the argument path."""
    if value is None:
        return
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        cap = LIST_CAPS.get(cap_key, DEFAULT_LIST_CAP)
        items = value if isinstance(value, list) else [value]
        if len(items) > cap:
            raise ListTooLong(path, cap, len(items))
        for item in items:
            _check_lists(item, nullable.of_type, cap_key, path)
    elif is_input_object_type(nullable) and isinstance(value, Mapping):
        for field_name, field in nullable.fields.items():
            _check_lists(
                value.get(field_name),
                field.type,
                f"{nullable.name}.{field_name}",
                f"{path}.{field_name}",
            )
