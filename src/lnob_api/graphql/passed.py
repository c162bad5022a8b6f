"""The service arguments a mutation's input gives by name, so that a mutation writes only the
particular ones (``graphql.mutations.calls``).

An input field passes as the service call's keyword argument of the same name. Inputs name
records by their codes and services say so in their argument names, so a field also passes as
``<field>_code`` (``coalition`` -> ``coalition_code``, ``parent`` -> ``parent_code``) and a
list field as ``<singular>_codes`` (``targets`` -> ``target_codes``). An omitted field
(``UNSET``) passes as None: the services read None as "not given" (a create's default, an
update's "leave the links as they are").

What the mutation spells out (its ``args``, the row its ``id`` names) wins over what passes by
name; a call's argument that no input field names is left to its default.

A filter input passes the same way to its repository's ``filters`` (:func:`where`), an enum
(or a list of them) as its value: what the spelled-out arguments do not give passes by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from typing import Any, TypeVar

import strawberry

W = TypeVar("W")


def _spellings(argument: str) -> Iterator[str]:
    """The input field names that stand for the call's ``argument``."""
    yield argument
    if argument.endswith("_code"):
        yield argument.removesuffix("_code")
    elif argument.endswith("_codes"):
        yield argument.removesuffix("_codes") + "s"


def by_name(call: Callable[..., Any], input: type) -> dict[str, str]:
    """The call's keyword-only arguments that a field of ``input`` names: argument -> field."""
    fields = {f.python_name for f in input.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    found: dict[str, str] = {}
    for name, parameter in inspect.signature(call).parameters.items():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        field = next((f for f in _spellings(name) if f in fields), None)
        if field is not None:
            found[name] = field
    return found


def read(data: object, passes: Mapping[str, str]) -> dict[str, Any]:
    """The values ``data`` (an input) gives the arguments ``passes`` names (UNSET: None)."""
    values = {argument: getattr(data, field) for argument, field in passes.items()}
    return {k: None if v is strawberry.UNSET else v for k, v in values.items()}


def _plain(value: Any) -> Any:
    """An enum as its value, a list of them as a list of values; anything else as it is."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [v.value if isinstance(v, Enum) else v for v in value]
    return value


def where(filters: Callable[..., W], input: type) -> Callable[..., W]:
    """``filters`` (a repository's WHERE clauses) called with what a filter input of type
    ``input`` gives by name (:func:`by_name`; an enum as its value), then with the arguments
    spelled out beside the input (decoded ids...), which win."""
    passes = by_name(filters, input)

    def call(data: object, /, **spelled: Any) -> W:
        values = {k: _plain(v) for k, v in read(data, passes).items()}
        return filters(**{**values, **spelled})

    return call
