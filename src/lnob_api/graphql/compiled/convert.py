"""A field's arguments converted the way Strawberry's ``convert_arguments`` does, by a
converter built once per field (issue 12: a cached plan's sites convert their arguments on
every request).

``strawberry.types.arguments.convert_argument`` decides on every call, by the argument's
type, which branch applies; here that decision is taken once and the converter keeps only
what depends on the value (null, ``UNSET``, list items, the input object's keys). Types the
converter does not reproduce exactly (``Maybe``, ``GlobalID``, inputs with ``from_input``,
anything else unexpected) keep Strawberry's own ``convert_argument`` for that value.

The raw values before that (``argument_values``): graphql-core's ``get_argument_values`` once
per field node and pattern of its variables (each absent, null or given), with a stand-in for
each given variable; a request fills in its own values where the stand-ins came out (a
variable's value passes through coercion untouched: validation typed it).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import MISSING
from typing import Any

from graphql.execution.values import get_argument_values
from strawberry.relay.types import GlobalID
from strawberry.types.arguments import (
    _is_leaf_type,
    _is_optional_leaf_type,
    convert_argument,
)
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

from graphql import (
    FieldNode,
    GraphQLField,
    ListValueNode,
    ObjectValueNode,
    VariableNode,
)

Converter = Callable[[Any], Any]
Arguments = Callable[[dict[str, Any]], dict[str, Any]]

# switch for the A/B (bench/request_profile.py --ab convert): False converts with
# Strawberry's ``convert_arguments`` on every call, as before.
BUILT = True

# switch for the A/B (bench/request_profile.py --ab arguments): False calls graphql-core's
# ``get_argument_values`` on every request, as before.
TEMPLATES = True

# Per schema: id(field) -> (field, its arguments' converter); the field is held so that its id
# is never another's.
_BUILT: weakref.WeakKeyDictionary[Any, dict[int, tuple[Any, Arguments]]]
_BUILT = weakref.WeakKeyDictionary()


def arguments_converter(
    schema: Any, field: StrawberryField
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``convert_arguments(raw, field.arguments, ...)`` of ``schema`` as one function."""
    per_schema = _BUILT.get(schema)
    if per_schema is None:
        per_schema = _BUILT[schema] = {}
    found = per_schema.get(id(field))
    if found is not None and found[0] is field:
        return found[1]
    converter = _Builder(schema).arguments(field)
    per_schema[id(field)] = (field, converter)
    return converter


class _Builder:
    def __init__(self, schema: Any) -> None:
        self.registry = schema.schema_converter.scalar_registry
        self.config = schema.config
        self.made: dict[int, tuple[Any, Converter]] = {}

    def arguments(self, field: StrawberryField) -> Arguments:
        parts = []
        for argument in field.arguments:
            assert argument.python_name
            name = self.config.name_converter.from_argument(argument)
            path = (name,)
            each = (
                self.generic(argument.type, path)
                if _builds_itself(argument.type, set())
                else self.of(argument.type, path)
            )
            parts.append((name, argument.python_name, each))

        def convert(value: dict[str, Any]) -> dict[str, Any]:
            kwargs = {}
            for name, python_name, each in parts:
                if name in value:
                    kwargs[python_name] = each(value[name])
            return kwargs

        return convert

    def generic(self, type_: Any, path: tuple[Any, ...]) -> Converter:
        registry, config = self.registry, self.config
        return lambda value: convert_argument(value, type_, registry, config, None, path=path)

    def of(self, type_: Any, path: tuple[Any, ...]) -> Converter:
        """The converter of values of ``type_`` (``convert_argument``'s branches, in its
        order)."""
        if isinstance(type_, StrawberryMaybe):
            return self.generic(type_, path)
        if isinstance(type_, StrawberryOptional):
            return self.of(type_.of_type, path)
        if isinstance(type_, StrawberryList):
            if _is_leaf_type(
                type_.of_type, self.registry, skip_classes=(GlobalID,)
            ) or _is_optional_leaf_type(type_.of_type, self.registry, skip_classes=(GlobalID,)):
                return _copied
            item = self.of(type_.of_type, path)

            def items(value: Any) -> Any:
                if value is None:
                    return None
                if value is UNSET:
                    return UNSET
                return [item(x) for x in value]

            return items
        if _is_leaf_type(type_, self.registry):
            if type_ is GlobalID:
                return self.generic(type_, path)
            return _same
        if isinstance(type_, LazyType):
            return self.of(type_.resolve_type(), path)
        if has_enum_definition(type_):
            return self.of(type_.__strawberry_definition__, path)
        if has_object_definition(type_):
            return self.input(type_, path)
        return self.generic(type_, path)

    def input(self, type_: Any, path: tuple[Any, ...]) -> Converter:
        definition = type_.__strawberry_definition__
        if definition.from_input is not None:
            return self.generic(type_, path)
        made = self.made.get(id(type_))
        if made is not None and made[0] is type_:
            return made[1]
        defaults: dict[str, Any] = {}
        if definition.is_input:
            defaults = {
                f.python_name: None
                for f in definition.fields
                if f.default_value is MISSING and f.default_factory is MISSING
            }
        fields: list[tuple[str, str, Converter]] = []

        def build(value: Any) -> Any:
            if value is None:
                return None
            if value is UNSET:
                return UNSET
            kwargs = dict(defaults)
            for graphql_name, python_name, each in fields:
                if graphql_name in value:
                    kwargs[python_name] = each(value[graphql_name])
            return type_(**kwargs)

        self.made[id(type_)] = (type_, build)  # before its fields: inputs may hold themselves
        for f in definition.fields:
            graphql_name = self.config.name_converter.from_field(f)
            f_type = f.resolve_type(type_definition=definition)
            fields.append((graphql_name, f.python_name, self.of(f_type, path)))
        return build


