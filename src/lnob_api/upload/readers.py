"""Streaming readers for uploaded CSV and XLSX files: rows of text cells, one at a time.

Neither reader holds the file in memory. CSV goes through the ``csv`` module with the delimiter
sniffed from the first lines (KoboToolbox's legacy exports use ``;``, ODK Central's ``,``) and
a UTF-8 byte-order mark dropped; XLSX goes through openpyxl in read-only mode, the first
worksheet unless another is named. Cells come back as stripped text: XLSX numbers without a
trailing ``.0`` when whole, dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, Any

CHUNK = 1 << 20
SNIFF_BYTES = 64 * 1024
MAX_LINE = 1 << 20
DELIMITERS = ",;\t|"
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other OLE compound files)


class FileUnreadable(Exception):
    """The file is not a CSV or XLSX file this service can read; ``row`` is where it failed."""

    def __init__(self, message: str, *, row: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


def sha256_of(file: IO[bytes]) -> str:
    """The hex SHA-256 of the whole file, read in chunks; the file is left at its start."""
    file.seek(0)
    digest = hashlib.sha256()
    while chunk := file.read(CHUNK):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def kind_of(file: IO[bytes], filename: str) -> str:
    """``"xlsx"`` or ``"csv"``, from the file's first bytes (the name breaks no ties)."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if not head:
        raise FileUnreadable("the file is empty")
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        raise FileUnreadable("legacy .xls workbooks are not supported: save as .xlsx or .csv")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileUnreadable("the file is named .xlsx but is not an XLSX workbook")
    return "csv"


def rows(file: IO[bytes], filename: str, *, sheet: str | None = None) -> Iterator[list[str]]:
    """The file's rows (header first) as lists of stripped text cells."""
    if kind_of(file, filename) == "xlsx":
        return xlsx_rows(file, sheet=sheet)
    return csv_rows(file)


def _sniff_delimiter(file: IO[bytes]) -> str:
    """The delimiter, sniffed from the first lines (or counted in the header line)."""
    sample_bytes = file.read(SNIFF_BYTES)
    file.seek(0)
    # Cut at the last line break so that neither a character nor a record is split.
    cut = sample_bytes.rfind(b"\n")
    if cut > 0 and len(sample_bytes) == SNIFF_BYTES:
        sample_bytes = sample_bytes[:cut]
    sample = sample_bytes.decode("utf-8-sig", errors="replace")
    first_line = sample.splitlines()[0] if sample else ""
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ""
    # The sniffer sometimes settles on a delimiter that the header does not even contain.
    if delimiter not in first_line or not delimiter:
        counted = max(DELIMITERS, key=first_line.count)
        delimiter = counted if first_line.count(counted) else ","
    return delimiter


def csv_rows(file: IO[bytes]) -> Iterator[list[str]]:
    """Rows of a UTF-8 CSV file: byte-order mark dropped, delimiter sniffed, quoting as
    spreadsheets write it (``"a ""quoted"" word"``)."""
    file.seek(0)
    delimiter = _sniff_delimiter(file)
    reader = csv.reader(_decoded_lines(file), delimiter=delimiter, strict=False)
    row_number = 0
    try:
        for row in reader:
            row_number += 1
            yield [cell.strip() for cell in row]
    except UnicodeDecodeError:
        raise FileUnreadable(
            "the file is not UTF-8 text: export it as UTF-8 CSV (or XLSX)", row=row_number + 1
        ) from None
    except csv.Error as exc:
        raise FileUnreadable(f"unreadable CSV: {exc}", row=row_number + 1) from None
    except _LineTooLong:
        raise FileUnreadable(
            f"a line is longer than {MAX_LINE // 2**20} MiB: is this a CSV file?",
            row=row_number + 1,
        ) from None


class _LineTooLong(Exception):
    pass


def _decoded_lines(file: IO[bytes]) -> Iterator[str]:
    # Line by line (not in large blocks), so that a decoding error names its row; bounded, so
    # that a file without line breaks is never read into memory whole.
    first = True
    while line := file.readline(MAX_LINE + 1):
        if len(line) > MAX_LINE:
            raise _LineTooLong
        if first:
            first = False
            line = line.removeprefix(codecs.BOM_UTF8)
        yield line.decode("utf-8")


def xlsx_rows(file: IO[bytes], *, sheet: str | None = None) -> Iterator[list[str]]:
    """Rows of one worksheet of an XLSX workbook, streamed in read-only mode."""
    import openpyxl  # type: ignore[import-untyped]

    file.seek(0)
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign file fails in many ways
        raise FileUnreadable(f"unreadable XLSX workbook: {exc}") from None
    row_number = 0
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            names = ", ".join(repr(n) for n in workbook.sheetnames)
            raise FileUnreadable(f"no worksheet {sheet!r} in the workbook (it has {names})")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        # Exports often carry a wrong <dimension>: read the cells actually present.
        worksheet.reset_dimensions()
        for values in worksheet.iter_rows(values_only=True):
            row_number += 1
            yield [cell_text(v) for v in values]
    except FileUnreadable:
        raise
    except Exception as exc:
        raise FileUnreadable(f"unreadable XLSX worksheet: {exc}", row=row_number + 1) from None
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()
