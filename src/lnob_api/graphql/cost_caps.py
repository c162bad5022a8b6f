"""Caps on list-valued arguments and input fields, checked before anything runs.

Every list holds at most ``DEFAULT_LIST_CAP`` values unless ``LIST_CAPS`` names it (by
``InputType.field`` for input fields, ``Type.field.argument`` for arguments).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputType,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
)

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


class ListTooLong(GraphQLError):
    """A list-valued argument longer than its cap (a client error, BAD_USER_INPUT)."""

    def __init__(self, path: str, cap: int, got: int) -> None:
        super().__init__(
            f"{path}: at most {cap} values, got {got}",
            extensions={"code": "BAD_USER_INPUT", "field": path, "reason": "TOO_LARGE", "cap": cap},
        )


def check_lists(value: Any, type_: GraphQLInputType, cap_key: str, path: str) -> None:
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
            check_lists(item, nullable.of_type, cap_key, path)
    elif is_input_object_type(nullable) and isinstance(value, Mapping):
        for field_name, field in nullable.fields.items():
            check_lists(
                value.get(field_name),
                field.type,
                f"{nullable.name}.{field_name}",
                f"{path}.{field_name}",
            )
