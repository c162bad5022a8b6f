"""The widths an upload checks its text cells against (unit and the disaggregations) are the
table's columns' own, named as the files and the CSV export name them (``group`` for the
``group_code`` column): a cell one character too long is TOO_LONG, one that fits loads."""

from __future__ import annotations

import sqlalchemy as sa

from lnob_api import models
from lnob_api.declare.observation import UPLOAD_WIDTHS, UPLOADED
from lnob_api.upload.mapping import ColumnMapping, resolve
from lnob_api.upload.validate import Lookups, ProblemLog, RowChecker

HEADER = ["indicator", "area", "period", "value", "unit", "sex", "age", "group"]
LOOKUPS = Lookups({"1.1.1": 7}, frozenset({"KE"}), {}, "KE")


def _checked(**cells: str) -> tuple[object, ProblemLog]:
    row = {"indicator": "1.1.1", "area": "KE", "period": "2020", "value": "3", **cells}
    checker = RowChecker(HEADER, resolve(HEADER, ColumnMapping()), LOOKUPS, default_indicator=None)
    log = ProblemLog()
    return checker.check(2, [row.get(name, "") for name in HEADER], log), log


def test_the_widths_are_the_columns_lengths_by_file_name() -> None:
    assert list(UPLOADED) == ["unit", "sex", "age", "disability_status", "urbanisation", "group"]
    assert UPLOADED["group"] == "group_code"
    table = models.Observation.__table__
    for name, column in UPLOADED.items():
        kind = table.c[column].type
        assert isinstance(kind, sa.String)
        assert UPLOAD_WIDTHS[name] == kind.length, name
    assert (UPLOAD_WIDTHS["unit"], UPLOAD_WIDTHS["sex"], UPLOAD_WIDTHS["group"]) == (80, 20, 40)


def test_a_cell_over_its_column_width_is_too_long() -> None:
    record, log = _checked(group="G" * 41, unit="u" * 81, sex="F" * 20)
    assert record is None
    codes = {(p.column, p.code) for p in log.kept}
    assert codes == {("group", "TOO_LONG"), ("unit", "TOO_LONG")}
    assert any(p.message == "at most 40 characters" for p in log.kept)


def test_cells_that_fit_load_with_the_total_for_empty_ones() -> None:
    record, log = _checked(group="G" * 40, unit="u" * 80, sex="F")
    assert log.count == 0 and isinstance(record, tuple)
    assert record[7] == "u" * 80  # unit
    assert record[10:15] == ("F", "_T", "_T", "_T", "G" * 40)
