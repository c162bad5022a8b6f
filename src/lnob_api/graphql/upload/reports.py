"""The GraphQL face of a file import's problems (observations, official values, scorecard
scores): each import's problem type inherits :class:`FileProblem` and names its own enum of
why (``code``); :meth:`FileProblem.of` shows a domain problem, :func:`report_of` the import's
report."""

from __future__ import annotations

import typing
from collections.abc import Callable
from enum import Enum
from typing import Any, Self, TypeVar

import strawberry

R = TypeVar("R")
ROW = "Row number as a spreadsheet shows it (header: 1)."


@strawberry.type(name="FileProblem")
class FileProblem:
    """One problem found in an imported file. A subclass re-annotates ``code`` with its enum
    (the field keeps its place: row, column, code, message)."""

    row: int = strawberry.field(description=ROW)
    column: str | None = strawberry.field(description="The column at fault, as in the header.")
    code: Enum
    message: str

    @classmethod
    def of(cls, problem: Any) -> Self:
        """The domain's ``problem`` (``row``, ``column``, ``code``, ``message``) shown."""
        codes = typing.get_type_hints(cls)["code"]
        return cls(
            row=problem.row,
            column=problem.column,
            code=codes(problem.code),
            message=problem.message,
        )


def report_of(cls: type[R]) -> Callable[[Any], R]:
    """How an import's domain report shows as ``cls``: each field is the report's attribute of
    the same name; a list of a type with ``of`` (problems, warnings) shows each item by it, any
    other list is the attribute's items (a tuple of columns)."""

    def show(report: Any) -> R:
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            name = field.python_name
            value = getattr(report, name)
            if typing.get_origin(hints[name]) is list:
                (item,) = typing.get_args(hints[name])
                of = getattr(item, "of", None)
                value = [of(v) for v in value] if of is not None else list(value)
            values[name] = value
        return cls(**values)

    return show
