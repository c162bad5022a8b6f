"""The exported schema keeps what the last release promised (``schema/released.graphql``).

A breaking change (graphql-core's ``find_breaking_changes``) fails the test unless what it
removes or changes was deprecated in the released schema: a field, an argument, an input
field or an enum value deprecated for one release may go in the next. A removed type is allowed
when every field, argument and input field that used it was deprecated. Dangerous changes
(``find_dangerous_changes``: an enum value added, a default changed...) are reported as
warnings and never fail.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from graphql import (
    BreakingChangeType,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_named_type,
)

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"
CURRENT = SCHEMA_DIR / "schema.graphql"
RELEASED = SCHEMA_DIR / "released.graphql"

# Schema coordinates in graphql-core's change descriptions: Type.field, Type.field(arg:), Enum.VALUE
_COORDINATE = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)(?:\(([A-Za-z_]\w*):\))?")
_TYPE_REMOVED = re.compile(r"^([A-Za-z_]\w*) was removed\.$")

_ELEMENT_CHANGES = {
    BreakingChangeType.FIELD_REMOVED,
    BreakingChangeType.FIELD_CHANGED_KIND,
    BreakingChangeType.ARG_REMOVED,
    BreakingChangeType.ARG_CHANGED_KIND,
    BreakingChangeType.VALUE_REMOVED_FROM_ENUM,
}

Element = GraphQLField | GraphQLArgument | GraphQLInputField | GraphQLEnumValue


def _element(schema: GraphQLSchema, description: str) -> Element | None:
    """The field, argument, input field or enum value a change description names."""
    match = _COORDINATE.search(description)
    if match is None:
        return None
    type_name, member, arg = match.groups()
    owner = schema.get_type(type_name)
    if isinstance(owner, GraphQLEnumType):
        return owner.values.get(member)
    if isinstance(owner, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        field = owner.fields.get(member)
        if field is None or arg is None:
            return field
        return field.args.get(arg) if isinstance(field, GraphQLField) else None
    return None


def _type_unused_but_deprecated(schema: GraphQLSchema, type_name: str) -> bool:
    """True when every use of ``type_name`` in ``schema`` is deprecated."""
    used = False
    for named in schema.type_map.values():
        if named.name.startswith("__"):
            continue
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            continue
        for field in named.fields.values():
            members: list[Element] = [field]
            if isinstance(field, GraphQLField):
                members += list(field.args.values())
            for member in members:
                if get_named_type(member.type).name == type_name:
                    used = True
                    if member.deprecation_reason is None:
                        return False
    return used


def unreleased_breaks(released: GraphQLSchema, current: GraphQLSchema) -> list[str]:
    """Breaking changes from ``released`` to ``current`` that no deprecation announced."""
    problems = []
    for change in find_breaking_changes(released, current):
        if change.type in _ELEMENT_CHANGES:
            element = _element(released, change.description)
            if element is not None and element.deprecation_reason is not None:
                continue
        elif change.type is BreakingChangeType.TYPE_REMOVED:
            found = _TYPE_REMOVED.match(change.description)
            if found and _type_unused_but_deprecated(released, found.group(1)):
                continue
        problems.append(f"{change.type.name}: {change.description}")
    return problems


class TestReleasedSchema:
    def test_the_schema_breaks_nothing_the_last_release_promised(self) -> None:
        # given
        released = build_schema(RELEASED.read_text(encoding="utf-8"))
        current = build_schema(CURRENT.read_text(encoding="utf-8"))
        # when
        problems = unreleased_breaks(released, current)
        for change in find_dangerous_changes(released, current):
            warnings.warn(f"dangerous schema change: {change.description}", stacklevel=1)
        # then
        assert problems == [], (
            "schema/schema.graphql breaks the released schema; deprecate first "
            "(@deprecated(reason: ...)) and remove in a later release:\n  " + "\n  ".join(problems)
        )


OLD = """
type Query {
  kept: String
  gone: String @deprecated(reason: "use kept")
  goneNow: String
  shaped(first: Int, old: Int @deprecated(reason: "unused")): Int
  colour: Colour
  legacy: Legacy @deprecated(reason: "no longer offered")
}
enum Colour { RED GREEN @deprecated(reason: "never used") BLUE }
type Legacy { name: String }
"""


class TestUnreleasedBreaks:
    def test_removing_what_was_deprecated_is_allowed(self) -> None:
        # given: gone, the old argument, GREEN and the Legacy type (only used deprecated) go
        new = """
        type Query { kept: String goneNow: String shaped(first: Int): Int colour: Colour }
        enum Colour { RED BLUE }
        """
        # when / then
        assert unreleased_breaks(build_schema(OLD), build_schema(new)) == []

    @pytest.mark.parametrize(
        ("new", "expected"),
        [
            (
                "type Query { kept: String gone: String shaped(first: Int, old: Int): Int"
                " colour: Colour legacy: Legacy } enum Colour { RED GREEN BLUE } type Legacy"
                " { name: String }",
                "FIELD_REMOVED: Field Query.goneNow was removed.",
            ),
            (
                "type Query { kept: Int gone: String goneNow: String shaped(first: Int, old: Int):"
                " Int colour: Colour legacy: Legacy } enum Colour { RED GREEN BLUE }"
                " type Legacy { name: String }",
                "FIELD_CHANGED_KIND: Field Query.kept changed type from String to Int.",
            ),
            (
                "type Query { kept: String gone: String goneNow: String shaped(first: Int, old:"
                " Int): Int colour: Colour legacy: Legacy } enum Colour { GREEN BLUE }"
                " type Legacy { name: String }",
                "VALUE_REMOVED_FROM_ENUM: Enum value Colour.RED was removed.",
            ),
        ],
        ids=["field removed", "field type changed", "enum value removed"],
    )
    def test_a_break_without_deprecation_is_reported(self, new: str, expected: str) -> None:
        # when
        problems = unreleased_breaks(build_schema(OLD), build_schema(new))
        # then
        assert problems == [expected]