class _StandIn:
    """A given variable's place in a template (``argument_values``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# id(node) -> (node, definition, the variables its arguments name, {pattern: template}); the
# node and definition held so that their ids are never another's.
_TEMPLATES: dict[int, tuple[FieldNode, GraphQLField, tuple[str, ...], dict[Any, Any]]] = {}
_ABSENT, _NULL, _GIVEN = 0, 1, 2
_UNSEEN = object()


def argument_values(definition: GraphQLField, node: FieldNode, variables: Any) -> dict[str, Any]:
    """``get_argument_values(definition, node, variables)`` (``variables`` the operation's
    coerced ``VariableValues``), from the node's template for its variables' pattern."""
    if not TEMPLATES:
        return get_argument_values(definition, node, variables)
    found = _TEMPLATES.get(id(node))
    if found is None or found[0] is not node or found[1] is not definition:
        names = tuple(dict.fromkeys(_variables_in(a.value for a in node.arguments or ())))
        if len(_TEMPLATES) > 10_000:
            _TEMPLATES.clear()
        found = _TEMPLATES[id(node)] = (node, definition, names, {})
    coerced = variables.coerced if variables is not None else {}
    pattern = tuple(
        _ABSENT if n not in coerced else _NULL if coerced[n] is None else _GIVEN for n in found[2]
    )
    template = found[3].get(pattern, _UNSEEN)
    if template is _UNSEEN:
        template = found[3][pattern] = _template(definition, node, variables, found[2], pattern)
    if template is None:
        return get_argument_values(definition, node, variables)
    filled: dict[str, Any] = _filled(template, coerced)
    return filled


def _template(
    definition: GraphQLField,
    node: FieldNode,
    variables: Any,
    names: tuple[str, ...],
    pattern: tuple[int, ...],
) -> Any:
    """The arguments with a stand-in for each given variable, or None when some stand-in is
    not in a dict or list of them (then every request asks graphql-core)."""
    if variables is None or not names:
        return get_argument_values(definition, node, variables)
    stood = dict(variables.coerced)
    given = set()
    for name, kind in zip(names, pattern, strict=True):
        if kind == _GIVEN:
            stood[name] = _StandIn(name)
            given.add(name)
    # an invalid pattern raises here, as it does on every request
    template = get_argument_values(definition, node, variables._replace(coerced=stood))
    return template if type(template) is dict and _stand_ins(template) == given else None


def _stand_ins(template: Any) -> set[str]:
    """The stand-ins ``_filled`` finds (in plain dicts and lists only)."""
    if type(template) is dict:
        return set().union(*map(_stand_ins, template.values()))
    if type(template) is list:
        return set().union(*map(_stand_ins, template))
    return {template.name} if type(template) is _StandIn else set()


def _variables_in(values: Any) -> Any:
    for value in values:
        if isinstance(value, VariableNode):
            yield value.name.value
        elif isinstance(value, ListValueNode):
            yield from _variables_in(value.values)
        elif isinstance(value, ObjectValueNode):
            yield from _variables_in(f.value for f in value.fields)


def _filled(template: Any, coerced: dict[str, Any]) -> Any:
    """A fresh copy of ``template``'s dicts and lists with each stand-in's variable value."""
    if type(template) is dict:
        return {
            k: v if type(v) not in _COPIED else _filled(v, coerced) for k, v in template.items()
        }
    if type(template) is list:
        return [v if type(v) not in _COPIED else _filled(v, coerced) for v in template]
    return coerced[template.name]


_COPIED = (dict, list, _StandIn)


def _builds_itself(type_: Any, seen: set[int]) -> bool:
    """Whether ``type_`` holds an input that builds itself (``from_input``: it is told where
    it is, so Strawberry converts the whole argument)."""
    while isinstance(type_, StrawberryOptional | StrawberryList | LazyType):
        type_ = type_.resolve_type() if isinstance(type_, LazyType) else type_.of_type
    if not has_object_definition(type_) or id(type_) in seen:
        return False
    seen.add(id(type_))
    definition = type_.__strawberry_definition__
    if definition.from_input is not None:
        return True
    return any(
        _builds_itself(f.resolve_type(type_definition=definition), seen) for f in definition.fields
    )


def _copied(value: Any) -> Any:
    if value is None:
        return None
    if value is UNSET:
        return UNSET
    return list(value)


def _same(value: Any) -> Any:
    return value


__all__ = ["BUILT", "TEMPLATES", "argument_values", "arguments_converter"]
