"""The GraphQL face of a file import's problems (observations, official values, scorecard
scores): each import's problem type inherits :class:`FileProblem` and names its own enum of
why (``code``); :meth:`FileProblem.of` shows a domain problem."""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any, Self

import strawberry

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
