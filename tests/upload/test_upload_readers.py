"""Reading uploaded files: CSV dialects and encodings, XLSX cells, and the column mapping."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

import openpyxl
import pytest

from lnob_api.upload import readers
from lnob_api.upload.mapping import ColumnMapping, is_metadata, resolve


def _rows(content: bytes, name: str = "f.csv", **kwargs: Any) -> list[list[str]]:
    return list(readers.rows(io.BytesIO(content), name, **kwargs))


class TestCsv:
    @pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
    def test_delimiter_is_sniffed(self, delimiter: str) -> None:
        content = delimiter.join(["indicator", "area", "value"]) + "\n"
        content += delimiter.join(["1.1.1", "KE-30", "1,5" if delimiter != "," else "1.5"])
        rows = _rows(content.encode())
        assert rows[0] == ["indicator", "area", "value"]
        assert rows[1][:2] == ["1.1.1", "KE-30"]

    def test_byte_order_mark_and_quotes(self) -> None:
        content = '\ufeff"name";"note"\r\n"Nairobi";"a; b ""quoted"""\r\n'.encode()
        assert _rows(content) == [["name", "note"], ["Nairobi", 'a; b "quoted"']]

    def test_not_utf8_names_the_row(self) -> None:
        content = b"area,value\nKE-30,1\nMurang\xe1,2\n"
        with pytest.raises(readers.FileUnreadable) as caught:
            _rows(content)
        assert caught.value.row == 3
        assert "UTF-8" in caught.value.message

    def test_a_file_without_line_breaks_is_not_read_whole(self) -> None:
        content = b"a,b\n1,2\n" + b"x" * (readers.MAX_LINE + 10)
        with pytest.raises(readers.FileUnreadable, match="longer than 1 MiB") as caught:
            _rows(content)
        assert caught.value.row == 3

    def test_the_callers_file_stays_open(self) -> None:
        file = io.BytesIO(b"a,b\n1,2\n")
        assert list(readers.rows(file, "x.csv")) == [["a", "b"], ["1", "2"]]
        assert not file.closed and readers.sha256_of(file)

    def test_legacy_xls_and_empty_files_are_refused(self) -> None:
        with pytest.raises(readers.FileUnreadable, match=r"legacy \.xls"):
            _rows(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls")
        with pytest.raises(readers.FileUnreadable, match="empty"):
            _rows(b"")
        with pytest.raises(readers.FileUnreadable, match="not an XLSX"):
            _rows(b"a,b\n", "named.xlsx")


class TestXlsx:
    def _workbook(self, sheets: dict[str, list[list[Any]]]) -> bytes:
        workbook = openpyxl.Workbook()
        workbook.remove(workbook.active)
        for title, rows in sheets.items():
            sheet = workbook.create_sheet(title)
            for row in rows:
                sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def test_cells_become_text(self) -> None:
        content = self._workbook(
            {
                "data": [
                    ["period", "value", "n", "when", "flag", "empty"],
                    [2019, 12.5, 40.0, datetime(2020, 3, 15), True, None],
                    [date(2021, 1, 2), 1e-7, 3, datetime(2020, 3, 15, 8, 30), "  x ", time(9)],
                ]
            }
        )
        assert _rows(content, "f.xlsx") == [
            ["period", "value", "n", "when", "flag", "empty"],
            ["2019", "12.5", "40", "2020-03-15", "TRUE"],  # trailing empty cells: not stored
            ["2021-01-02", "1e-07", "3", "2020-03-15T08:30:00", "x", "09:00:00"],
        ]

    def test_named_sheet(self) -> None:
        content = self._workbook({"cover": [["about"]], "data": [["value"], [1]]})
        assert _rows(content, "f.xlsx") == [["about"]]
        assert _rows(content, "f.xlsx", sheet="data") == [["value"], ["1"]]
        with pytest.raises(readers.FileUnreadable, match="no worksheet 'nope'"):
            _rows(content, "f.xlsx", sheet="nope")

    def test_broken_workbook(self) -> None:
        with pytest.raises(readers.FileUnreadable, match="unreadable XLSX"):
            _rows(b"PK\x03\x04 not really a zip", "f.xlsx")


class TestMapping:
    def test_kobo_and_odk_prefixes_and_metadata(self) -> None:
        header = [
            "start",
            "grp/indicator",
            "household-area",
            "hh/info-period",
            "Value",
            "Sample Size",
            "_uuid",
            "meta/instanceID",
            "KEY",
            "SubmissionDate",
            "Status",
            "notes_free",
        ]
        columns = resolve(header, ColumnMapping())
        assert columns.problems == ()
        found = {k: header[v] for k, v in columns.positions.items() if v is not None}
        assert found == {
            "indicator": "grp/indicator",
            "area": "household-area",
            "period": "hh/info-period",
            "value": "Value",
            "sample_size": "Sample Size",
        }
        assert columns.ignored == ("notes_free",)

    def test_whole_names_win_over_stripped_ones(self) -> None:
        columns = resolve(["grp/value", "value", "area", "period", "indicator"], ColumnMapping())
        assert columns.positions["value"] == 1

    def test_two_candidates_are_ambiguous(self) -> None:
        header = ["a/value", "b/value", "area", "period", "indicator"]
        (problem,) = resolve(header, ColumnMapping()).problems
        assert (problem.code, problem.column) == ("AMBIGUOUS_COLUMN", "a/value")

    def test_explicit_columns_dimensions_and_missing_ones(self) -> None:
        mapping = ColumnMapping.from_dict(
            {"value": "Score", "sample_size": "N_resp", "dimensions": ["Education_Lev"]}
        )
        columns = resolve(["score", "n_resp", "grp/education_lev", "area", "period"], mapping)
        assert columns.positions["value"] == 0 and columns.positions["sample_size"] == 1
        assert columns.dimensions == (("EDUCATION_LEV", 2),)
        (problem,) = columns.problems
        assert (problem.code, problem.column) == ("MISSING_COLUMN", "indicator")
        with_default = ColumnMapping.from_dict({"indicatorCode": "1.1.1", "value": "Score"})
        assert resolve(["score", "area", "period"], with_default).problems == ()

    def test_mapping_errors(self) -> None:
        with pytest.raises(ValueError, match="unknown mapping key 'colour'"):
            ColumnMapping.from_dict({"colour": "x"})
        with pytest.raises(ValueError, match="dimensions"):
            ColumnMapping.from_dict({"dimensions": "x"})
        mapping = ColumnMapping(dimensions=("sex",), columns={"period": "When"})
        codes = {p.code for p in resolve(["sex", "indicator", "area", "value"], mapping).problems}
        assert codes == {"INVALID_COLUMN", "MISSING_COLUMN"}

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            *(("_id", True), ("__version__", True), ("meta-instanceID", True)),
            *(("formhub/uuid", True), ("KEY", True), ("SubmitterName", True)),
            *(("value", False), ("grp/area", False)),
        ],
    )
    def test_metadata_columns(self, name: str, expected: bool) -> None:
        assert is_metadata(name) is expected
